// systemd strategy: `systemctl show -p LoadState,ActiveState,SubState,UnitFileState` plus
// `systemctl is-enabled` (which also answers for SysV scripts run by systemd's generator, through
// systemd-sysv-install); apply runs `systemctl start|stop|restart|reload|enable|disable`.
import { shq } from "../../../engine/core/shell.js";
import { parseRecords } from "../../../engine/core/record.js";
import { outLines, snip } from "../../../engine/core/snippets.js";
import type { ServiceBackend, ServiceState } from "./types.js";

/** `ssh` → `ssh.service`; names with a suffix (`foo.socket`, `bar.timer`) stay as they are. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|path|mount|target|slice|scope|swap|automount|device)$/.test(name) ? name : `${name}.service`;
}

const ENABLED = new Set(["enabled", "enabled-runtime", "alias", "linked", "linked-runtime"]);
const DISABLED = new Set(["disabled"]);

export const systemd: ServiceBackend = {
  init: "systemd",

  probeScript(name) {
    const u = shq(unitName(name));
    return [snip.out("show", `systemctl show -p LoadState,ActiveState,SubState,UnitFileState ${u}`), snip.out("is-enabled", `systemctl is-enabled ${u}`)].join("\n");
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
    const load = props.LoadState ?? "";
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
    return st;
  },

  async run(host, name, op) {
    return host.run(`systemctl ${op} ${shq(unitName(name))}`);
  },
};
