// systemd strategy: `systemctl show -p LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload`
// plus `systemctl is-enabled` (which also answers for SysV scripts run by systemd's generator,
// through systemd-sysv-install); apply runs `systemctl start|stop|restart|reload|enable|disable|
// mask|unmask|daemon-reload` (enable/disable with --now when the running state changes too). The
// scope (`--user`, `--global`) and `--no-block` go on every systemctl call.
import { shq } from "../../../engine/core/shell.js";
import { parseRecords } from "../../../engine/core/record.js";
import { outLines, snip } from "../../../engine/core/snippets.js";
import type { ServiceBackend, ServiceOpts, ServiceState } from "./types.js";

/** `ssh` → `ssh.service`; names with a suffix (`foo.socket`, `bar.timer`) stay as they are. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|path|mount|target|slice|scope|swap|automount|device)$/.test(name) ? name : `${name}.service`;
}

const ENABLED = new Set(["enabled", "enabled-runtime", "alias", "linked", "linked-runtime"]);
const DISABLED = new Set(["disabled"]);

export const systemd: ServiceBackend = {
  init: "systemd",

  probeScript(name, opts) {
    const u = shq(unitName(name));
    const sc = ctl(opts, false);
    // --global has no running state: only the unit file state is asked.
    const show = opts?.scope === "global" ? "true" : `systemctl${sc} show -p LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload ${u}`;
    return [snip.out("show", show), snip.out("is-enabled", `systemctl${sc} is-enabled ${u}`)].join("\n");
  },

  parse(stdout, _rc, name) {
    const recs = parseRecords(stdout);
    const props: Record<string, string> = {};
    for (const raw of outLines(recs, "show")) {
      const line = raw.trim();
      const eq = line.indexOf("=");
      if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
    }
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
    if (!st.exists) return st;
    st.running = ["active", "reloading", "activating"].includes(props.ActiveState ?? "");
    const ufs = isEnabled ?? props.UnitFileState ?? "";
    if (ENABLED.has(ufs)) st.enabled = true;
    else if (DISABLED.has(ufs)) st.enabled = false;
    else if (ufs === "" && load === "masked") st.fixed = "masked";
    else st.fixed = ufs || "unknown";
    // "static"/"indirect"/"generated"/"transient" units start when something pulls them in.
    if (st.fixed === "static" || st.fixed === "generated" || st.fixed === "indirect" || st.fixed === "transient") st.enabled = true;
    if (st.fixed === "masked" || st.fixed === "masked-runtime") st.enabled = false;
    st.masked = load === "masked" || ufs === "masked" || ufs === "masked-runtime";
    if (props.NeedDaemonReload === "yes") st.needReload = true;
    return st;
  },

  async run(host, name, op, opts) {
    if (op === "daemon-reload") return host.run(`systemctl${ctl(opts, false)} daemon-reload`);
    return host.run(`systemctl${ctl(opts, true)} ${op} ${shq(unitName(name))}`);
  },
};

/** " --user", " --global", " --no-block" as the options ask. */
function ctl(o: ServiceOpts | undefined, act: boolean): string {
  return `${o?.scope === "user" ? " --user" : o?.scope === "global" ? " --global" : ""}${act && o?.noBlock ? " --no-block" : ""}`;
}
