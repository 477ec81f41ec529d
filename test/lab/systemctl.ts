// A systemctl for init-less lab hosts: docker-systemctl-replacement (test/lab/systemctl/SOURCE,
// EUPL-1.2), vendored unchanged. It is NOT systemd — a Python script that reads the *.service
// files and runs their Exec* lines itself — and it is a lab-side mechanism only: the compatibility
// corpus installs it on the scratch hosts of roles that drive systemctl (`systemd: masked`,
// `daemon_reload`), on the host keel converges and on the host ansible-playbook converges alike,
// so that both tools meet the same service manager. Nothing in keel knows about it.
//
// installSystemctl(host), run inside the host through nsenter (no SSH while sshd changes hands):
//   1. /usr/bin/systemctl := the script (mode 0755);
//   2. stop the SysV-started sshd (its sessions live on), BEFORE step 3: once /run/systemd/system
//      exists, Debian's `service` and init scripts hand every action to systemctl;
//   3. mkdir /run/systemd/system, the sd_booted(3) marker, with the runtime drop-in
//      ssh.service.d/keel-lab.conf in it (outside /etc, which the corpus compares; the replacement
//      reads drop-ins from /run/systemd/system as systemd does; see below). It is the marker the replacement's README asks for: tools
//      that ask "is systemd the service manager?" as systemd itself defines it (Ansible's service
//      module, Debian's service/invoke-rc.d, keel's facts) then drive systemctl. PID 1 stays tini,
//      so Ansible's service_mgr fact and service_facts' PID 1 test still say "not systemd";
//   4. `systemctl start ssh.service`, so the service manager knows the sshd it will restart (a
//      restart of an sshd it did not start would fail to bind port 22), then wait for port 22.
// If step 4 fails, sshd is started again through SysV and the error is thrown.
//
// Why the drop-in: ssh.service has no ExecStop, so the replacement stops it through its `kill`
// (do_kill_unit_from). That signals only the main PID under KillMode=process, as systemd does, but
// then waits until EVERY descendant of the main PID has exited — its pidlist_of() walks PPid links,
// it has no cgroup — and the SSH sessions are descendants of the listener, including the session
// running `systemctl restart ssh` itself. So each restart of ssh over SSH hung for TimeoutStopSec
// (90 s), then started sshd again (measured: 96 s, the session survived). With an ExecStop that
// sends SIGTERM to $MAINPID, the replacement waits for the main PID alone: the same signal to the
// same process that systemd's KillMode=process stop sends, and the sessions live on as under systemd.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { LabHostName } from "./config.js";
import { hostExec, waitForPort } from "./host.js";
import { LabError } from "./util.js";

const SCRIPT = fileURLToPath(new URL("../../../test/lab/systemctl/systemctl3.py", import.meta.url));

/** The vendored script's bytes (test/lab/systemctl/systemctl3.py, found from src and from dist). */
function script(): string {
  try {
    return readFileSync(SCRIPT, "utf8");
  } catch {
    return readFileSync(fileURLToPath(new URL("./systemctl/systemctl3.py", import.meta.url)), "utf8");
  }
}

export async function installSystemctl(host: LabHostName & { address: string }): Promise<void> {
  await hostExec(host, "cat > /usr/bin/systemctl.keel-lab && chmod 0755 /usr/bin/systemctl.keel-lab && mv -f /usr/bin/systemctl.keel-lab /usr/bin/systemctl", {
    input: script(),
  });
  const r = await hostExec(
    host,
    [
      "set -u",
      "service ssh stop >/dev/null",
      "mkdir -p /run/systemd/system/ssh.service.d",
      "printf '%s\\n' '[Service]' 'ExecStop=/bin/kill -TERM $MAINPID' > /run/systemd/system/ssh.service.d/keel-lab.conf",
      // the daemon it starts inherits systemctl's stdio: keep it off this command's pipes
      "if systemctl start ssh.service </dev/null >/tmp/keel-lab-systemctl.err 2>&1; then exit 0; fi",
      "rm -rf /run/systemd/system; mkdir -p /run/sshd; service ssh start </dev/null >/dev/null 2>&1; cat /tmp/keel-lab-systemctl.err >&2; exit 1",
    ].join("\n"),
    { check: false },
  );
  if (r.code !== 0) throw new LabError(`${host.name}: systemctl start ssh.service through docker-systemctl-replacement failed: ${r.stderr.slice(-500)}`);
  await waitForPort(host.address, 22, 30_000);
}
