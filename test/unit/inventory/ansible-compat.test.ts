// `keel inventory --list/--graph` must print what `ansible-inventory --list/--graph` prints.
// Compared against stored ansible-core 2.14 output (test/fixtures/inventories/expected), and against
// the installed ansible-inventory's output. That output is replayed from its recording
// (test/recordings/ansible/ansible-compat-inventory.json) while its key holds: the inventories'
// files, the calls, the batch harness and the installed ansible-core/ansible/python3; else, and with
// KEEL_ANSIBLE_LIVE=1, ansible-inventory runs live (KEEL_ANSIBLE_RECORD=1 also rewrites the
// recording). A recorded output keel differs from is checked against a live run before the test fails.
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInventory, pythonJson } from "../../../engine/inventory/index.js";
import { hashTree } from "../../ansible-record.js";
import { debianVersions, RecordedBatch } from "../recorded-batch.js";
import { ANSIBLE_INVENTORY, ansibleBatch, FIXTURES, HARNESS } from "./helpers.js";

const CASES: { name: string; sources: string[]; what: string }[] = [
  { name: "yaml-basic", sources: ["yaml-basic/hosts.yml"], what: "YAML: nested children, ranges, ports, YAML 1.1 scalars, merge keys" },
  { name: "ini-full", sources: ["ini-full/hosts.ini"], what: "INI: ranges, children declared early, :vars, Python literal values" },
  { name: "vars-dirs", sources: ["vars-dirs/hosts.yml"], what: "group_vars/ and host_vars/ as files and folders" },
  { name: "script", sources: ["script/inventory.py"], what: "executable inventory script with _meta.hostvars" },
  { name: "script-no-meta", sources: ["script-no-meta/inventory.py"], what: "script without _meta: --host per host; a group given as host vars" },
  { name: "dir-multi", sources: ["dir-multi"], what: "directory of inventories (YAML, extensionless INI, ignored .ini/.md)" },
  { name: "multi", sources: ["multi-a/hosts", "multi-b/hosts.yml"], what: "two -i sources merged" },
  { name: "shipped-example-yml", sources: ["../../../inventories/example.yml"], what: "the shipped YAML example" },
  { name: "shipped-example-ini", sources: ["../../../inventories/example.ini"], what: "the shipped INI example" },
  { name: "shipped-localhost-yml", sources: ["../../../inventories/localhost.yml"], what: "the built-in default inventory" },
];

const argsOf = (sources: string[]) => sources.flatMap((s) => ["-i", s]);
/** The hosts whose `--host` output is compared: the first four keel lists. */
const hostsOf = async (sources: string[]) => (await loadInventory(sources, { cwd: FIXTURES })).hosts().slice(0, 4);

/** Every `ansible-inventory` call of this file: --list, --graph and --host per case. */
async function calls(): Promise<string[][]> {
  const out: string[][] = [];
  for (const { sources } of CASES) {
    const args = argsOf(sources);
    // a case keel cannot load fails in its own tests; the others still get their calls
    const hosts = await hostsOf(sources).catch(() => []);
    out.push([...args, "--list"], [...args, "--graph"], ...hosts.map((h) => [...args, "--host", h]));
  }
  return out;
}

/** Each call's stdout (or its error), keyed by its arguments: recorded, or all in one live ansibleBatch. */
const ansible = new RecordedBatch<string | { error: string }>(
  "ansible-compat-inventory",
  async () => {
    // each source's folder, whole (group_vars/, host_vars/, scripts beside it)
    const folders = [
      ...new Set(CASES.flatMap((c) => c.sources).map((s) => (statSync(join(FIXTURES, s)).isDirectory() ? join(FIXTURES, s) : dirname(join(FIXTURES, s))))),
    ].sort();
    return {
      inventories: folders.map((f) => `${f.slice(FIXTURES.length)}:${hashTree(f)}`).join(" "),
      calls: JSON.stringify(await calls()),
      harness: HARNESS,
      python: debianVersions(["python3"]),
    };
  },
  async () => {
    const all = await calls();
    const out = await ansibleBatch(ANSIBLE_INVENTORY!, all);
    return Object.fromEntries(all.map((c, i) => [JSON.stringify(c), out[i] instanceof Error ? { error: out[i].message } : out[i]!]));
  },
);

/** keel's `text` for `ansible-inventory ARGS`, and Ansible's (recorded, or live when they differ). */
async function ansibleInventory(args: string[], text: string): Promise<string> {
  const r = await ansible.expected(JSON.stringify(args), text);
  if (typeof r !== "string") throw new Error(r.error);
  return r;
}

describe.each(CASES)("$name ($what)", ({ name, sources }) => {
  const args = argsOf(sources);

  it("--list equals the stored ansible-inventory output", async () => {
    const inv = await loadInventory(sources, { cwd: FIXTURES });
    const expected = readFileSync(join(FIXTURES, "expected", `${name}.list.json`), "utf8");
    expect(pythonJson(inv.toAnsibleList()) + "\n").toBe(expected);
  });

  it("--graph equals the stored ansible-inventory output", async () => {
    const inv = await loadInventory(sources, { cwd: FIXTURES });
    const expected = readFileSync(join(FIXTURES, "expected", `${name}.graph.txt`), "utf8");
    expect(inv.graph() + "\n").toBe(expected);
  });

  it.skipIf(!ANSIBLE_INVENTORY)(
    "--list and --graph equal ansible-inventory's",
    async () => {
      const inv = await loadInventory(sources, { cwd: FIXTURES });
      const list = pythonJson(inv.toAnsibleList()) + "\n";
      expect(list).toBe(await ansibleInventory([...args, "--list"], list));
      const graph = inv.graph() + "\n";
      expect(graph).toBe(await ansibleInventory([...args, "--graph"], graph));
      // the first live test waits for the whole batch of ansible-inventory runs: 16 s on an idle
      // machine, over the unit tests' 60 s beside the suite's e2e lanes (the full run of 2026-12-04)
    },
    300_000,
  );

  it.skipIf(!ANSIBLE_INVENTORY)(
    "--host equals ansible-inventory's for every host",
    async () => {
      const inv = await loadInventory(sources, { cwd: FIXTURES });
      for (const h of await hostsOf(sources)) {
        const vars = pythonJson(inv.hostVars(h)) + "\n";
        expect(vars, h).toBe(await ansibleInventory([...args, "--host", h], vars));
      }
    },
    300_000,
  );
});
