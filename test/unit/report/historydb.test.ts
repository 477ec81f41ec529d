// The three history stores open through one helper: the same clear errors for each, and the store
// works once opened.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { AuditHistory } from "../../../engine/report/audit/history.js";
import { HistoryStore } from "../../../engine/report/drift/history.js";
import { PatchHistory } from "../../../engine/report/patch/history.js";

const dir = mkdtempSync(join(tmpdir(), "keel-histdb-"));
writeFileSync(join(dir, "notdb"), "this is not SQLite, but long enough for sqlite to look at its header......\n".repeat(20));

describe.each([
  ["drift", (p: string) => new HistoryStore(p)],
  ["audit", (p: string) => new AuditHistory(p)],
  ["patch", (p: string) => new PatchHistory(p)],
])("%s history", (what, open) => {
  it("refuses a directory with a hint naming a file", () => {
    expect(() => open(dir)).toThrow(InputError);
    expect(() => open(dir)).toThrow(/is a directory/);
  });
  it("refuses a file that is not SQLite, naming the store kind", () => {
    expect(() => open(join(dir, "notdb"))).toThrow(new RegExp(`cannot be used as a ${what} history: file is not a database`));
  });
  it("creates a new store with its directory", () => {
    expect(() => open(join(dir, what, "sub", "h.sqlite"))).not.toThrow();
  });
});
