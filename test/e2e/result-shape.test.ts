// End to end: the registered results roles read, side by side with ansible-core 2.14 on one scratch
// host. The same playbook runs with keel (files and accounts named rs-k…, daemon's crontab) and with
// ansible-playbook (rs-a…, nobody's crontab); each registered variable is read back through debug.
// For every task, every key Ansible registers (but its bookkeeping and free-text output, IGNORED)
// must be in keel's result with the same value, or, for the values that depend on the host or the
// moment (BY_TYPE: timestamps, the ids useradd/groupadd pick, Ansible's temporary upload, a backup's
// timestamped name), a value of the same type. Names are compared with rs-a/rs-k made one.
// Modules: apt, cron, ini_file, replace, command, shell, user, group, file, copy, template,
// lineinfile and locale_gen, in normal and check mode (check mode returns fewer keys in Ansible:
// only `changed` for a user, group or locale to create).
//
// Ansible's side (the registered variables, without the IGNORED keys) is replayed from
// test/recordings/ansible/result-shape-regs.json while its key holds (the playbook, the template,
// this harness, the installed Ansible, the lab's versions of the packages the play touches); keel
// always runs live. When keel's results do not match the recording, Ansible runs live on the same
// scratch host and keel is compared with that (test/e2e/ansible-replay.ts), so a mismatch never
// passes silently. KEEL_ANSIBLE_LIVE=1 runs Ansible live; KEEL_ANSIBLE_RECORD=1 also rewrites the
// recording.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labPackageVersions, sha256 } from "../ansible-record.js";
import { ansiblePlaybookJson } from "./ansible-side.js";
import { checkAgainstAnsible } from "./ansible-replay.js";
import { describeLab, keel, ssh, useScratchHost, type ScratchHost } from "./lab.js";

const HASH = "$6$rsalt$Vq9t3m7YkqVtK7rS5cXl1b3o2gq7c5Qe2tC3l0H1yY2o0ZyI0aVf7mJqJQxk1cQ6sTz6pN0vXb5jQmKf8dW1a/";
const TASKS = `
- { apt: { update_cache: true, cache_valid_time: 315360000 }, register: apt_hit }
- { apt: { name: coreutils }, register: apt_plain }
- { apt: { name: locales, update_cache: true } }
- { cron: { name: j1, minute: "5", job: /bin/true, user: "{{ cron_user }}" }, register: cron_add }
- { cron: { name: E1, env: true, job: "/usr/bin:/bin", user: "{{ cron_user }}" }, register: cron_env }
- { cron: { name: j1, minute: "5", job: /bin/true, user: "{{ cron_user }}" }, register: cron_same }
- { copy: { dest: "/tmp/rs-{{ sfx }}.txt", content: "foo a\\nfoo b\\nbar\\n" }, register: copy_new }
- { copy: { dest: "/tmp/rs-{{ sfx }}.txt", content: "foo a\\nfoo b\\nbar\\n" }, register: copy_same }
- { copy: { dest: "/tmp/rs-{{ sfx }}.txt", content: "foo a\\nfoo b\\nbar\\n", mode: "0600" }, register: copy_mode }
- { copy: { dest: "/tmp/rs-{{ sfx }}.txt", content: "other\\n" }, register: copy_chk, check_mode: true }
- { copy: { dest: "/tmp/rs-{{ sfx }}.li", content: "foo a\\nfoo b\\nbar\\n" } }
- { copy: { dest: "/tmp/rs-{{ sfx }}.li", content: "foo a\\nfoo b\\nbar\\nzz\\n", backup: true }, register: copy_backup }
- { template: { dest: "/tmp/rs-{{ sfx }}.t", src: rs.j2 }, register: tpl_new }
- { template: { dest: "/tmp/rs-{{ sfx }}.t", src: rs.j2 }, register: tpl_same }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o1, value: v1 }, register: ini_add }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o1, value: v1 }, register: ini_ok }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o2, value: x }, register: ini_opt }
- { ini_file: { path: "/tmp/rs-{{ sfx }}.ini", section: s1, option: o2, value: y }, register: ini_chg, check_mode: true }
- { replace: { path: "/tmp/rs-{{ sfx }}.txt", regexp: "^foo", replace: baz }, register: rep_two }
- { replace: { path: "/tmp/rs-{{ sfx }}.txt", regexp: "^foo", replace: baz }, register: rep_none }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.li", line: added }, register: li_add }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.li", line: added }, register: li_same }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.li", regexp: "^bar", line: bar2 }, register: li_rep }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.li", line: chk }, register: li_chk, check_mode: true }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.li", line: added, mode: "0600" }, register: li_mode }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.li", regexp: "^foo", state: absent, backup: true }, register: li_del }
- { lineinfile: { path: "/tmp/rs-{{ sfx }}.none", line: x, state: absent }, register: li_nofile }
- { command: echo hi, register: cmd_echo }
- { shell: "echo hi; echo err >&2", register: sh_echo }
- { group: { name: "rs-{{ sfx }}-g" }, register: group_add }
- { group: { name: "rs-{{ sfx }}-g" }, register: group_same }
- { group: { name: "rs-{{ sfx }}-c" }, register: group_chk, check_mode: true }
- { user: { name: "rs-{{ sfx }}", groups: ["rs-{{ sfx }}-g"], shell: /bin/bash }, register: user_add }
- { user: { name: "rs-{{ sfx }}", groups: ["rs-{{ sfx }}-g"], shell: /bin/bash }, register: user_same }
- { user: { name: "rs-{{ sfx }}", comment: Result Shape, password: "${HASH}" }, register: user_mod }
- { user: { name: "rs-{{ sfx }}", shell: /bin/sh }, register: user_mod_chk, check_mode: true }
- { user: { name: "rs-{{ sfx }}-c" }, register: user_chk, check_mode: true }
- { user: { name: "rs-{{ sfx }}", state: absent }, register: user_del_chk, check_mode: true }
- { user: { name: "rs-{{ sfx }}", state: absent, remove: true }, register: user_del }
- { group: { name: "rs-{{ sfx }}-g", state: absent }, register: group_del }
- { file: { path: "/tmp/rs-{{ sfx }}.f", state: touch }, register: file_touch }
- { file: { path: "/tmp/rs-{{ sfx }}.d/sub", state: directory }, register: file_dir }
- { file: { path: "/tmp/rs-{{ sfx }}.d/sub", state: directory }, register: file_dir_same }
- { file: { path: "/tmp/rs-{{ sfx }}.f", mode: "0600" }, register: file_mode }
- { file: { path: "/tmp/rs-{{ sfx }}.f", mode: "0640" }, register: file_mode_chk, check_mode: true }
- { file: { path: "/tmp/rs-{{ sfx }}.l", src: "/tmp/rs-{{ sfx }}.f", state: link }, register: file_link }
- { file: { path: "/tmp/rs-{{ sfx }}.l", state: absent }, register: file_absent_chk, check_mode: true }
- { file: { path: "/tmp/rs-{{ sfx }}.d", state: absent }, register: file_absent }
- { locale_gen: { name: de_DE.UTF-8 }, register: loc_chk, check_mode: true }
`;
const TEMPLATE = "hello {{ 'world' | upper }}\n";
const REGS = [...TASKS.matchAll(/register: (\w+)/g)].map((m) => m[1]!);

/** Ansible keys not compared: its bookkeeping, keel's own --diff format, and free-text output. */
const IGNORED = new Set(["invocation", "diff", "_ansible_no_log", "warnings", "deprecations", "stdout", "stderr", "stdout_lines", "stderr_lines"]);
/**
 * copy's and template's `src` after a write: Ansible's temporary upload on the host, deleted when
 * the task ends; keel uploads no such file (modules/files/content-result.ts), so it has no such key.
 */
const IGNORED_WRITTEN_SRC = /^(copy|tpl)_/;
/**
 * Keys whose values depend on the host or the moment, compared by type (everywhere): apt's lists'
 * mtime, a command's times, a backup's timestamped name (copy's backup_file, lineinfile's backup). And in user_* and group_* results the
 * ids useradd and groupadd pick (uid, gid, and user's group, the primary gid).
 */
const BY_TYPE = new Set(["cache_update_time", "delta", "start", "end", "backup_file", "backup"]);
const BY_TYPE_ACCOUNTS = new Set(["uid", "gid", "group"]);

type Regs = Record<string, Record<string, unknown>>;

let dir = "";
let host: () => ScratchHost;

function playbook(): string {
  const p = join(dir, "pb.yml");
  const debug = REGS.map((r) => `- { debug: { var: ${r} } }`).join("\n");
  writeFileSync(p, `- hosts: all\n  gather_facts: false\n  tasks:\n${`${TASKS}\n${debug}`.replace(/^/gm, "    ")}\n`);
  writeFileSync(join(dir, "rs.j2"), TEMPLATE);
  return p;
}

/** A registered variable as recorded: without the IGNORED keys. */
function slim(regs: Regs): Regs {
  return Object.fromEntries(Object.entries(regs).map(([r, v]) => [r, Object.fromEntries(Object.entries(v).filter(([k]) => !IGNORED.has(k)))]));
}

async function ansibleRegs(pb: string): Promise<Regs> {
  const h = host();
  const out = await ansiblePlaybookJson(h, pb, { home: dir, extra: ["-e", "sfx=a", "-e", "cron_user=nobody"], timeoutMs: 900_000 });
  const regs: Regs = {};
  for (const t of out.plays[0]!.tasks) for (const r of REGS) if (t.hosts[h.name]?.[r] !== undefined) regs[r] = t.hosts[h.name]![r] as Record<string, unknown>;
  return slim(regs);
}

async function keelRegs(pb: string): Promise<Regs> {
  const json = join(dir, "k.json");
  const r = await keel(["run", pb, "-i", host().inventory, "-e", "sfx=k", "-e", "cron_user=daemon", "--json", json]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const rep = JSON.parse(readFileSync(json, "utf8")) as { events: { type: string; result?: { resource?: string; msg?: string } }[] };
  const regs: Regs = {};
  for (const e of rep.events) {
    const m = e.type === "task.result" && e.result?.resource?.startsWith("debug ") ? /^(\w+): ([\s\S]*)$/.exec(e.result.msg ?? "") : null;
    if (m && REGS.includes(m[1]!)) regs[m[1]!] = JSON.parse(m[2]!) as Record<string, unknown>;
  }
  return regs;
}

const norm = (v: unknown) => JSON.stringify(v)?.replace(/rs-[ak]\b/g, "rs-X");
const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Every way keel's results differ from Ansible's: keys missing in keel, values (or types) differing. */
function compareRegs(theirs: Regs, mine: Regs): string[] {
  const out: string[] = [];
  for (const r of REGS) {
    if (!theirs[r] || !mine[r]) {
      out.push(`${r}: registered by ${theirs[r] ? "" : "no "}ansible and ${mine[r] ? "" : "no "}keel`);
      continue;
    }
    for (const [k, v] of Object.entries(theirs[r])) {
      if (IGNORED.has(k) || (k === "src" && IGNORED_WRITTEN_SRC.test(r))) continue;
      if (!(k in mine[r])) {
        out.push(`${r}.${k}: missing in keel (ansible ${JSON.stringify(v)})`);
        continue;
      }
      const byType = BY_TYPE.has(k) || (/^(user|group)_/.test(r) && BY_TYPE_ACCOUNTS.has(k));
      const m = mine[r][k];
      if (byType ? typeOf(v) !== typeOf(m) : norm(v) !== norm(m))
        out.push(`${r}.${k}${byType ? " (type)" : ""}: ansible ${JSON.stringify(v)}, keel ${JSON.stringify(m)}`);
    }
  }
  return out;
}

describeLab("registered results against ansible-core 2.14 on a scratch host", () => {
  host = useScratchHost();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keel-result-shape-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every key Ansible registers is in keel's result, with the same value (or type, for the host's and the moment's)", async () => {
    const pb = playbook();
    const mine = await keelRegs(pb);
    expect(Object.keys(mine).sort()).toEqual([...REGS].sort());
    expect(String(mine.cmd_echo!.delta)).toMatch(/^\d+:\d\d:\d\d\.\d{6}$/);
    const parts = {
      playbook: sha256(readFileSync(pb)),
      template: sha256(TEMPLATE),
      harness: sha256([ansibleRegs, slim, playbook, ansiblePlaybookJson].map((f) => f.toString()).join("\n") + [...IGNORED].join(" ")),
      lab: labPackageVersions(["apt", "coreutils", "cron", "locales", "libc-bin", "passwd", "login", "python3", "python3-minimal"]),
    };
    const { source } = await checkAgainstAnsible<Regs>(
      "result-shape-regs",
      parts,
      () => ansibleRegs(pb),
      (theirs) => {
        expect(Object.keys(theirs).sort()).toEqual([...REGS].sort());
        expect(compareRegs(theirs, mine)).toEqual([]);
        // the keys this comparison is about, present on Ansible's side
        expect(theirs.cron_env).toMatchObject({ jobs: ["j1"], envs: ["E1"] });
        expect(theirs.ini_ok).toMatchObject({ msg: "OK", state: "file" });
        expect(theirs.rep_two).toMatchObject({ rc: 0, msg: "2 replacements made" });
        expect(theirs.apt_hit).toMatchObject({ cache_updated: false });
        expect(theirs.user_mod).toMatchObject({ password: "NOT_LOGGING_PASSWORD", comment: "Result Shape" });
        expect(theirs.copy_new).toHaveProperty("md5sum");
      },
    );
    console.log(`result-shape: Ansible's side ${source}`);
    await ssh(host(), "rm -rf /tmp/rs-*; crontab -u nobody -r; crontab -u daemon -r; userdel -r rs-a; userdel -r rs-k; groupdel rs-a-g; groupdel rs-k-g; true");
  }, 1_200_000);
});
