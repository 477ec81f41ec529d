// SysV init strategy (Debian without systemd, as on the lab hosts). Running = the LSB exit code of
// `/etc/init.d/NAME status` (0 running; 1, 2, 3 not running; 4 or more unknown). Enabled = an
// S??NAME start link in one of /etc/rc2.d … /etc/rc5.d. apply uses `service` when it exists
// (else the script itself) and update-rc.d (else chkconfig).
import { shJoin, shq, splitArgs } from "../../../engine/core/shell.js";
import { findRec, parseRecords } from "../../../engine/core/record.js";
import { cmdOf, outLines, snip } from "../../../engine/core/snippets.js";
import type { ServiceBackend, ServiceState } from "./types.js";

export const sysv: ServiceBackend = {
  init: "sysv",

  probeScript(name, opts) {
    const n = shq(name);
    // @cmd status only when the script exists; @out links lists the S??NAME start links.
    return [
      `if [ -x /etc/init.d/${n} ]; then`,
      snip.cmd("status", `/etc/init.d/${n} status 2>&1`),
      "fi",
      ...(opts?.pattern !== undefined ? [snip.begin("pattern"), snip.field("pattern", patternCount(opts.pattern))] : []),
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
    // with a pattern, as Ansible's sysvinit module: running means a process line holds it
    const found = findRec(recs, "pattern")?.int("pattern");
    if (found !== undefined) {
      st.running = found > 0;
      st.detail = `${found} process${found === 1 ? "" : "es"} matching the pattern; ${st.detail}`;
    }
    return st;
  },

  async run(host, name, op, opts) {
    const n = shq(name);
    // Ansible's sysvinit runs "script action arguments" through run_command without a shell
    // (shlex-split): the words are plain arguments, never sh syntax.
    const args = opts?.arguments ? ` ${shJoin(splitArgs(opts.arguments))}` : "";
    // a restart with sleep: stop, wait, start (Ansible's sysvinit)
    if (op === "restart" && opts?.sleep) {
      const call = (o: string) => `if command -v service >/dev/null 2>&1; then service ${n} ${o}${args}; else /etc/init.d/${n} ${o}${args}; fi`;
      return host.run(`${call("stop")}\nsleep ${Math.floor(opts.sleep)}\n${call("start")}`);
    }
    if (op === "enable") {
      return host.run(`if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} defaults && update-rc.d ${n} enable; else chkconfig ${n} on; fi`);
    }
    if (op === "disable") {
      return host.run(`if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} disable; else chkconfig ${n} off; fi`);
    }
    return host.run(`if command -v service >/dev/null 2>&1; then service ${n} ${op}${args}; else /etc/init.d/${n} ${op}${args}; fi`);
  },
};

/**
 * How many `ps auxww` lines hold `pattern` (Ansible's get_ps: a substring test), not counting this
 * probe's own shell and its ancestors (sudo, the session's shell), whose command lines carry the
 * pattern, nor the probe shell's own children (the subshell running ps).
 */
function patternCount(pattern: string): string {
  return (
    `$(_ka=" $$ "; _kq=$$; while [ "$_kq" -gt 1 ] 2>/dev/null; do _kq=$(awk '{print $4}' /proc/$_kq/stat 2>/dev/null); [ -n "$_kq" ] && [ "$_kq" -gt 1 ] || break; _ka="$_ka$_kq "; done; ` +
    `_kps=$(ps axww -o pid=,ppid=,args= 2>/dev/null); printf '%s\\n' "$_kps" | KEEL_PAT=${shq(pattern)} awk -v a="$_ka" -v me=$$ ` +
    `'{ line = $0; sub(/^ *[0-9]+ +[0-9]+ +/, "", line) } index(line, ENVIRON["KEEL_PAT"]) && index(a, " " $1 " ") == 0 && $2 != me { n++ } END { print n + 0 }')`
  );
}
