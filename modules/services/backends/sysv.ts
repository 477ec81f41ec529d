// SysV init strategy (Debian without systemd, as on the lab hosts). Running = the LSB exit code of
// `/etc/init.d/NAME status` (0 running; 1, 2, 3 not running; 4 or more unknown). Enabled = an
// S??NAME start link in one of /etc/rc2.d … /etc/rc5.d. apply uses `service` when it exists
// (else the script itself) and update-rc.d (else chkconfig).
import { shq } from "../../../engine/core/shell.js";
import { parseRecords } from "../../../engine/core/record.js";
import { cmdOf, outLines, snip } from "../../../engine/core/snippets.js";
import type { ServiceBackend, ServiceState } from "./types.js";

export const sysv: ServiceBackend = {
  init: "sysv",

  probeScript(name) {
    const n = shq(name);
    // @cmd status only when the script exists; @out links lists the S??NAME start links.
    return [
      `if [ -x /etc/init.d/${n} ]; then`,
      snip.cmd("status", `/etc/init.d/${n} status 2>&1`),
      "fi",
      snip.out(
        "links",
        `for l in /etc/rc2.d/S??${n} /etc/rc3.d/S??${n} /etc/rc4.d/S??${n} /etc/rc5.d/S??${n}; do if [ -e "$l" ]; then printf '%s\\n' "$l"; fi; done`,
      ),
    ].join("\n");
  },

  parse(stdout, _rc, name) {
    const recs = parseRecords(stdout);
    const status = cmdOf(recs, "status");
    const exists = status !== undefined;
    const st: ServiceState = { exists, detail: "", where: `no /etc/init.d/${name}` };
    st.enabled = outLines(recs, "links").length > 0;
    if (!status) return st;
    const rc = status.rc;
    const msg = (status.out.split("\n")[0] ?? "").trim();
    if (rc === 0) st.running = true;
    else if (rc >= 1 && rc <= 3) st.running = false;
    st.detail = msg ? `${msg} (status exit ${rc})` : `status exit ${rc}`;
    return st;
  },

  async run(host, name, op) {
    const n = shq(name);
    if (op === "enable") {
      return host.run(`if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} defaults && update-rc.d ${n} enable; else chkconfig ${n} on; fi`);
    }
    if (op === "disable") {
      return host.run(`if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} disable; else chkconfig ${n} off; fi`);
    }
    return host.run(`if command -v service >/dev/null 2>&1; then service ${n} ${op}; else /etc/init.d/${n} ${op}; fi`);
  },
};
