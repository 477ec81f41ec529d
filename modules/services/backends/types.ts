// The contract between services.service and its init-system strategies (systemd, sysv).
import type { Host } from "../../../engine/core/module.js";

export interface ServiceState {
  /** The unit / init script exists. */
  exists: boolean;
  running?: boolean;
  /** Whether it starts at boot; undefined when the init system cannot say. */
  enabled?: boolean;
  /** systemd only: an enablement that cannot be changed ("static", "masked", "transient"…). */
  fixed?: string;
  /** One line for messages: "active (running)", "sshd is running.". */
  detail: string;
  /** Where the probe looked, for the not-found error: "no unit foo.service". */
  where: string;
}

export type ServiceOp = "start" | "stop" | "restart" | "reload" | "enable" | "disable";

export interface ServiceBackend {
  readonly init: string;
  probeScript(name: string): string;
  parse(stdout: string, rc: number, name: string): ServiceState;
  /** Run one operation; throws on failure. */
  run(host: Host, name: string, op: ServiceOp): Promise<{ stdout: string }>;
}
