// systemd strategy: `systemctl show` (LoadState, ActiveState, SubState, UnitFileState, NeedDaemonReload decide; all are registered as `status`)
// plus `systemctl is-enabled` (which also answers for SysV scripts run by systemd's generator,
// through systemd-sysv-install); apply runs `systemctl start|stop|restart|reload|enable|disable|
// mask|unmask|daemon-reload|daemon-reexec` (enable/disable with --now when the running state changes too). The
// scope (`--user`, `--global`) and `--no-block` go on every systemctl call.
import { shq } from "../../../engine/core/shell.js";
import { parseRecords } from "../../../engine/core/record.js";
import { outLines, snip } from "../../../engine/core/snippets.js";
import type { ServiceBackend, ServiceOpts, ServiceState } from "./types.js";

/** `ssh` → `ssh.service`; names with a suffix (`foo.socket`, `bar.timer`) stay as they are. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|path|mount|target|slice|scope|swap|automount|device)$/.test(name) ? name : `${name}.service`;
}

/**
 * Ansible's systemd module (2.14) calls a unit enabled when `systemctl is-enabled` exits 0 — enabled,
 * enabled-runtime, static, generated, transient (alias and indirect exit 0 too, but Ansible counts
 * them disabled) — and disabled otherwise (disabled, linked, masked, indirect, alias, bad…).
 */
const ENABLED = new Set(["enabled", "enabled-runtime", "static", "generated", "transient"]);
/** States whose enablement `systemctl enable/disable` does not change (reported as `fixed`, for messages). */
const FIXED = new Set(["static", "generated", "transient", "indirect", "masked", "masked-runtime", "alias", "bad"]);

export const systemd: ServiceBackend = {
  init: "systemd",

  probeScript(name, opts) {
    const u = shq(unitName(name));
    const sc = ctl(opts, false);
    // --global has no running state: only the unit file state is asked.
    // every property: Ansible registers them all as `status` (docker's role reads status.FragmentPath)
    const show = opts?.scope === "global" ? "true" : `systemctl${sc} show ${u}`;
    return [snip.out("show", show), snip.out("is-enabled", `systemctl${sc} is-enabled ${u}`)].join("\n");
  },

  parse(stdout, _rc, name) {
    const recs = parseRecords(stdout);
    const showLines = outLines(recs, "show");
    const props = parseSystemctlShow(showLines);
    const isEnabled: string | undefined = outLines(recs, "is-enabled")[0]?.trim();
    const unit = unitName(name);
    const isEnabled0 = isEnabled ?? "";
    // --global: no LoadState; the unit exists when is-enabled knows it.
    const load = props.LoadState ?? (isEnabled0 && isEnabled0 !== "not-found" ? (isEnabled0.startsWith("masked") ? "masked" : "loaded") : "");
    const st: ServiceState = {
      exists: load !== "" && load !== "not-found",
      detail: `${props.ActiveState ?? "unknown"} (${props.SubState ?? "unknown"})`,
      where: `no unit ${unit}`,
    };
    if (showLines.length) st.status = props;
    if (!st.exists) return st;
    // Ansible's is_running_service: active or activating; a deactivating unit is stopped by state=stopped.
    st.running = ["active", "activating"].includes(props.ActiveState ?? "");
    if (props.ActiveState === "deactivating") st.deactivating = true;
    const ufs = isEnabled ?? props.UnitFileState ?? "";
    st.enabled = ENABLED.has(ufs);
    if (FIXED.has(ufs)) st.fixed = ufs;
    // Ansible: masked only when `systemctl is-enabled` prints "masked" (masked-runtime is not).
    st.masked = ufs === "masked" || (ufs === "" && load === "masked");
    if (props.NeedDaemonReload === "yes") st.needReload = true;
    return st;
  },

  async run(host, name, op, opts) {
    if (op === "daemon-reload" || op === "daemon-reexec") return host.run(`systemctl${ctl(opts, false)} ${op}`);
    return host.run(`systemctl${ctl(opts, true)} ${op} ${shq(unitName(name))}`);
  },
};

/** " --user", " --global", " --no-block" as the options ask. */
function ctl(o: ServiceOpts | undefined, act: boolean): string {
  return `${o?.scope === "user" ? " --user" : o?.scope === "global" ? " --global" : ""}${o?.force ? " --force" : ""}${act && o?.noBlock ? " --no-block" : ""}`;
}

/**
 * `systemctl show` output as Ansible's parse_systemctl_show reads it: KEY=VALUE per line, values
 * trimmed; only an Exec* value that starts with "{" and does not end with "}" continues on the next
 * lines, up to one ending with "}" (joined with newlines).
 */
export function parseSystemctlShow(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let key: string | undefined;
  let multi: string[] = [];
  for (const line of lines) {
    if (key === undefined) {
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const k = line.slice(0, eq);
      const v = line.slice(eq + 1);
      if (k.startsWith("Exec") && v.trimStart().startsWith("{") && !v.trimEnd().endsWith("}")) {
        key = k;
        multi = [v];
        continue;
      }
      out[k] = v.trim();
    } else {
      multi.push(line);
      if (line.trimEnd().endsWith("}")) {
        out[key] = multi.join("\n").trim();
        key = undefined;
        multi = [];
      }
    }
  }
  return out;
}
