// End to end: the registered results roles read, side by side with ansible-core 2.14 on one scratch
// host. The same playbook runs with ansible-playbook (files suffixed -a, nobody's crontab) and with
// keel (-k, daemon's crontab); each registered variable is read back through debug. For every task,
// every key Ansible returns (but the diff, the invocation and the apt/command output texts) must be
// in keel's result, and the values that do not depend on the tool or the moment must be equal:
// apt's cache_updated and cache_update_time (cache_valid_time of ten years: no refresh), cron's jobs
// and envs, ini_file's msg, state, mode, owner and size, replace's rc and msg, command's cmd and msg.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ansibleEnv, describeLab, keel, PRIVATE_KEY, ssh, useScratchHost, type ScratchHost, spawnAsync } from "./lab.js";

const TASKS = `
- { apt: { update_cache: true, cache_valid_time: 315360000 }, register: apt_hit }
- { apt: { name: coreutils }, register: apt_plain }
- { cron: { name: j1, minute: "5", job: /bin/true, user: "{{ cron_user }}" }, register: cron_add }
- { cron: { name: E1, env: true, job: "/usr/bin:/bin", user: "{{ cron_user }}" }, register: cron_env }
- { cron: { name: j1, minute: "5", job: /bin/true, user: "{{ cron_user }}" }, register: cron_same }
- { copy: { dest: "/tmp/rs-{{ sfx }}.txt", content: "foo a\\nfoo b\\nbar\\n" } }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o1, value: v1 }, register: ini_add }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o1, value: v1 }, register: ini_ok }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o2, value: x }, register: ini_opt }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o2, value: y }, register: ini_chg, check_mode: true }
- { replace: { path: "/tmp/rs-{{ sfx }}.txt", regexp: "^foo", replace: baz }, register: rep_two }
- { replace: { path: "/tmp/rs-{{ sfx }}.txt", regexp: "^foo", replace: baz }, register: rep_none }
- { command: echo hi, register: cmd_echo }
- { shell: "echo hi; echo err >&2", register: sh_echo }
`;
const REGS = [...TASKS.matchAll(/register: (\w+)/g)].map((m) => m[1]!);
/** Keys whose values must agree (the others must only exist). */
const SAME: Record<string, string[]> = {
  apt_hit: ["cache_updated", "cache_update_time"],
  apt_plain: ["cache_updated", "cache_update_time"],
  cron_add: ["jobs", "envs"],
  cron_env: ["jobs", "envs"],
  cron_same: ["jobs", "envs"],
  ini_add: ["msg", "state", "mode", "owner", "group", "uid", "gid", "size"],
  ini_ok: ["msg", "state", "mode", "owner", "size"],
  ini_opt: ["msg", "state", "size"],
  ini_chg: ["msg", "state", "size"],
  rep_two: ["rc", "msg"],
  rep_none: ["rc", "msg"],
  cmd_echo: ["cmd", "msg", "rc", "stdout", "stdout_lines", "stderr_lines"],
  sh_echo: ["cmd", "msg", "rc", "stdout", "stderr", "stderr_lines"],
};
/** Ansible keys that are not part of the comparison: its own bookkeeping and free-text output. */
const IGNORED = new Set(["invocation", "diff", "_ansible_no_log", "warnings", "deprecations", "stdout", "stderr", "stdout_lines", "stderr_lines"]);

let dir = "";
let host: () => ScratchHost;

function playbook(): string {
  const p = join(dir, "pb.yml");
  const debug = REGS.map((r) => `- { debug: { var: ${r} } }`).join("\n");
  writeFileSync(p, `- hosts: all\n  gather_facts: false\n  tasks:\n${`${TASKS}\n${debug}`.replace(/^/gm, "    ")}\n`);
  return p;
}

async function ansibleRegs(pb: string): Promise<Record<string, Record<string, unknown>>> {
  const h = host();
  writeFileSync(join(dir, "inv.ini"), `${h.name} ansible_host=${h.address} ansible_user=root\n`);
  const r = await spawnAsync("ansible-playbook", [pb, "-i", join(dir, "inv.ini"), "--private-key", PRIVATE_KEY, "-e", "sfx=a", "-e", "cron_user=nobody"], {
    encoding: "utf8",
    timeout: 400_000,
    env: ansibleEnv(dir, { ANSIBLE_STDOUT_CALLBACK: "json", ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes` }),
  });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { plays: { tasks: { hosts: Record<string, Record<string, unknown>> }[] }[] };
  const regs: Record<string, Record<string, unknown>> = {};
  for (const t of out.plays[0]!.tasks) for (const r of REGS) if (t.hosts[h.name]?.[r] !== undefined) regs[r] = t.hosts[h.name]![r] as Record<string, unknown>;
  return regs;
}

async function keelRegs(pb: string): Promise<Record<string, Record<string, unknown>>> {
  const json = join(dir, "k.json");
  const r = await keel(["run", pb, "-i", host().inventory, "-e", "sfx=k", "-e", "cron_user=daemon", "--json", json]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const rep = JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; result?: { resource?: string; msg?: string } }[] };
  const regs: Record<string, Record<string, unknown>> = {};
  for (const e of rep.events) {
    const m = e.type === "task.result" && e.result?.resource?.startsWith("debug ") ? /^(\w+): ([\s\S]*)$/.exec(e.result.msg ?? "") : null;
    if (m && REGS.includes(m[1]!)) regs[m[1]!] = JSON.parse(m[2]!) as Record<string, unknown>;
  }
  return regs;
}

describeLab("registered results against ansible-core 2.14 on a scratch host", () => {
  host = useScratchHost();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keel-result-shape-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every key Ansible registers is in keel's result, with the same value where the value is the host's", async () => {
    const pb = playbook();
    const theirs = await ansibleRegs(pb);
    const mine = await keelRegs(pb);
    expect(Object.keys(theirs).sort()).toEqual([...REGS].sort());
    expect(Object.keys(mine).sort()).toEqual([...REGS].sort());
    const missing: string[] = [];
    const differ: string[] = [];
    for (const r of REGS) {
      for (const k of Object.keys(theirs[r]!)) if (!IGNORED.has(k) && !(k in mine[r]!)) missing.push(`${r}.${k}`);
      for (const k of SAME[r] ?? []) {
        const norm = (v: unknown) => JSON.stringify(v)?.replace(/rs-[ak]\./g, "rs-X.");
        if (norm(theirs[r]![k]) !== norm(mine[r]![k])) differ.push(`${r}.${k}: ansible ${JSON.stringify(theirs[r]![k])}, keel ${JSON.stringify(mine[r]![k])}`);
      }
    }
    expect(missing).toEqual([]);
    expect(differ).toEqual([]);
    // the keys this comparison is about, present on both sides
    expect(theirs.cron_env).toMatchObject({ jobs: ["j1"], envs: ["E1"] });
    expect(theirs.ini_ok).toMatchObject({ msg: "OK", state: "file" });
    expect(theirs.rep_two).toMatchObject({ rc: 0, msg: "2 replacements made" });
    expect(theirs.apt_hit).toMatchObject({ cache_updated: false });
    expect(String(mine.cmd_echo!.delta)).toMatch(/^\d+:\d\d:\d\d\.\d{6}$/);
    await ssh(host(), "rm -f /tmp/rs-*; crontab -u nobody -r; crontab -u daemon -r; true");
  }, 600_000);
});
