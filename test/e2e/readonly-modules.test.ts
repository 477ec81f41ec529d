// End to end: the read-only modules (files.stat, files.find, system.getent) through the real
// `keel run` over SSH against lab04, and their registered results compared field by field with
// what ansible-core (installed on this machine) returns for the same paths on the same host.
// Everything lives under /tmp/modsa-ro on lab04 and is removed afterwards.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, INVENTORY, INVENTORY_INI, PRIVATE_KEY, keel, ssh, ansibleEnv, spawnAsync } from "./lab.js";

const HOST = "lab04";
const BASE = "/tmp/modsa-ro";

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; msg?: string };
}

let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keel-ro-"));
  const r = await ssh(
    HOST,
    `rm -rf ${BASE} && mkdir -p ${BASE}/tree/sub/.hid && printf 'hello\\nfoo=1\\n' > ${BASE}/tree/a.txt && printf 'x\\n' > ${BASE}/tree/b.log && printf 'foo\\n' > ${BASE}/tree/sub/c.conf && printf 'q\\n' > ${BASE}/tree/sub/.hid/d.txt && ln -s a.txt ${BASE}/tree/lnk && touch -d '10 days ago' ${BASE}/tree/b.log`,
  );
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await ssh(HOST, `rm -rf ${BASE}`);
});

/** Runs a playbook of `tasks` (YAML text) on lab04; returns the report's task results and debug messages by task name. */
async function play(tasks: string, ...extra: string[]): Promise<{ code: number; out: string; results: Map<string, TaskEvent["result"]> }> {
  const pb = join(dir, `pb-${Date.now()}.yml`);
  writeFileSync(pb, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.replace(/^/gm, "    ")}\n`);
  const json = join(dir, "report.json");
  const r = await keel(["run", pb, "-i", INVENTORY, "--limit", HOST, "--json", json, ...extra]);
  const report = JSON.parse(readFileSync(json, "utf8")) as { events: TaskEvent[] };
  const results = new Map<string, TaskEvent["result"]>();
  for (const e of report.events) if (e.type === "task.result" && e.host === HOST) results.set(e.task.name, e.result);
  return { code: r.code, out: `${r.stdout}\n${r.stderr}`, results };
}

/** ansible-core's module result for the same host (python3 is on the lab hosts). */
async function ansible(module: string, args: string): Promise<Record<string, unknown>> {
  const r = await spawnAsync("ansible", [HOST, "-i", INVENTORY_INI, "-m", module, "-a", args, "-o", "--private-key", PRIVATE_KEY, "-u", "root"], {
    encoding: "utf8",
    env: ansibleEnv(dir),
  });
  const m = /=> (\{.*\})\s*$/s.exec(r.stdout);
  if (!m) throw new Error(`ansible ${module} gave no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(m[1]!) as Record<string, unknown>;
}

const TASKS = `
- name: stat a file
  stat: { path: ${BASE}/tree/a.txt }
  register: st
- name: stat a link
  stat: { path: ${BASE}/tree/lnk, get_mime: false }
  register: sl
- name: stat missing
  ansible.builtin.stat: { path: ${BASE}/nope }
  register: sm
- name: find recurse contains
  find: { paths: ${BASE}/tree, recurse: true, contains: foo, hidden: true }
  register: fd
- name: find old
  find: { paths: "${BASE}/tree,${BASE}/none", age: 5d }
  register: fo
- name: getent root
  getent: { database: passwd, key: root }
- name: setup user facts
  setup: { filter: "ansible_user_*" }
  register: su
- name: check
  assert:
    that:
      - st.stat.exists and st.stat.isreg and st.stat.mode == '0644' and st.stat.pw_name == 'root'
      - st.stat.checksum == 'bd9b6475ab01d6b78ddbfc774b698d866f6b9410'
      - sl.stat.islnk and sl.stat.lnk_target == 'a.txt' and sl.stat.lnk_source == '${BASE}/tree/a.txt'
      - not sm.stat.exists
      - fd.matched == 2
      - fd.files | map(attribute='path') | sort | list == ['${BASE}/tree/a.txt', '${BASE}/tree/sub/c.conf']
      - fo.matched == 1 and fo.files[0].path == '${BASE}/tree/b.log'
      - fo.skipped_paths['${BASE}/none'] is defined
      - getent_passwd.root[4] == '/root'
      - ansible_facts.getent_passwd.root[0] == 'x'
      - su.ansible_facts.ansible_user_dir == '/root' and su.ansible_facts.ansible_distribution is not defined
      - ansible_user_dir == '/root' and ansible_facts.user_shell == '/bin/bash'
- name: show stat
  debug: { msg: "{{ st.stat | to_json }}" }
- name: show find
  debug: { msg: "{{ fd | to_json }}" }
`;

describeLab("read-only modules on a lab host", () => {
  it("stat, find and getent register Ansible's shapes; a run and --check agree and change nothing", async () => {
    const sha = await ssh(HOST, `sha1sum < ${BASE}/tree/a.txt`);
    expect(sha.stdout.split(" ")[0]).toBe("bd9b6475ab01d6b78ddbfc774b698d866f6b9410");
    for (const extra of [[], ["--check"]]) {
      const r = await play(TASKS, ...extra);
      expect(r.code, r.out).toBe(0);
      for (const [name, res] of r.results) expect([name, res.status]).toEqual([name, "ok"]);
      expect(r.results.get("check")?.status).toBe("ok");
    }
  });

  it("matches ansible-core's stat and find results for the same paths", async () => {
    const r = await play(TASKS);
    expect(r.code, r.out).toBe(0);
    const keelStat = JSON.parse(r.results.get("show stat")!.msg!) as Record<string, unknown>;
    const ansStat = (await ansible("stat", `path=${BASE}/tree/a.txt`)).stat as Record<string, unknown>;
    // atime moves when ansible (or keel) reads the file; everything else must be identical
    delete keelStat.atime;
    delete ansStat.atime;
    expect(keelStat).toEqual(ansStat);
    const keelFind = JSON.parse(r.results.get("show find")!.msg!) as Record<string, unknown>;
    const ansFind = await ansible("find", `paths=${BASE}/tree recurse=true contains=foo hidden=true`);
    const strip = (files: Record<string, unknown>[]) => files.map(({ atime: _a, ...f }) => f);
    expect(strip(keelFind.files as Record<string, unknown>[])).toEqual(strip(ansFind.files as Record<string, unknown>[]));
    expect([keelFind.matched, keelFind.examined, keelFind.msg]).toEqual([ansFind.matched, ansFind.examined, ansFind.msg]);
  });

  it("getent with a missing key fails as Ansible's does, before anything else runs", async () => {
    const r = await play(`- name: missing\n  getent: { database: passwd, key: nosuchuser-modsa }\n`);
    expect(r.code).toBe(2);
    expect(r.results.get("missing")).toMatchObject({ status: "failed", msg: expect.stringContaining("One or more supplied key could not be found") });
  });

  it("the facts probe gives Ansible's values for the fact list (live ansible -m setup on the same host)", async () => {
    const r = await keel(["facts", HOST, "--ansible", "-i", INVENTORY]);
    expect(r.code, r.stderr).toBe(0);
    const k = JSON.parse(r.stdout) as Record<string, unknown>;
    const a = (await ansible("setup", "")).ansible_facts as Record<string, unknown>;
    const same = [
      "user_id",
      "user_dir",
      "user_uid",
      "user_gid",
      "user_shell",
      "user_gecos",
      "default_ipv4",
      "default_ipv6",
      "all_ipv4_addresses",
      "all_ipv6_addresses",
      "processor_vcpus",
      "memtotal_mb",
      "service_mgr",
      "virtualization_type",
      "virtualization_role",
      "distribution",
      "distribution_major_version",
      "distribution_release",
      "os_family",
      // engine/facts/more.ts
      "distribution_version",
      "distribution_minor_version",
      "python",
      "python_version",
      "selinux",
      "selinux_python_present",
      "apparmor",
      "lsb",
      "local",
      "cmdline",
      "proc_cmdline",
      "dns",
      "fqdn",
      "domain",
      "hostname",
      "nodename",
      "kernel",
      "kernel_version",
      "architecture",
      "machine",
      "system",
      "pkg_mgr",
      "userspace_bits",
      "userspace_architecture",
      "effective_user_id",
      "effective_group_id",
      "real_user_id",
      "real_group_id",
      "fips",
      "processor",
      "processor_count",
      "processor_cores",
      "processor_threads_per_core",
      "processor_nproc",
      "swaptotal_mb",
    ];
    for (const f of same) expect([f, k[`ansible_${f}`]]).toEqual([f, a[`ansible_${f}`]]);
    // mounts: the same entries; free space moves between the two reads
    const strip = (m: unknown) =>
      (m as Record<string, unknown>[]).map(({ block_available: _1, block_used: _2, size_available: _3, inode_available: _4, inode_used: _5, ...rest }) => rest);
    expect(strip(k.ansible_mounts)).toEqual(strip(a.ansible_mounts));
    const dt = k.ansible_date_time as Record<string, string>;
    expect(Object.keys(dt).sort()).toEqual(Object.keys(a.ansible_date_time as object).sort());
    expect(Math.abs(Number(dt.epoch) - Number((a.ansible_date_time as Record<string, string>).epoch))).toBeLessThan(120);
    expect((k.ansible_env as Record<string, string>).HOME).toBe("/root");
    // sysfs lists interfaces in an order that changes each time the host's network namespace is
    // made (another test may reset the host between the two reads), and so does machine-id
    expect([...(k.ansible_interfaces as string[])].sort()).toEqual([...(a.ansible_interfaces as string[])].sort());
    expect(k.ansible_machine_id).toMatch(/^[0-9a-f]{32}$/);
    // memory moves between the two reads; the totals do not
    const mem = (m: unknown) => ({ total: (m as { real: { total: number } }).real.total, swap: (m as { swap: { total: number } }).swap.total });
    expect(mem(k.ansible_memory_mb)).toEqual(mem(a.ansible_memory_mb));
  });

  it("setup fact_path: ansible_local as ansible-core's setup reads the same *.fact files (JSON, INI, executable, failing)", async () => {
    const fp = `${BASE}/facts.d`;
    const w = await ssh(
      HOST,
      `mkdir -p ${fp} && printf '{"v": [1, "a"], "ok": true}\\n' > ${fp}/app.fact && printf '[DEFAULT]\\nenv = prod\\n[Main]\\nName = web\\npath = /srv/%%(env)s\\n' > ${fp}/ini.fact && printf '#!/bin/sh\\necho "{\\\\"pid\\\\": \\\\"$(id -u)\\\\"}"\\n' > ${fp}/run.fact && printf '#!/bin/sh\\necho no >&2; exit 4\\n' > ${fp}/bad.fact && chmod +x ${fp}/run.fact ${fp}/bad.fact && printf 'words\\n' > ${fp}/text.fact`,
    );
    expect(w.code, w.stderr).toBe(0);
    const r = await play(
      `- name: local facts\n  setup: { fact_path: ${fp}, filter: ansible_local }\n  register: lf\n- name: show local\n  debug: { msg: "{{ lf.ansible_facts.ansible_local | to_json }}" }\n- name: as a variable\n  assert: { that: ["ansible_local.ini.Main.name == 'web'", "ansible_local.run.pid == '0'"] }\n`,
    );
    expect(r.code, r.out).toBe(0);
    const mine = JSON.parse(r.results.get("show local")!.msg!) as Record<string, unknown>;
    const theirs = ((await ansible("setup", `fact_path=${fp} filter=ansible_local`)).ansible_facts as Record<string, unknown>).ansible_local;
    expect(mine.ini).toEqual({ Main: { name: "web", path: "/srv/prod", env: "prod" } });
    expect(mine).toEqual(theirs);
  });

  it("gather_subset !all,min gathers no fact that Ansible's minimal subset lacks", async () => {
    const r = await play(
      `- name: min facts\n  setup: { gather_subset: ["!all", "min"] }\n  register: m\n- name: show min\n  debug: { msg: "{{ m.ansible_facts | list | to_json }}" }\n`,
    );
    expect(r.code, r.out).toBe(0);
    const keelKeys = JSON.parse(r.results.get("show min")!.msg!) as string[];
    const ansKeys = Object.keys((await ansible("setup", "gather_subset=!all,min")).ansible_facts as object);
    expect(keelKeys).toContain("ansible_distribution");
    expect(keelKeys).toContain("ansible_python");
    // with gather_facts: false, keel's setup does not know the inventory's interpreter, so it discovers one
    expect(keelKeys.filter((x) => !ansKeys.includes(x) && x !== "discovered_interpreter_python")).toEqual([]);
    expect(keelKeys).not.toContain("ansible_processor_vcpus");
    expect(keelKeys).not.toContain("ansible_mounts");
  });

  it("a narrow setup (!all,!min,date_time / network) returns only its collectors' facts and keeps the gathered ones", async () => {
    const r = await play(
      [
        "- name: all facts\n  setup: {}",
        '- name: dt\n  setup: { gather_subset: ["!all", "!min", "date_time"] }\n  register: dt',
        '- name: show dt\n  debug: { msg: "{{ dt.ansible_facts | list | sort | to_json }}" }',
        '- name: net\n  setup: { gather_subset: ["!all", "!min", "network"] }\n  register: net',
        '- name: show net\n  debug: { msg: "{{ net.ansible_facts | list | to_json }}" }',
        '- name: show kept\n  debug: { msg: "{{ [ansible_pkg_mgr, ansible_user_id, ansible_distribution, ansible_facts.gather_subset] | to_json }}" }',
      ].join("\n"),
    );
    expect(r.code, r.out).toBe(0);
    // (keel's setup reports the interpreter it discovered; Ansible only on a host's first module)
    const dt = (JSON.parse(r.results.get("show dt")!.msg!) as string[]).filter((k) => k !== "discovered_interpreter_python");
    expect(dt).toEqual(["ansible_date_time", "gather_subset", "module_setup"]);
    const ans = (await ansible("setup", "gather_subset=!all,!min,network")).ansible_facts as Record<string, unknown>;
    const keelNet = JSON.parse(r.results.get("show net")!.msg!) as string[];
    // every fact keel returns, Ansible returns too (keel gathers no per-interface ansible_<if> facts)
    expect(keelNet.filter((k) => !(k in ans) && k !== "discovered_interpreter_python")).toEqual([]);
    expect(keelNet).toContain("ansible_distribution");
    expect(keelNet).not.toContain("ansible_pkg_mgr");
    expect(JSON.parse(r.results.get("show kept")!.msg!)).toEqual(["apt", "root", "Debian", ["!all", "!min", "network"]]);
  });
});
