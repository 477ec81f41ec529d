// hardening.auditd_running: the RUNNING audit system, as CIS audits it (6.2.1.2 "enabled and active",
// 6.2.3.x "on disk AND running configuration"): `auditctl -s` shows the daemon registered with the
// kernel (pid ≠ 0), and, given a rules file, `auditctl -l` lists every rule of that file as loaded
// (and `-e 2` shows as "enabled 2"). When auditctl cannot answer (auditd not running, no audit in
// this kernel or network namespace, not root) the finding says so: files alone never pass.
// apply loads the rules (augenrules --load) when the daemon runs and the rules are not immutable;
// otherwise it changes nothing and fails with the evidence (starting the daemon is the service task's).
import { ModuleError } from "../../engine/core/errors.js";
import { defineModule, type Change } from "../../engine/core/module.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, fileOf, snip } from "../../engine/core/snippets.js";
import { listed, reportOnly } from "./check-common.js";

export interface AuditdRunningArgs {
  rules_file?: string;
}

export interface AuditdRunningState {
  /** `auditctl -s` exit code and message when it failed; undefined when it answered. */
  statusError?: string;
  enabled?: number;
  pid?: number;
  /** Normalised rules `auditctl -l` lists (undefined when it failed or was not asked). */
  loaded?: string[];
  loadedError?: string;
  /** Rules of rules_file (raw lines, normalised alongside), when given and readable. */
  wanted?: { raw: string; norm: string }[];
  wantImmutable?: boolean;
}

interface Plan {
  load?: boolean;
}

const STATUS = "auditctl -s";
const LIST = "auditctl -l";

/**
 * One audit rule in a canonical form, so that a rules.d line and `auditctl -l`'s listing of it
 * compare equal: `-k K` is `-F key=K`, the syscalls of -S are one sorted set (auditctl lists them
 * merged, in syscall-number order), -F fields sorted, -p permissions sorted. Control lines
 * (-D, -b, -f, -e, --backlog_wait_time…) are not rules: undefined.
 */
export function normRule(line: string): string | undefined {
  const t = line.trim().split(/\s+/);
  if (!t[0] || t[0].startsWith("#") || !["-w", "-a", "-A"].includes(t[0])) return undefined;
  let head = "";
  const sys = new Set<string>();
  const fields: string[] = [];
  let perms = "";
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!;
    if (!["-w", "-a", "-A", "-S", "-F", "-k", "-p"].includes(k)) {
      fields.push(k);
      continue;
    }
    const v = t[++i] ?? "";
    if (k === "-w") head = `-w ${v}`;
    else if (k === "-a" || k === "-A") head = `-a ${v.split(",").sort().join(",")}`;
    else if (k === "-S") for (const s of v.split(",")) sys.add(s);
    else if (k === "-F") fields.push(v);
    else if (k === "-k") fields.push(`key=${v}`);
    else perms = [...v].sort().join("");
  }
  return [head, perms && `-p ${perms}`, sys.size && `-S ${[...sys].sort().join(",")}`, ...fields.sort().map((f) => `-F ${f}`)].filter(Boolean).join(" ");
}

function failure(c: { rc: number; err: string; out: string } | undefined): string | undefined {
  if (!c) return "did not run";
  if (c.rc === 0) return undefined;
  // The shell's "sh: 12: auditctl: not found" carries a line number that changes from run to run.
  if (c.rc === 127) return "rc 127: auditctl is not installed";
  return `rc ${c.rc}: ${(c.err || c.out).trim().split("\n")[0] || "no message"}`;
}

export default defineModule<AuditdRunningArgs, AuditdRunningState, Plan>({
  name: "hardening.auditd_running",
  description:
    "Check the RUNNING audit system: auditd registered with the kernel (auditctl -s), and every rule of a rules file loaded (auditctl -l). Loads the rules (augenrules --load) when they are not; never passes on files alone.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      rules_file: { type: "string", pattern: "^/[^\\n\\r\\0]*$", description: "A rules.d file whose rules must all be loaded in the kernel now." },
    },
  },
  // "audit": the kernel's audit state (auditctl -s, -l); augenrules --load (with rules_file only) also
  // writes audit.rules. Without rules_file apply never writes anything.
  footprint: (a) => ({
    reads: ["audit", ...(a.rules_file ? [`file:${a.rules_file}`] : [])],
    writes: a.rules_file ? ["audit", "file:/etc/audit/audit.rules"] : [],
  }),
  resource: (a) => (a.rules_file ? `loaded audit rules of ${a.rules_file}` : "auditd (running)"),
  probe: (a) => ({
    script: [snip.cmd("status", STATUS), ...(a.rules_file ? [snip.cmd("list", LIST), snip.readFile("rules", a.rules_file)] : [])].join("\n"),
    parse(stdout) {
      const recs = parseRecords(stdout);
      const st: AuditdRunningState = {};
      const s = cmdOf(recs, "status");
      st.statusError = failure(s);
      if (!st.statusError) {
        const num = (k: string) => {
          const m = new RegExp(`^${k} (\\d+)`, "m").exec(s!.out);
          return m ? Number(m[1]) : undefined;
        };
        st.enabled = num("enabled");
        st.pid = num("pid");
      }
      if (a.rules_file) {
        const l = cmdOf(recs, "list");
        st.loadedError = failure(l);
        if (!st.loadedError)
          st.loaded = l!.out
            .split("\n")
            .map(normRule)
            .filter((r): r is string => !!r);
        const f = fileOf(recs, "rules");
        if (f.exists && f.content === undefined) throw new ModuleError(`cannot read ${a.rules_file} (try become: true)`);
        const text = f.content?.toString("utf8") ?? "";
        st.wanted = text.split("\n").flatMap((raw) => (normRule(raw) ? [{ raw: raw.trim(), norm: normRule(raw)! }] : []));
        st.wantImmutable = /^\s*-e\s+2\s*$/m.test(text);
      }
      return st;
    },
  }),
  diff(st, a) {
    const out: Change<Plan>[] = [];
    // With a rules file the question is the loaded rules (auditctl -l), whoever loaded them; whether
    // the daemon runs is audit.auditd-enabled's question (the task without rules_file).
    if (a.rules_file) return rulesDiff(st, a.rules_file);
    if (st.statusError)
      out.push({
        summary: `auditd is not active: ${STATUS} failed (${st.statusError})`,
        field: "active",
        before: `unknown: ${STATUS} ${st.statusError}`,
        after: "auditd running (pid ≠ 0)",
        source: STATUS,
      });
    else if (!st.pid)
      out.push({
        summary: `auditd is not running (${STATUS}: pid ${st.pid ?? "absent"})`,
        field: "active",
        before: `pid ${st.pid ?? "absent"}`,
        after: "pid ≠ 0",
        source: STATUS,
      });
    return out;
  },
  explain: (st, a) => (a.rules_file ? `the ${st.wanted?.length ?? 0} rules of ${a.rules_file} are loaded (${LIST})` : `auditd runs (pid ${st.pid}, ${STATUS})`),
  async apply(host, _a, changes, st) {
    // Only loading rules is a fix keel makes here, and only into a running, mutable audit system.
    const loadable = !st.statusError && !!st.pid && st.enabled !== 2 && changes.every((c) => c.data?.load);
    if (!loadable)
      reportOnly(
        "hardening.auditd_running",
        changes,
        "start auditd (service auditd start) on a host whose kernel audit it can use; immutable rules (-e 2) load at reboot",
      );
    await host.run("augenrules --load");
  },
});

function rulesDiff(st: AuditdRunningState, file: string): Change<Plan>[] {
  const out: Change<Plan>[] = [];
  if (st.loadedError)
    return [
      {
        summary: `the loaded rules cannot be read: ${LIST} failed (${st.loadedError}); ${file} alone is not the running configuration`,
        field: "loaded_rules",
        before: `unknown: ${LIST} ${st.loadedError}`,
        after: `the rules of ${file} loaded`,
        source: LIST,
      },
    ];
  const loaded = new Set(st.loaded ?? []);
  const missing = (st.wanted ?? []).filter((w) => !loaded.has(w.norm)).map((w) => w.raw);
  if (missing.length)
    out.push({
      summary: `${missing.length} rule(s) of ${file} not loaded (${LIST}): ${listed(missing)}`,
      field: "loaded_rules",
      before: missing.map((m) => `not loaded: ${m}`),
      after: [],
      source: LIST,
      data: { load: true },
    });
  if (st.wantImmutable && st.enabled !== undefined && st.enabled !== 2)
    out.push({
      summary: `audit configuration not immutable (${STATUS}: enabled ${st.enabled}, -e 2 wanted)`,
      field: "enabled",
      before: String(st.enabled),
      after: "2",
      source: STATUS,
      data: { load: true },
    });
  return out;
}
