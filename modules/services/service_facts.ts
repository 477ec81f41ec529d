// services.service_facts — Ansible's `service_facts`: read-only. Lists the host's services into the
// fact `services` (ansible_facts.services), keyed by name, with Ansible's entry shapes:
//   SysV (`service --status-all`):  { name, state: running|stopped, source: sysv }
//   systemd (list-units, list-unit-files): { name: "x.service", state, status, source: systemd }
//   upstart (`initctl list`):         { name, state, goal, source: upstart }
//   OpenRC (rc-status, rc-update):    { name, runlevels, state, source: openrc }
// The scanners run in Ansible's order and with its conditions (service_facts.py, ansible-core
// 2.14): the `service` scan unless chkconfig or rc-status exist; systemd only when PID 1's name
// contains "systemd" (a /run/systemd/system canary is not enough, as in Ansible). RedHat's chkconfig
// listing is not implemented: such a host fails the task with a clear error, never a partial list.
// The probe gathers every command's output in one round trip; the parsing below is pure.
import { defineModule } from "../../engine/core/module.js";
import { InternalError, ModuleError } from "../../engine/core/errors.js";
import { allRecs, findRec, parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip, type CmdRec } from "../../engine/core/snippets.js";

export type ServiceFactsArgs = Record<string, never>;

export interface ServiceEntry {
  name: string;
  state: string;
  status?: string;
  goal?: string;
  runlevels?: string[] | null;
  source: string;
}

export interface ServiceFactsState {
  /** The tools found on the host (absolute paths), as Ansible's get_bin_path finds them. */
  tools: { service?: string; chkconfig?: string; initctl?: string; rcStatus?: string; rcUpdate?: string; systemctl?: string };
  initd: boolean;
  proc1: string;
  sysv?: CmdRec;
  upstart?: CmdRec;
  openrcStatus?: CmdRec;
  openrcUpdate?: CmdRec;
  units?: CmdRec;
  unitFiles?: CmdRec;
  /** `systemctl show NAME --property=ActiveState` of unit files list-units did not name. */
  shows: Record<string, { rc: number; out: string }>;
}

const SKIP_MSG = "Failed to find any services. This can be due to privileges or some other configuration issue.";
/** Ansible's SystemctlScanService.BAD_STATES (a frozenset; this is the order keel checks them in). */
const BAD_STATES = ["not-found", "masked", "failed"];
const SBIN = "/sbin:/usr/sbin:/usr/local/sbin:/usr/bin:/usr/local/bin";

export default defineModule<ServiceFactsArgs, ServiceFactsState>({
  name: "services.service_facts",
  aliases: ["service_facts"],
  description:
    "Read the host's services (SysV `service --status-all`, systemd list-units/list-unit-files, upstart, OpenRC) into the fact `services`, with the entries Ansible's service_facts returns. Read-only.",
  args: { type: "object", additionalProperties: false, properties: {} },
  resource: () => "service facts",
  produces: () => ["services", "ansible_facts"],

  probe() {
    return { script: probeScript(), parse: (stdout) => parseState(stdout) };
  },
  diff(st) {
    if (st.tools.chkconfig)
      throw new ModuleError(
        `service_facts: this host has chkconfig (${st.tools.chkconfig}); keel does not implement Ansible's chkconfig listing (RedHat SysV), so it cannot list the services as Ansible does`,
      );
    return [];
  },
  explain: (st) => `${Object.keys(gatherServices(st)).length} services read`,
  result(st) {
    const services = gatherServices(st);
    if (Object.keys(services).length === 0) return { skipped: true, msg: SKIP_MSG };
    return { ansible_facts: { services } };
  },
  async apply() {
    throw new InternalError("services.service_facts is read-only: its diff is always empty, so apply never runs");
  },
});

/** One script: which tools exist, PID 1's name, then each scanner's commands under Ansible's conditions. */
export function probeScript(): string {
  const v = (n: string) => `"$_keel_sf_${n}"`;
  const C = "LC_ALL=C LANG=C";
  return [
    `_keel_sf_bin() { ( PATH="$PATH:${SBIN}"; command -v "$1" ) 2>/dev/null || true; }`,
    `_keel_sf_service=$(_keel_sf_bin service); _keel_sf_chkconfig=$(_keel_sf_bin chkconfig); _keel_sf_initctl=$(_keel_sf_bin initctl)`,
    `_keel_sf_rcstatus=$(_keel_sf_bin rc-status); _keel_sf_rcupdate=$(_keel_sf_bin rc-update); _keel_sf_systemctl=$(_keel_sf_bin systemctl)`,
    snip.begin("sf", "tools"),
    snip.field("service", v("service")),
    snip.field("chkconfig", v("chkconfig")),
    snip.field("initctl", v("initctl")),
    snip.field("rc_status", v("rcstatus")),
    snip.field("rc_update", v("rcupdate")),
    snip.field("systemctl", v("systemctl")),
    snip.field("initd", `"$(if [ -e /etc/init.d ]; then echo 1; else echo 0; fi)"`),
    snip.b64Field("proc1", "cat /proc/1/comm"),
    // ServiceScanService: `service --status-all` unless chkconfig or rc-status exist…
    `if [ -n ${v("service")} ] && [ -z ${v("chkconfig")} ] && [ -z ${v("rcstatus")} ]; then`,
    snip.cmd("sysv", `${C} ${v("service")} --status-all`),
    `fi`,
    // …then upstart, else chkconfig (refused in diff), else OpenRC.
    `if [ -n ${v("initctl")} ] && [ -z ${v("chkconfig")} ]; then`,
    snip.cmd("upstart", `${C} ${v("initctl")} list`),
    `elif [ -z ${v("chkconfig")} ] && [ -n ${v("rcstatus")} ] && [ -n ${v("rcupdate")} ]; then`,
    snip.cmd("openrc-status", `${C} ${v("rcstatus")} -a -s -m 2>&1 | grep '^ ' | tr -d '[]'`),
    snip.cmd("openrc-update", `${C} ${v("rcupdate")} show -v 2>&1 | grep '|'`),
    `fi`,
    // SystemctlScanService: only when PID 1 is systemd.
    `case $(cat /proc/1/comm 2>/dev/null) in *systemd*) if [ -n ${v("systemctl")} ]; then`,
    snip.cmd("units", `${C} ${v("systemctl")} list-units --no-pager --type service --all`),
    snip.cmd("unit-files", `${C} ${v("systemctl")} list-unit-files --no-pager --type service --all`),
    // The ActiveState of each unit file list-units did not name (list-units' name column as Ansible reads it).
    `{ ${C} ${v("systemctl")} list-units --no-pager --type service --all 2>/dev/null | awk 'index($0, ".service") { n = $1; for (i = 1; i <= NF; i++) if ($i == "not-found" || $i == "masked" || $i == "failed") { n = $2; break }; print "U " n }'`,
    `  ${C} ${v("systemctl")} list-unit-files --no-pager --type service --all 2>/dev/null | awk 'index($0, ".service") { print "F " $1 }'`,
    `} | awk '$1 == "U" { u[$2] = 1; next } !($2 in u) && !s[$2]++ { print $2 }' | while IFS= read -r _keel_sf_u; do`,
    `_keel_v=$(${C} ${v("systemctl")} show $_keel_sf_u --property=ActiveState 2>/dev/null); _keel_sf_rc=$?`,
    snip.begin("show"),
    `printf 'unit:b64='; printf '%s' "$_keel_sf_u" | base64 | tr -d '\\n'; printf '\\nrc=%s\\nout:b64=' "$_keel_sf_rc"; printf '%s' "$_keel_v" | base64 | tr -d '\\n'; printf '\\n'`,
    `done`,
    `fi ;; esac`,
  ].join("\n");
}

export function parseState(stdout: string): ServiceFactsState {
  const recs = parseRecords(stdout);
  const t = findRec(recs, "sf", "tools");
  if (!t) throw new ModuleError("the service_facts probe printed no result");
  const tool = (k: string) => t.get(k) || undefined;
  const st: ServiceFactsState = {
    tools: {},
    initd: t.get("initd") === "1",
    proc1: t.get("proc1") ?? "",
    shows: {},
  };
  const tools = {
    service: "service",
    chkconfig: "chkconfig",
    initctl: "initctl",
    rcStatus: "rc_status",
    rcUpdate: "rc_update",
    systemctl: "systemctl",
  } as const;
  for (const [k, f] of Object.entries(tools)) {
    const p = tool(f);
    if (p) st.tools[k as keyof typeof tools] = p;
  }
  const cmds = {
    sysv: "sysv",
    upstart: "upstart",
    openrcStatus: "openrc-status",
    openrcUpdate: "openrc-update",
    units: "units",
    unitFiles: "unit-files",
  } as const;
  for (const [k, id] of Object.entries(cmds)) {
    const c = cmdOf(recs, id);
    if (c) st[k as keyof typeof cmds] = c;
  }
  for (const r of allRecs(recs, "show")) {
    const u = r.get("unit");
    if (u) st.shows[u] = { rc: r.int("rc") ?? 1, out: r.get("out") ?? "" };
  }
  return st;
}

/** Ansible's main(): every scanner's services merged in order (a later scanner's entry wins). */
export function gatherServices(st: ServiceFactsState): Record<string, ServiceEntry> {
  const out: Record<string, ServiceEntry> = {};
  if (st.sysv) listSysv(st, out);
  if (st.upstart) listUpstart(st.upstart, out);
  else if (st.openrcStatus && st.openrcUpdate) listOpenrc(st.openrcStatus, st.openrcUpdate, out);
  if (st.units && st.unitFiles) {
    listUnits(st.units, out);
    listUnitFiles(st.unitFiles, st.shows, out);
  }
  return out;
}

function listSysv(st: ServiceFactsState, out: Record<string, ServiceEntry>): void {
  const c = st.sysv!;
  if (c.rc === 4 && !st.initd) return;
  for (const m of c.out.matchAll(/^\s*\[ (\+|-) \]\s+(.+)$/gm)) {
    const name = m[2]!;
    out[name] = { name, state: m[1] === "+" ? "running" : "stopped", source: "sysv" };
  }
}

function listUpstart(c: CmdRec, out: Record<string, ServiceEntry>): void {
  if (c.rc !== 0) return;
  for (const line of c.out.replace(/\r/g, "").split("\n")) {
    const m = /^\s?(.*)\s(\w+)\/(\w+)(,\sprocess\s([0-9]+))?\s*$/.exec(line);
    if (!m) continue;
    out[m[1]!] = { name: m[1]!, state: m[3]!, goal: m[2]!, source: "upstart" };
  }
}

function listOpenrc(status: CmdRec, update: CmdRec, out: Record<string, ServiceEntry>): void {
  const runlevels = new Map<string, string[] | null>();
  for (const line of update.out.split("\n")) {
    const f = line.split("|");
    if (f.length < 2) continue;
    const lv = f[1]!.trim();
    runlevels.set(f[0]!.trim(), lv ? lv.split(/\s+/) : null);
  }
  for (const line of status.out.split("\n")) {
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length < 2) continue;
    if (!runlevels.has(f[0]!))
      throw new ModuleError(`service_facts: OpenRC service ${f[0]} is in rc-status but not in rc-update show (Ansible fails here too)`);
    out[f[0]!] = { name: f[0]!, runlevels: runlevels.get(f[0]!)!, state: f[1]!, source: "openrc" };
  }
}

/** `systemctl list-units`: a leading "●" shifts the columns when the unit is not-found, masked or failed. */
function listUnits(c: CmdRec, out: Record<string, ServiceEntry>): void {
  if (c.rc !== 0) return;
  for (const line of c.out.split("\n")) {
    if (!line.includes(".service")) continue;
    let fields = line.split(/\s+/).filter(Boolean);
    let status: string | undefined;
    for (const bad of BAD_STATES) {
      if (fields.includes(bad)) {
        status = bad;
        fields = fields.slice(1);
        break;
      }
    }
    status ??= fields[2];
    const name = fields[0];
    if (name === undefined || status === undefined) throw new ModuleError(`service_facts: malformed line from systemctl list-units: ${line}`);
    out[name] = { name, state: fields[3] === "running" ? "running" : "stopped", status, source: "systemd" };
  }
}

/** `systemctl list-unit-files`: the final status; units list-units did not name get their ActiveState as state. */
function listUnitFiles(c: CmdRec, shows: ServiceFactsState["shows"], out: Record<string, ServiceEntry>): void {
  if (c.rc !== 0) return;
  for (const line of c.out.split("\n")) {
    if (!line.includes(".service")) continue;
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length < 2) throw new ModuleError(`Malformed output discovered from systemd list-unit-files: ${line}`);
    const [name, status] = [f[0]!, f[1]!];
    const have = out[name];
    if (!have) {
      const s = shows[name];
      const state = s && s.rc === 0 && s.out !== "" ? s.out.replace(/ActiveState=/g, "").trimEnd() : "unknown";
      out[name] = { name, state, status, source: "systemd" };
    } else if (!BAD_STATES.includes(have.status ?? "")) {
      have.status = status;
    }
  }
}
