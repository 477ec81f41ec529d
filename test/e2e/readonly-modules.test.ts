// End to end: the read-only modules (files.stat, files.find, system.getent, system.ping) through the real
// `keel run` over SSH against lab04, and their registered results compared field by field with
// what ansible-core (installed on this machine) returns for the same paths on the same host.
// Everything lives under /tmp/modsa-ro on lab04 and is removed afterwards.
// Ansible's side (each `ansible -m` result the tests read) is replayed from
// test/recordings/ansible/readonly-modules-*.json while its key holds (the module and arguments,
// the fixture commands, this harness, the installed Ansible, the lab's python3 and base-files);
// keel always runs live. A result keel does not match sends the test to a live Ansible
// (test/e2e/ansible-replay.ts). KEEL_ANSIBLE_LIVE=1 runs Ansible live; KEEL_ANSIBLE_RECORD=1 also
// rewrites the recordings. Replayed stat results get the host's current inode, dev, mtime and
// ctime of each path (os.lstat, as Ansible's stat reads them): the fixture is remade on each run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
import { describeLab, INVENTORY, INVENTORY_INI, PRIVATE_KEY, keel, ssh, ansibleEnv, spawnAsync } from "./lab.js";

const HOST = "lab04";
const BASE = "/tmp/modsa-ro";

interface TaskEvent {
  type: string;
  host: string;
  task: { name: string };
  result: { status: string; msg?: string; reason?: string };
}

let dir = "";

const FIXTURE = `rm -rf ${BASE} && mkdir -p ${BASE}/tree/sub/.hid && printf 'hello\\nfoo=1\\n' > ${BASE}/tree/a.txt && printf 'x\\n' > ${BASE}/tree/b.log && printf 'foo\\n' > ${BASE}/tree/sub/c.conf && printf 'q\\n' > ${BASE}/tree/sub/.hid/d.txt && ln -s a.txt ${BASE}/tree/lnk && touch -d '10 days ago' ${BASE}/tree/b.log`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keel-ro-"));
  const r = await ssh(HOST, FIXTURE);
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

/** The key of the recording of `ansible -m module -a args` (and what the test keeps of it, `what`). */
function parts(module: string, args: string, what: string, fixture = FIXTURE): Record<string, string> {
  return {
    call: `${module} ${args}`,
    what,
    fixture: sha256(fixture),
    harness: sha256([ansible, ansibleEnv, hostStat].map((f) => f.toString()).join("\n")),
    lab: labPackageVersions(["python3", "python3-minimal", "base-files"]),
  };
}

const VOLATILE = ["inode", "dev", "mtime", "ctime"] as const;

/** os.lstat of each path on the host: the stat fields that change each time the fixture is made. */
async function hostStat(paths: string[]): Promise<Record<string, Record<string, number>>> {
  const py = `import os,json,sys\nprint(json.dumps({p: (lambda s: {"inode": s.st_ino, "dev": s.st_dev, "mtime": s.st_mtime, "ctime": s.st_ctime})(os.lstat(p)) for p in sys.argv[1:]}))`;
  const r = await ssh(HOST, `python3 -c '${py}' ${paths.join(" ")}`);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, Record<string, number>>;
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
    const keelFind = JSON.parse(r.results.get("show find")!.msg!) as Record<string, unknown>;
    type StatFind = { stat: Record<string, unknown>; find: Record<string, unknown> };
    const findArgs = `paths=${BASE}/tree recurse=true contains=foo hidden=true`;
    await checkAgainstAnsible<StatFind>(
      "readonly-modules-stat-find",
      parts("stat+find", `path=${BASE}/tree/a.txt; ${findArgs}`, "stat; find files, matched, examined, msg"),
      async () => {
        const stat = (await ansible("stat", `path=${BASE}/tree/a.txt`)).stat as Record<string, unknown>;
        const f = await ansible("find", findArgs);
        return { stat, find: { files: f.files, matched: f.matched, examined: f.examined, msg: f.msg } };
      },
      async (rec, source) => {
        const ans = structuredClone(rec);
        const files = ans.find.files as Record<string, unknown>[];
        if (source.startsWith("recorded")) {
          const now = await hostStat([String(ans.stat.path), ...files.map((f) => String(f.path))]);
          for (const o of [ans.stat, ...files]) for (const k of VOLATILE) o[k] = now[String(o.path)]![k];
        }
        // atime moves when ansible (or keel) reads the file; everything else must be identical
        const { atime: _k, ...ks } = keelStat;
        const { atime: _a, ...as } = ans.stat;
        expect(ks).toEqual(as);
        const strip = (fs: Record<string, unknown>[]) => fs.map(({ atime: _t, ...f }) => f);
        expect(strip(keelFind.files as Record<string, unknown>[])).toEqual(strip(files));
        expect([keelFind.matched, keelFind.examined, keelFind.msg]).toEqual([ans.find.matched, ans.find.examined, ans.find.msg]);
      },
    );
  });

  it("getent with a missing key fails as Ansible's does, before anything else runs", async () => {
    const r = await play(`- name: missing\n  getent: { database: passwd, key: nosuchuser-modsa }\n`);
    expect(r.code).toBe(2);
    expect(r.results.get("missing")).toMatchObject({ status: "failed", msg: expect.stringContaining("One or more supplied key could not be found") });
  });

  it("ping returns Ansible's `ping` (data, default pong), proves become, and data: crash fails as Ansible's", async () => {
    const r = await play(
      [
        "- name: default\n  ping:\n  register: p1",
        "- name: data\n  ansible.builtin.ping: { data: hello }\n  register: p2",
        "- name: as nobody\n  ping:\n  become: true\n  become_user: nobody",
        "- name: show\n  debug: { msg: \"{{ {'p1': p1.ping, 'p2': p2.ping, 'changed': p1.changed or p2.changed} | to_json }}\" }",
        "- name: crash\n  ping: { data: crash }\n  register: p3\n  ignore_errors: true",
        "- name: crash msg\n  debug: { msg: \"{{ {'failed': p3.failed, 'msg': p3.msg.split('\\n')[0]} | to_json }}\" }",
        "- name: no such become user\n  ping:\n  become: true\n  become_user: nosuchuser-modsa\n  ignore_errors: true",
      ].join("\n"),
    );
    expect(r.code, r.out).toBe(0);
    expect(r.results.get("default")?.status).toBe("ok");
    // the probe ran through sudo as the become user; an unknown one fails the task
    expect(r.results.get("as nobody")).toMatchObject({ status: "ok", reason: "pong: logged in and ran a shell command as nobody" });
    expect(r.results.get("no such become user")).toMatchObject({ status: "failed", msg: expect.stringContaining("unknown user nosuchuser-modsa") });
    const keelPing = JSON.parse(r.results.get("show")!.msg!) as Record<string, unknown>;
    const keelCrash = JSON.parse(r.results.get("crash msg")!.msg!) as Record<string, unknown>;
    type Ping = { p1: unknown; p2: unknown; changed: boolean; crash: { failed: boolean; msg: string } };
    await checkAgainstAnsible<Ping>(
      "readonly-modules-ping",
      parts("ping", "; data=hello; data=crash", "ping of each; changed; crash's failed and first line of msg"),
      async () => {
        const a = await ansible("ping", "");
        const b = await ansible("ping", "data=hello");
        const c = await ansible("ping", "data=crash");
        return {
          p1: a.ping,
          p2: b.ping,
          changed: Boolean(a.changed) || Boolean(b.changed),
          crash: { failed: c.failed === true || /MODULE FAILURE/.test(String(c.msg)), msg: String(c.msg).split("\n")[0]! },
        };
      },
      (ans) => {
        expect(keelPing).toEqual({ p1: ans.p1, p2: ans.p2, changed: ans.changed });
        expect(keelCrash).toEqual(ans.crash);
      },
    );
  });

  it("the facts probe gives Ansible's values for the fact list (live ansible -m setup on the same host)", async () => {
    const r = await keel(["facts", HOST, "--ansible", "-i", INVENTORY]);
    expect(r.code, r.stderr).toBe(0);
    const k = JSON.parse(r.stdout) as Record<string, unknown>;
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
    // mounts: the same entries; free space moves between the two reads
    const strip = (m: unknown) =>
      (m as Record<string, unknown>[]).map(({ block_available: _1, block_used: _2, size_available: _3, inode_available: _4, inode_used: _5, ...rest }) => rest);
    // memory moves between the two reads; the totals do not
    const mem = (m: unknown) => ({ total: (m as { real: { total: number } }).real.total, swap: (m as { swap: { total: number } }).swap.total });
    // sysfs lists interfaces in an order that changes each time the host's network namespace is
    // made (another test may reset the host between the two reads), and so does machine-id
    const sorted = (l: unknown) => [...(l as string[])].sort();
    type Setup = { facts: Record<string, unknown>; mounts: unknown; dateTimeKeys: string[]; epoch: number; interfaces: string[]; mem: unknown };
    await checkAgainstAnsible<Setup>(
      "readonly-modules-setup",
      parts("setup", "", JSON.stringify(same) + [strip, mem, sorted].map((f) => f.toString()).join("\n")),
      async () => {
        const a = (await ansible("setup", "")).ansible_facts as Record<string, unknown>;
        const dt = a.ansible_date_time as Record<string, string>;
        const facts = Object.fromEntries(same.map((f) => [f, a[`ansible_${f}`]]));
        return {
          facts,
          mounts: strip(a.ansible_mounts),
          dateTimeKeys: Object.keys(dt).sort(),
          epoch: Number(dt.epoch),
          interfaces: sorted(a.ansible_interfaces),
          mem: mem(a.ansible_memory_mb),
        };
      },
      (a, source) => {
        for (const f of same) expect([f, k[`ansible_${f}`]]).toEqual([f, a.facts[f]]);
        expect(strip(k.ansible_mounts)).toEqual(a.mounts);
        const dt = k.ansible_date_time as Record<string, string>;
        expect(Object.keys(dt).sort()).toEqual(a.dateTimeKeys);
        // a recorded epoch is old: keel's is then compared with this machine's clock (the lab
        // hosts are network namespaces of this machine's kernel)
        const epoch = source.startsWith("recorded") ? Date.now() / 1000 : a.epoch;
        expect(Math.abs(Number(dt.epoch) - epoch)).toBeLessThan(120);
        expect(sorted(k.ansible_interfaces)).toEqual(a.interfaces);
        expect(mem(k.ansible_memory_mb)).toEqual(a.mem);
      },
    );
    expect((k.ansible_env as Record<string, string>).HOME).toBe("/root");
    expect(k.ansible_machine_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("setup fact_path: ansible_local as ansible-core's setup reads the same *.fact files (JSON, INI, executable, failing)", async () => {
    const fp = `${BASE}/facts.d`;
    const facts = `mkdir -p ${fp} && printf '{"v": [1, "a"], "ok": true}\\n' > ${fp}/app.fact && printf '[DEFAULT]\\nenv = prod\\n[Main]\\nName = web\\npath = /srv/%%(env)s\\n' > ${fp}/ini.fact && printf '#!/bin/sh\\necho "{\\\\"pid\\\\": \\\\"$(id -u)\\\\"}"\\n' > ${fp}/run.fact && printf '#!/bin/sh\\necho no >&2; exit 4\\n' > ${fp}/bad.fact && chmod +x ${fp}/run.fact ${fp}/bad.fact && printf 'words\\n' > ${fp}/text.fact`;
    const w = await ssh(HOST, facts);
    expect(w.code, w.stderr).toBe(0);
    const r = await play(
      `- name: local facts\n  setup: { fact_path: ${fp}, filter: ansible_local }\n  register: lf\n- name: show local\n  debug: { msg: "{{ lf.ansible_facts.ansible_local | to_json }}" }\n- name: as a variable\n  assert: { that: ["ansible_local.ini.Main.name == 'web'", "ansible_local.run.pid == '0'"] }\n`,
    );
    expect(r.code, r.out).toBe(0);
    const mine = JSON.parse(r.results.get("show local")!.msg!) as Record<string, unknown>;
    expect(mine.ini).toEqual({ Main: { name: "web", path: "/srv/prod", env: "prod" } });
    const args = `fact_path=${fp} filter=ansible_local`;
    await checkAgainstAnsible(
      "readonly-modules-local-facts",
      parts("setup", args, "ansible_local", FIXTURE + facts),
      async () => ((await ansible("setup", args)).ansible_facts as Record<string, unknown>).ansible_local,
      (theirs) => expect(mine).toEqual(theirs),
    );
  });

  it("gather_subset !all,min gathers no fact that Ansible's minimal subset lacks", async () => {
    const r = await play(
      `- name: min facts\n  setup: { gather_subset: ["!all", "min"] }\n  register: m\n- name: show min\n  debug: { msg: "{{ m.ansible_facts | list | to_json }}" }\n`,
    );
    expect(r.code, r.out).toBe(0);
    const keelKeys = JSON.parse(r.results.get("show min")!.msg!) as string[];
    expect(keelKeys).toContain("ansible_distribution");
    expect(keelKeys).toContain("ansible_python");
    await checkAgainstAnsible(
      "readonly-modules-min-subset",
      parts("setup", "gather_subset=!all,min", "fact names"),
      async () => Object.keys((await ansible("setup", "gather_subset=!all,min")).ansible_facts as object),
      // with gather_facts: false, keel's setup does not know the inventory's interpreter, so it discovers one
      (ansKeys) => expect(keelKeys.filter((x) => !ansKeys.includes(x) && x !== "discovered_interpreter_python")).toEqual([]),
    );
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
    const keelNet = JSON.parse(r.results.get("show net")!.msg!) as string[];
    await checkAgainstAnsible(
      "readonly-modules-network-subset",
      parts("setup", "gather_subset=!all,!min,network", "fact names"),
      async () => Object.keys((await ansible("setup", "gather_subset=!all,!min,network")).ansible_facts as object),
      // every fact keel returns, Ansible returns too (keel gathers no per-interface ansible_<if> facts)
      (ans) => expect(keelNet.filter((k) => !ans.includes(k) && k !== "discovered_interpreter_python")).toEqual([]),
    );
    expect(keelNet).toContain("ansible_distribution");
    expect(keelNet).not.toContain("ansible_pkg_mgr");
    expect(JSON.parse(r.results.get("show kept")!.msg!)).toEqual(["apt", "root", "Debian", ["!all", "!min", "network"]]);
  });
});
