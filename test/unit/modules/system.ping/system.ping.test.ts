import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import mod from "../../../../modules/system/ping.js";
import { runModuleFixtures, BASE_FACTS } from "../harness.js";

const here = dirname(fileURLToPath(import.meta.url));
runModuleFixtures(mod, here);

describe("system.ping probe", () => {
  it("a shell that cannot run id fails the task with the exit code and stderr", () => {
    const out = "@cmd ping\nout:b64=\nrc=127\nerr:b64=" + Buffer.from("sh: id: not found").toString("base64") + "\n";
    expect(() => mod.probe({}, BASE_FACTS).parse(out, 0)).toThrow("the host could not run 'id -un' (exit code 127: sh: id: not found)");
  });
});
