// `keel schema waivers`: the JSON Schema of a waivers file agrees with the loader. Every document
// below is judged by both: the schema accepts exactly what loadWaivers accepts (for the rules a
// schema can say; host patterns and real calendar dates are the loader's alone).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadWaivers, waiversSchema } from "../../../../engine/report/audit/waivers.js";
import { loadCatalog } from "../../../../engine/controls/catalog.js";

const ids = loadCatalog().ids;
const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(waiversSchema(ids));
const tmp = mkdtempSync(join(tmpdir(), "keel-waivers-schema-"));
let n = 0;

function loaderAccepts(text: string): boolean {
  const f = join(tmp, `w${++n}.yml`);
  writeFileSync(f, text);
  try {
    loadWaivers(f, ids, () => ["web1"]);
    return true;
  } catch {
    return false;
  }
}

const W = (body: string) => `waivers:\n  - ${body.split("\n").join("\n    ")}\n`;
const GOOD = "control: ssh.permit-root-login\nhosts: bastion*\njustification: break-glass access, SEC-1234\napprover: alice@example.com\nexpires: '2027-03-31'";

const cases: [string, string, boolean][] = [
  ["the README's example", W(GOOD), true],
  ["an ISO timestamp expiry, no hosts", W("control: kernel.aslr\njustification: j\napprover: a\nexpires: '2027-03-31T12:00:00Z'"), true],
  ["a multi-line justification", W("control: kernel.aslr\njustification: |\n  line one\n  line two\napprover: a\nexpires: '2027-03-31'"), true],
  ["an unknown control id", W(GOOD.replace("ssh.permit-root-login", "ssh.permit-root-logn")), false],
  ["a misspelt key", W(GOOD.replace("approver:", "aprover:")), false],
  ["a missing approver", W(GOOD.replace("approver: alice@example.com\n", "")), false],
  ["an expiry that is not a date", W(GOOD.replace("'2027-03-31'", "next year")), false],
  ["a control id with a newline", W(GOOD.replace("control: ssh.permit-root-login", 'control: "ssh.permit-root-login\\nx"')), false],
  ["an approver with a newline", W(GOOD.replace("approver: alice@example.com", 'approver: "alice\\nmallory"')), false],
  ["an empty approver", W(GOOD.replace("approver: alice@example.com", "approver: ''")), false],
  ["a top-level key besides waivers", `${W(GOOD)}extra: 1\n`, false],
];

describe("keel schema waivers", () => {
  it.each(cases)("%s: schema and loader agree", (_name, text, ok) => {
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(ok);
    expect(loaderAccepts(text)).toBe(ok);
  });

  it("offers the catalog's control ids for completion", () => {
    const s = waiversSchema(ids) as { properties: { waivers: { items: { properties: { control: { enum: string[] } } } } } };
    expect(s.properties.waivers.items.properties.control.enum).toContain("audit.auditd-enabled");
    expect(s.properties.waivers.items.properties.control.enum.length).toBe(ids.length);
  });
});
