// The module reference (docs/modules.md and README.md's table) is generated from the schemas; this
// fails when a module's schema changed and `npm run docs` was not run.
import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { genDocs } from "../../engine/cli/gen-docs.js";

describe("generated module reference", () => {
  it("docs/modules.md and the README table match the schemas", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const log: string[] = [];
    expect(
      genDocs(root, true, (s) => log.push(s)),
      log.join(""),
    ).toBe(0);
  });
});
