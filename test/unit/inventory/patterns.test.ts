// Host patterns: a table of pattern -> hosts, checked against `ansible --list-hosts` when Ansible is
// installed, and the errors keel adds where Ansible only warns. Ansible's selections are replayed
// from test/recordings/ansible/patterns-list-hosts.json while its key holds (the inventory's files,
// the patterns, the batch harness, the installed ansible-core/ansible/python3); else, and with
// KEEL_ANSIBLE_LIVE=1, `ansible --list-hosts` runs live (KEEL_ANSIBLE_RECORD=1 also rewrites the
// recording). A recorded selection keel differs from is checked against a live run before the test fails.
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { loadInventory, type Inventory } from "../../../engine/inventory/index.js";
import { splitHostPattern } from "../../../engine/inventory/patterns.js";
import { fnmatchRegExp } from "../../../engine/core/fnmatch.js";
import { hashTree } from "../../ansible-record.js";
import { debianVersions, RecordedBatch } from "../recorded-batch.js";
import { ANSIBLE, ansibleListHostsBatch, FIXTURES, HARNESS } from "./helpers.js";

const INV = "yaml-basic/hosts.yml";
const inv: Promise<Inventory> = loadInventory([INV], { cwd: FIXTURES });

const WEB = ["web01.example.com", "web02.example.com", "web03.example.com", "web-canary"];
const DB = ["db-a.internal", "db-b.internal", "db-c.internal", "10.0.0.5"];

const CASES: [pattern: string, hosts: string[]][] = [
  ["all", ["bastion.example.com", ...WEB, ...DB, "stage1"]],
  ["*", ["bastion.example.com", ...WEB, ...DB, "stage1"]],
  ["web", WEB],
  ["prod", [...WEB, ...DB]],
  ["eu", ["web01.example.com", "web02.example.com"]],
  ["ungrouped", ["bastion.example.com"]],
  ["web0*", ["web01.example.com", "web02.example.com", "web03.example.com"]],
  ["db-?.internal", ["db-a.internal", "db-b.internal", "db-c.internal"]],
  ["db-[ab].internal", ["db-a.internal", "db-b.internal"]],
  ["db-[!ab].internal", ["db-c.internal"]],
  ["web:db", [...WEB, ...DB]],
  ["web,db", [...WEB, ...DB]],
  ["web, stage1", [...WEB, "stage1"]],
  ["prod:&eu", ["web01.example.com", "web02.example.com"]],
  ["prod:!eu", ["web03.example.com", "web-canary", ...DB]],
  ["!eu", ["bastion.example.com", "web03.example.com", "web-canary", ...DB, "stage1"]],
  ["&web", WEB],
  ["web:!web01.example.com:!web-canary", ["web02.example.com", "web03.example.com"]],
  ["~web0[13]", ["web01.example.com", "web03.example.com"]],
  ["~db", DB], // the regex matches group db, and its hosts come with it
  ["~(web|db)-", ["web-canary", "db-a.internal", "db-b.internal", "db-c.internal"]],
  ["web[0]", ["web01.example.com"]],
  ["web[-1]", ["web-canary"]],
  ["web[1:2]", ["web02.example.com", "web03.example.com"]],
  ["web[2:]", ["web03.example.com", "web-canary"]],
  ["10.0.0.5", ["10.0.0.5"]],
  ["stage1:web01.example.com", ["stage1", "web01.example.com"]],
  ["localhost", ["localhost"]],
  ["nomatch*", []],
  ["eu:db:!db-b*:&prod", ["web01.example.com", "web02.example.com", "db-a.internal", "db-c.internal", "10.0.0.5"]],
];

describe("host patterns", () => {
  it.each(CASES)("%s", async (pattern, hosts) => {
    expect((await inv).match(pattern)).toEqual(hosts);
  });

  // every pattern's `ansible --list-hosts`: recorded, or all in one live batch
  const ansible = new RecordedBatch<string[] | { error: string }>(
    "patterns-list-hosts",
    () => ({
      inventory: hashTree(dirname(join(FIXTURES, INV))),
      patterns: JSON.stringify(CASES.map(([p]) => p)),
      harness: HARNESS,
      python: debianVersions(["python3"]),
    }),
    async () => {
      const rs = await ansibleListHostsBatch(
        INV,
        CASES.map(([p]) => p),
      );
      return Object.fromEntries(rs.map((r, i) => [CASES[i]![0], r instanceof Error ? { error: r.message } : r]));
    },
  );
  const listHosts = async (pattern: string, keel: string[]) => {
    const r = await ansible.expected(pattern, keel);
    if (!Array.isArray(r)) throw new Error(r.error);
    return r;
  };
  it.skipIf(!ANSIBLE).each(CASES)("%s selects what `ansible --list-hosts` selects", async (pattern, hosts) => {
    const keel = (await inv).match(pattern);
    expect(keel).toEqual(hosts);
    expect(await listHosts(pattern, keel)).toEqual(keel);
  });
});

describe("pattern errors", () => {
  const ERRORS: [pattern: string, message: RegExp, hint: RegExp][] = [
    ["webb", /host pattern 'webb' matches no group or host/, /did you mean 'web'\?/],
    ["web:!eu:prd", /'prd' \(in 'web:!eu:prd'\) matches no group/, /did you mean 'prod'\?/],
    ["web:&stagin", /'stagin'/, /did you mean 'staging'\?/],
    ["zzzzzz", /matches no group or host/, /keel inventory --graph/],
    ["~web(", /invalid regular expression in host pattern '~web\('/, /regular expression/],
    ["web[9]", /no hosts matched the subscripted pattern 'web\[9\]'/, /4 host/],
    ["web[1-2]", /no longer supported/, /\[1:2\]/],
    ["", /empty host pattern/, /all/],
  ];
  it.each(ERRORS)("%j", async (pattern, message, hint) => {
    const pos = { file: "site.yml", line: 3, col: 10 };
    let err: unknown;
    try {
      (await inv).match(pattern, pos);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.message).toMatch(message);
    expect(e.hint ?? "").toMatch(hint);
    expect(e.pos).toEqual(pos);
  });
});

describe("pattern helpers", () => {
  it.each([
    ["a:b", ["a", "b"]],
    ["a,b:c", ["a", "b:c"]],
    ["web[1:3]", ["web[1:3]"]],
    ["host:22", ["host:22"]],
    ["a:&b:!c", ["a", "&b", "!c"]],
    [" a , b ,", ["a", "b"]],
  ])("split %j", (p, parts) => expect(splitHostPattern(p)).toEqual(parts));

  it.each([
    ["web*", "web01", true],
    ["web*", "aweb", false],
    ["w?b", "wab", true],
    ["[!a]x", "bx", true],
    ["[!a]x", "ax", false],
    ["a.b", "aXb", false],
    ["a[", "a[", true],
  ])("glob %j vs %j", (g, s, ok) => expect(fnmatchRegExp(g).test(s)).toBe(ok));
});
