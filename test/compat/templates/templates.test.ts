// Template corpus (issue 15 item 8): real templates of public roles (manifest.json names each
// one's repository and commit; the files are copied verbatim with the repository's LICENSE), each
// rendered by ansible-core's template module and by keel's files.template with the same variables,
// compared byte for byte. ansible-playbook renders them all in ONE run (connection local, every
// dest in a fresh temporary directory, never outside it); keel renders them through the module's
// prepare(), as `keel run` does. Prints a table; fails on any difference.
// Ansible's renderings (each dest's sha256 and size, or none when its task failed) are replayed from
// test/recordings/ansible/templates-renders.json while the key holds: this folder's files (the
// templates, the manifest, this harness), the installed Ansible and this machine's python3 and
// Jinja2. keel always renders live. If any rendering differs from the recording,
// ansible-playbook renders the corpus live and keel is compared with that (test/e2e/ansible-replay.ts),
// so the table's details come from a live run. KEEL_ANSIBLE_LIVE=1 renders live; KEEL_ANSIBLE_RECORD=1
// also rewrites the recording.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import template from "../../../modules/files/template.js";
import { readYaml, varsMap } from "../../../engine/playbook/readers.js";
import { layerVars } from "../../../engine/template/index.js";
import { debianVersions, hashTree, sha256 } from "../../ansible-record.js";
import { checkAgainstAnsible } from "../../e2e/ansible-replay.js";

interface Entry {
  path: string;
  vars?: Record<string, unknown>;
}
interface Role {
  name: string;
  repo: string;
  commit: string;
  path: string;
  varsFiles: string[];
  vars: Record<string, unknown>;
  templates: Entry[];
}
const here = import.meta.dirname;
const manifest = JSON.parse(readFileSync(join(here, "manifest.json"), "utf8")) as { facts: Record<string, unknown>; roles: Role[] };
const work = mkdtempSync(join(tmpdir(), "keel-tplcorpus-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Two local "hosts" take alternate templates (strategy free), so ansible-playbook uses both cores. */
const HOSTS = ["k0", "k1"];
const cases = manifest.roles.flatMap((r) => r.templates.map((t, k) => ({ role: r, t, id: `${r.name}-${k}`, src: join(here, r.name, t.path), host: "" }))).map((c, n) => ({ ...c, host: HOSTS[n % HOSTS.length]! }));

function sh(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    // the machine's own ANSIBLE_* settings must not change the result
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ANSIBLE_")));
    execFile(cmd, args, { env: { ...base, ...env }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: String(stdout) + String(stderr) });
    });
  });
}

/** One ansible-playbook run: a play per role (facts as play vars, the role's files as vars_files), a template task per file. */
async function ansibleRender(): Promise<string> {
  const plays = manifest.roles.map((r) => ({
    name: r.name,
    hosts: "all",
    connection: "local",
    gather_facts: false,
    strategy: "free",
    vars: manifest.facts,
    vars_files: r.varsFiles.map((f) => join(here, r.name, f)),
    tasks: r.templates.map((t, k) => ({
      name: `${r.name}/${t.path}`,
      "ansible.builtin.template": { src: join(here, r.name, t.path), dest: join(work, "ansible", `${r.name}-${k}`), mode: "0600" },
      when: `inventory_hostname == '${cases.find((c) => c.id === `${r.name}-${k}`)!.host}'`,
      ignore_errors: true,
      vars: { ...r.vars, ...t.vars },
    })),
  }));
  const pb = join(work, "corpus.yml");
  writeFileSync(pb, stringify(plays));
  writeFileSync(join(work, "ansible.cfg"), "[defaults]\n");
  const env = {
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_RETRY_FILES_ENABLED: "0",
    ANSIBLE_DEPRECATION_WARNINGS: "0",
    ANSIBLE_LOCALHOST_WARNING: "0",
    ANSIBLE_INVENTORY_UNPARSED_WARNING: "0",
    ANSIBLE_CONFIG: join(work, "ansible.cfg"),
    ANSIBLE_LOCAL_TEMP: join(work, "tmp"),
  };
  (await sh("mkdir", ["-p", join(work, "ansible"), join(work, "tmp")], {})).code;
  const inv = join(work, "hosts");
  writeFileSync(inv, HOSTS.map((h) => `${h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n`).join(""));
  const r = await sh("ansible-playbook", ["-i", inv, "-f", String(HOSTS.length), pb], env);
  return r.out;
}

/** keel's rendering through files.template's prepare(), with the same variable layers. */
function keelRender(c: (typeof cases)[number]): string {
  const files: Record<string, unknown> = {};
  for (const f of c.role.varsFiles) {
    const y = readYaml(join(here, c.role.name, f));
    if (y.root) Object.assign(files, varsMap(y, y.root, "vars file"));
  }
  const vars = layerVars({ playVars: { ...manifest.facts, inventory_hostname: c.host }, varsFiles: files, taskVars: { ...c.role.vars, ...c.t.vars } });
  const dirs = [join(here, c.role.name)];
  const args = template.prepare!(
    { src: c.src, dest: join(work, "keel", c.id) },
    {
      searchDirs: dirs,
      vars,
      check: false,
      render: () => {
        throw new Error("files.template renders through engine/template");
      },
      readLocal: (_sub, rel) => readFileSync(rel),
    },
  );
  return String(args.content);
}

describe("template corpus: keel renders real role templates byte for byte as ansible-core", () => {
  it(`${cases.length} templates from ${manifest.roles.length} roles`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    type Render = { sha256: string; bytes: number } | null;
    let log = "";
    let t1 = 0;
    const t0 = Date.now();
    // Ansible renders with this machine's python3 and Jinja2
    const local = debianVersions(["python3", "python3-jinja2", "python3-yaml"]);
    const mine = new Map(
      cases.map((c) => {
        try {
          return [c.id, keelRender(c)];
        } catch (e) {
          return [c.id, `ERROR: ${(e as Error).message}`];
        }
      }),
    );
    const t2 = Date.now();
    const { source } = await checkAgainstAnsible<Record<string, Render>>(
      "templates-renders",
      { corpus: hashTree(here), local },
      async () => {
        log = await ansibleRender();
        t1 = Date.now();
        return Object.fromEntries(
          cases.map((c) => {
            const f = join(work, "ansible", c.id);
            if (!existsSync(f)) return [c.id, null];
            const text = readFileSync(f, "utf8");
            return [c.id, { sha256: sha256(text), bytes: Buffer.byteLength(text) }];
          }),
        );
      },
      (renders, source) => {
        const rows: string[] = [];
        const bad: string[] = [];
        for (const c of cases) {
          const want = renders[c.id] ?? undefined;
          const got = mine.get(c.id)!;
          const verdict = want === undefined ? "ansible failed" : sha256(got) === want.sha256 ? "same" : got.startsWith("ERROR: ") ? "keel failed" : "DIFFERENT";
          rows.push(`${verdict.padEnd(15)} ${String(want?.bytes ?? "-").padStart(6)} ${`${c.role.name}/${c.t.path}`}`);
          if (verdict !== "same") {
            let detail = got.startsWith("ERROR: ") ? got : "";
            const file = join(work, "ansible", c.id);
            if (verdict === "DIFFERENT" && existsSync(file)) {
              const a = readFileSync(file, "utf8").split("\n");
              const b = got.split("\n");
              const k = a.findIndex((l, i) => l !== b[i]);
              detail = `first difference at line ${k + 1}:\n  ansible: ${JSON.stringify(a[k])}\n  keel:    ${JSON.stringify(b[k])}`;
            }
            if (verdict === "ansible failed") detail = (new RegExp(`TASK \\[${c.role.name}/${c.t.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\][\\s\\S]*?(fatal:[^\\n]*)`).exec(log)?.[1] ?? "").slice(0, 400);
            bad.push(`${c.role.name}/${c.t.path} (${c.role.repo}@${c.role.commit.slice(0, 10)}): ${verdict}\n${detail}`);
          }
        }
        console.log(`ansible-playbook: ${source}${t1 ? ` ${((t1 - t0) / 1000).toFixed(1)} s` : ""}, keel ${((t2 - t0) / 1000).toFixed(1)} s`);
        console.log(`template corpus (${cases.length} templates):\nverdict          bytes template\n${rows.join("\n")}\n${cases.length - bad.length}/${cases.length} byte-identical`);
        if (bad.some((b) => b.includes("ansible failed")) && log) console.log(`ansible-playbook's output:\n${log.slice(-4000)}`);
        expect(bad, bad.join("\n\n")).toEqual([]);
      },
    );
    console.log(`Ansible's renderings: ${source}`);
  }, 600_000);
});
