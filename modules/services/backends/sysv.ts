// SysV init strategy (Debian without systemd, as on the lab hosts). Running = the LSB exit code of
// `/etc/init.d/NAME status` (0 running; 1, 2, 3 not running; 4 or more unknown). Enabled = an
// S??NAME start link in one of /etc/rc2.d … /etc/rc5.d. apply uses `service` when it exists
// (else the script itself) and update-rc.d (else chkconfig).
import { shq } from "../../../engine/core/shell.js";
import type { ServiceBackend, ServiceState } from "./types.js";

export const sysv: ServiceBackend = {
  init: "sysv",

  probeScript(name) {
    const n = shq(name);
    return [
      `if [ -x /etc/init.d/${n} ]; then`,
      "  echo script yes",
      `  out=$(/etc/init.d/${n} status 2>&1 </dev/null)`,
      '  echo "status $?"',
      `  printf 'msg %s\\n' "$(printf '%s\\n' "$out" | head -n 1)"`,
      "else echo script no; fi",
      `for l in /etc/rc2.d/S??${n} /etc/rc3.d/S??${n} /etc/rc4.d/S??${n} /etc/rc5.d/S??${n}; do [ -e "$l" ] && echo "link $l"; done`,
      "true",
    ].join("\n");
  },

  parse(stdout, _rc, name) {
    const lines = stdout.split("\n").map((l) => l.replace(/\r$/, ""));
    const exists = lines.includes("script yes");
    const st: ServiceState = { exists, detail: "", where: `no /etc/init.d/${name}` };
    const links = lines.filter((l) => l.startsWith("link ")).map((l) => l.slice(5));
    st.enabled = links.length > 0;
    if (!exists) return st;
    const rc = Number(/^status (\d+)$/m.exec(stdout)?.[1] ?? "4");
    const msg = /^msg (.*)$/m.exec(stdout)?.[1]?.trim() ?? "";
    if (rc === 0) st.running = true;
    else if (rc >= 1 && rc <= 3) st.running = false;
    st.detail = msg ? `${msg} (status exit ${rc})` : `status exit ${rc}`;
    return st;
  },

  async run(host, name, op) {
    const n = shq(name);
    if (op === "enable") {
      return host.run(
        `if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} defaults && update-rc.d ${n} enable; else chkconfig ${n} on; fi`,
      );
    }
    if (op === "disable") {
      return host.run(`if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} disable; else chkconfig ${n} off; fi`);
    }
    return host.run(`if command -v service >/dev/null 2>&1; then service ${n} ${op}; else /etc/init.d/${n} ${op}; fi`);
  },
};
