// The contract between services.service and its init-system strategies (systemd, sysv).
import type { Host } from "../../../engine/core/module.js";

export interface ServiceState {
  /** The unit / init script exists. */
  exists: boolean;
  running?: boolean;
  /** systemd only: ActiveState=deactivating (not running, but state=stopped still stops it, as Ansible). */
  deactivating?: boolean;
  /** Whether it starts at boot; undefined when the init system cannot say. */
  enabled?: boolean;
  /** systemd only: an enablement that cannot be changed ("static", "masked", "transient"…). */
  fixed?: string;
  /** One line for messages: "active (running)", "sshd is running.". */
  detail: string;
  /** Where the probe looked, for the not-found error: "no unit foo.service". */
  where: string;
  /** systemd only: the unit is masked (LoadState/UnitFileState masked or masked-runtime). */
  masked?: boolean;
  /** systemd only: its unit files changed on disk since the last daemon-reload (NeedDaemonReload=yes). */
  needReload?: boolean;
  /** systemd only (not --global): every property of `systemctl show`, registered as `status` as Ansible's systemd module does. */
  status?: Record<string, string>;
}

/** systemd's extra arguments: which manager (`--user`, `--global`) and `--no-block`. */
export interface ServiceOpts {
  scope?: "system" | "user" | "global";
  noBlock?: boolean;
  /** systemd: `--force` on every systemctl call (Ansible's `force`: override existing symlinks). */
  force?: boolean;
  /** sysv: words added to every init script call (Ansible's `arguments`). */
  arguments?: string;
  /** sysv: running = a process whose `ps auxww` line holds this text (Ansible's `pattern`), not the status exit code. */
  pattern?: string;
  /** sysv: seconds between the stop and the start of a restart (Ansible's `sleep`). */
  sleep?: number;
}

export type ServiceOp =
  "start" | "stop" | "restart" | "reload" | "enable" | "disable" | "mask" | "unmask" | "daemon-reload" | "daemon-reexec" | "enable --now" | "disable --now";

export interface ServiceBackend {
  readonly init: string;
  probeScript(name: string, opts?: ServiceOpts): string;
  parse(stdout: string, rc: number, name: string): ServiceState;
  /** Run one operation; throws on failure. */
  run(host: Host, name: string, op: ServiceOp, opts?: ServiceOpts): Promise<{ stdout: string }>;
}
