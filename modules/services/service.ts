// services.service: ensure a service is running or stopped and starts (or not) at boot; restart
// or reload it. Arguments follow Ansible's service/systemd modules. The init system is a strategy
// chosen by facts.init (backends/systemd.ts, backends/sysv.ts).
//
// `restarted` and `reloaded` are actions, not states: on a running service they always yield a
// change ("service nginx restart") marked `data.action: true`, which the drift engine treats as
// an action rather than drift. On a stopped service they yield "service nginx stopped, to start",
// which is ordinary drift (both imply the service should run).
import { defineModule, type Change } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import type { Facts } from "../../engine/core/facts.js";
import { systemd } from "./backends/systemd.js";
import { sysv } from "./backends/sysv.js";
import type { ServiceBackend, ServiceOp, ServiceState } from "./backends/types.js";

export interface ServiceArgs {
  name: string;
  state?: "started" | "stopped" | "restarted" | "reloaded";
  enabled?: boolean;
}

/** Strategies keyed by facts.init. */
export const BACKENDS: Readonly<Record<string, ServiceBackend>> = { systemd, sysv };

/** Change.data of this module. `action` marks restart/reload, which are never drift. */
export interface ServiceChangeData {
  op: ServiceOp;
  action?: true;
}

export default defineModule<ServiceArgs, ServiceState>({
  name: "services.service",
  aliases: ["service", "systemd", "systemd_service"],
  description:
    "Ensure a service is started or stopped and enabled or disabled at boot, or restart/reload it. " +
    "Works with systemd (systemctl) and SysV init (/etc/init.d, service, update-rc.d), chosen from the host's facts.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    anyOf: [{ required: ["state"] }, { required: ["enabled"] }],
    properties: {
      name: {
        description: "Service name: the systemd unit (`ssh` means `ssh.service`) or the /etc/init.d script.",
        type: "string",
        pattern: "^[A-Za-z0-9_.@:+-]+$",
      },
      state: {
        description:
          "`started`/`stopped`: the service runs / does not run. `restarted`/`reloaded`: restart or reload it now; this is an " +
          "action that always reports a change (marked as an action, so drift ignores it) and starts the service if it was stopped.",
        enum: ["started", "stopped", "restarted", "reloaded"],
      },
      enabled: {
        description: "Whether the service starts at boot (systemctl enable/disable; update-rc.d defaults+enable/disable for SysV).",
        type: "boolean",
      },
    },
  },

  resource(args) {
    return `service ${args.name}`;
  },

  probe(args, facts) {
    const be = backend(facts);
    return { script: be.probeScript(args.name), parse: (stdout, rc) => be.parse(stdout, rc, args.name) };
  },

  diff(st, args) {
    const n = args.name;
    if (!st.exists) throw new ModuleError(`service ${n} not found: ${st.where}`);
    const changes: Change[] = [];
    if (args.enabled !== undefined && st.enabled !== args.enabled) {
      changes.push({
        summary: st.fixed
          ? `service ${n} is ${st.fixed} and cannot be ${args.enabled ? "enabled" : "disabled"}`
          : `service ${n} ${args.enabled ? "disabled, to enable" : "enabled, to disable"}`,
        field: "enabled",
        before: st.enabled ?? st.fixed,
        after: args.enabled,
        data: { op: args.enabled ? "enable" : "disable" } satisfies ServiceChangeData,
      });
    }
    const s = args.state;
    const status = st.running === undefined ? `status unknown (${st.detail})` : st.running ? "running" : "stopped";
    if ((s === "started" || s === "restarted" || s === "reloaded") && st.running !== true) {
      changes.push({ summary: `service ${n} ${status}, to start`, field: "state", before: status, after: "running", data: { op: "start" } satisfies ServiceChangeData });
    } else if (s === "stopped" && st.running !== false) {
      changes.push({ summary: `service ${n} ${status}, to stop`, field: "state", before: status, after: "stopped", data: { op: "stop" } satisfies ServiceChangeData });
    } else if (s === "restarted" || s === "reloaded") {
      const op = s === "restarted" ? "restart" : "reload";
      changes.push({ summary: `service ${n} ${op}`, field: "state", before: "running", after: "running", data: { op, action: true } satisfies ServiceChangeData });
    }
    return changes;
  },

  explain(st, args) {
    const parts: string[] = [];
    if (args.state !== undefined) parts.push(st.running ? "running" : "stopped");
    if (args.enabled !== undefined) parts.push(st.fixed ? `${st.fixed} at boot` : st.enabled ? "enabled" : "disabled");
    return `service ${args.name} ${parts.join(" and ")}${st.detail ? `: ${st.detail}` : ""}`;
  },

  async apply(host, args, changes, st) {
    const be = backend(host.facts);
    const out: string[] = [];
    // Enablement first (as Ansible does), then the running state.
    for (const c of changes) {
      const d = c.data as ServiceChangeData;
      if ((d.op === "enable" || d.op === "disable") && st?.fixed) {
        throw new ModuleError(`service ${args.name} is ${st.fixed}: systemctl cannot ${d.op} it${st.fixed.startsWith("masked") ? "; unmask it first" : ""}`);
      }
    }
    const ops = changes.map((c) => (c.data as ServiceChangeData).op);
    ops.sort((a, b) => rank(a) - rank(b));
    for (const op of ops) out.push((await be.run(host, args.name, op)).stdout);
    return { stdout: out.join("") };
  },
});

function rank(op: ServiceOp): number {
  return op === "enable" || op === "disable" ? 0 : 1;
}

function backend(facts: Facts): ServiceBackend {
  const be = BACKENDS[facts.init];
  if (!be) {
    throw new ModuleError(
      `no service backend for init '${facts.init}' on this host (supported: ${Object.keys(BACKENDS).join(", ")}); is fact gathering off (gather_facts: false)?`,
    );
  }
  return be;
}
