// services.service: ensure a service is running or stopped and starts (or not) at boot; restart
// or reload it. Arguments follow Ansible's service/systemd modules. The init system is a strategy
// chosen by facts.init (backends/systemd.ts, backends/sysv.ts).
//
// `restarted` and `reloaded` are actions, not states: on a running service they always yield a
// change ("service nginx restart") marked `data.action: true`, which the drift engine treats as
// an action rather than drift. On a stopped service they yield "service nginx stopped, to start",
// which is ordinary drift (both imply the service should run).
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { proveNewLogin, SSHD_ACTION_CHECK, sshdActionGuarded, sshdActionRefusal } from "../../engine/core/sshd-access.js";
import type { Facts } from "../../engine/core/facts.js";
import { splitArgs } from "../../engine/core/shell.js";
import { systemd } from "./backends/systemd.js";
import { sysv } from "./backends/sysv.js";
import type { ServiceBackend, ServiceOp, ServiceOpts, ServiceState } from "./backends/types.js";

export interface ServiceArgs {
  name?: string;
  state?: "started" | "stopped" | "restarted" | "reloaded";
  enabled?: boolean;
  /** systemd (Ansible's systemd_service): mask / unmask the unit. */
  masked?: boolean;
  daemon_reload?: boolean;
  "daemon-reload"?: boolean;
  daemon_reexec?: boolean;
  "daemon-reexec"?: boolean;
  scope?: "system" | "user" | "global";
  no_block?: boolean;
  force?: boolean;
  arguments?: string;
  pattern?: string;
  runlevel?: string;
  sleep?: number;
  use?: string;
}

/** Strategies keyed by facts.init. */
export const BACKENDS: Readonly<Record<string, ServiceBackend>> = { systemd, sysv };

/**
 * Change.data of this module. `action` marks restart/reload, which are never drift; `quiet` marks
 * daemon-reload/daemon-reexec, which never make the task changed (check mode included), as in Ansible.
 */
export interface ServiceChangeData {
  op: ServiceOp;
  action?: true;
  quiet?: true;
}

export default defineModule<ServiceArgs, ServiceState, ServiceChangeData>({
  name: "services.service",
  aliases: ["service", "systemd", "systemd_service"],
  // ansible.builtin.systemd_service spells name as `service` or `unit` too
  argAliases: { service: "name", unit: "name", args: "arguments" },
  description:
    "Ensure a service is started or stopped and enabled or disabled at boot, or restart/reload it. " +
    "Works with systemd (systemctl) and SysV init (/etc/init.d, service, update-rc.d), chosen from the host's facts.",
  args: {
    type: "object",
    additionalProperties: false,
    anyOf: [
      { required: ["name"] },
      { required: ["daemon_reload"] },
      { required: ["daemon-reload"] },
      { required: ["daemon_reexec"] },
      { required: ["daemon-reexec"] },
    ],
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
        description:
          "Whether the service starts at boot (systemctl enable/disable; update-rc.d defaults+enable/disable for SysV). On systemd, enabling and starting (or disabling and stopping) in one task is one `systemctl enable --now` (`disable --now`).",
        type: "boolean",
      },
      masked: {
        description:
          "systemd only: whether the unit is masked (systemctl mask/unmask), judged as Ansible does by `systemctl is-enabled` printing `masked`. A unit that does not exist can be masked.",
        type: "boolean",
      },
      daemon_reload: {
        description:
          "systemd only: run `systemctl daemon-reload` first. Every time it is asked for, with or without a name, as Ansible's systemd module does (the summary says when the unit's own files changed on disk, NeedDaemonReload=yes). As in Ansible, the reload alone never makes the task changed, in check mode too (it is listed as an action; drift ignores it).",
        type: "boolean",
      },
      "daemon-reload": { description: "Alias of daemon_reload.", type: "boolean" },
      daemon_reexec: {
        description:
          "systemd only: run `systemctl daemon-reexec` (after daemon_reload, before anything else), every run, as Ansible's systemd module does. Like daemon_reload it never makes the task changed alone, in check mode too (it is listed as an action; drift ignores it).",
        type: "boolean",
      },
      "daemon-reexec": { description: "Alias of daemon_reexec.", type: "boolean" },
      scope: {
        description:
          "systemd only: the manager: system (default), user (systemctl --user, as the become user) or global (--global: enablement for every user).",
        enum: ["system", "user", "global"],
      },
      no_block: { description: "systemd only: do not wait for the job to finish (--no-block).", type: "boolean" },
      force: {
        description: "systemd only: add --force to every systemctl call (overrides existing symlinks when enabling or masking), as Ansible's systemd_service.",
        type: "boolean",
      },
      arguments: {
        description:
          "SysV: words added to every init script call (`service NAME start ARGS`). On systemd hosts ignored, as Ansible ignores it there (it warns). Alias `args`.",
        type: "string",
      },
      pattern: {
        description:
          "SysV: the service runs when a `ps auxww` line holds this text (Ansible's sysvinit), instead of the status exit code. Ignored on systemd hosts, as in Ansible.",
        type: "string",
      },
      runlevel: {
        description:
          "OpenRC's runlevel for enabled: keel has no OpenRC backend. Ignored on systemd hosts, as in Ansible; on SysV hosts a run-time error (Ansible's sysvinit rejects it too).",
        type: "string",
      },
      sleep: {
        description: "SysV: seconds between the stop and the start of a restart. Ignored on systemd hosts, as in Ansible.",
        type: "integer",
        minimum: 0,
      },
      use: {
        description: "The service manager, as Ansible's `use`: auto (from the facts, default), systemd, or sysvinit/service (SysV init scripts).",
        enum: ["auto", "systemd", "sysvinit", "service"],
      },
    },
  },

  resource(args) {
    return args.name ? `service ${args.name}` : reloadWanted(args) ? "systemd daemon-reload" : "systemd daemon-reexec";
  },

  validate(a) {
    // arguments are split into words as Ansible's run_command does (no shell): an unterminated quote is bad input
    if (a.arguments !== undefined && !/\{\{|\{%/.test(a.arguments)) splitArgs(a.arguments);
    if (a.scope === "global" && a.state !== undefined)
      throw new ArgError(
        "scope",
        "scope=global only manages enablement (enabled, masked); a global scope has no running state",
        "drop state, or use scope: user",
      );
  },

  probe(args, facts) {
    const be = backend(facts, args.use);
    if (be.init !== "systemd" && args.runlevel !== undefined)
      throw new ModuleError("runlevel is OpenRC's (Ansible's service module); SysV init scripts have none (Ansible's sysvinit rejects it too)");
    if (
      be.init !== "systemd" &&
      (args.masked !== undefined || reloadWanted(args) || reexecWanted(args) || (args.scope ?? "system") !== "system" || args.no_block || args.force)
    ) {
      throw new ModuleError(`masked, daemon_reload, daemon_reexec, scope, no_block and force need systemd; this host's init is ${facts.init}`);
    }
    // daemon_reload without a name: nothing to look at, the reload is an action.
    if (!args.name) return { script: "true", parse: () => ({ exists: true, detail: "", where: "" }) };
    const name = args.name;
    const o = be.init === "systemd" ? opts(args) : { ...opts(args), ...sysvOpts(args) };
    return { script: be.probeScript(name, o), parse: (stdout, rc) => be.parse(stdout, rc, name) };
  },

  diff(st, args) {
    // daemon-reexec has no state to compare: like Ansible, it runs every time it is asked for.
    const reexec: Change<ServiceChangeData>[] = reexecWanted(args)
      ? [{ summary: "systemctl daemon-reexec", field: "daemon_reexec", data: { op: "daemon-reexec", action: true, quiet: true } }]
      : [];
    if (!args.name) {
      const reload: Change<ServiceChangeData>[] = reloadWanted(args)
        ? [{ summary: "systemctl daemon-reload", field: "daemon_reload", data: { op: "daemon-reload", action: true, quiet: true } }]
        : [];
      return [...reload, ...reexec];
    }
    const n = args.name;
    // Ansible masks (or finds unmasked) a unit that does not exist, and reports the status of one
    // with only a name; only enabled and state need it.
    if (!st.exists && (args.state !== undefined || args.enabled !== undefined)) throw new ModuleError(`service ${n} not found: ${st.where}`);
    const changes: Change<ServiceChangeData>[] = [];
    // Like Ansible's systemd module (systemd.py: `if daemon_reload and not check_mode`), the reload
    // runs whenever it is asked for, not only when this unit's files changed: changes to other units
    // (a socket, a timer, a drop-in's generator) are loaded too. It is an action, never drift.
    if (reloadWanted(args)) {
      changes.push(
        st.needReload
          ? {
              summary: `unit files of ${n} changed on disk, to daemon-reload`,
              field: "daemon_reload",
              before: "NeedDaemonReload=yes",
              after: "reloaded",
              data: { op: "daemon-reload", action: true, quiet: true },
            }
          : { summary: "systemctl daemon-reload", field: "daemon_reload", data: { op: "daemon-reload", action: true, quiet: true } },
      );
    }
    changes.push(...reexec);
    // Only a name (systemd_service: name=docker): read the unit's status for `register`, change nothing else.
    if (statusOnly(args)) return changes;
    if (args.masked !== undefined && !!st.masked !== args.masked) {
      changes.push({
        summary: `service ${n} ${args.masked ? "not masked, to mask" : "masked, to unmask"}`,
        field: "masked",
        before: !!st.masked,
        after: args.masked,
        data: { op: args.masked ? "mask" : "unmask" },
      });
    }
    // A unit being unmasked in this task is judged as it will be afterwards: its own unit file state.
    if (args.masked === false && st.masked) {
      st = { ...st, fixed: undefined, enabled: false };
    }
    // Likewise a unit being masked: Ansible's systemd module masks first, then asks is-enabled
    // ("masked": not enabled), so `masked: true, enabled: false` on a static unit only masks it.
    if (args.masked === true && !st.masked) {
      st = { ...st, fixed: "masked", enabled: false };
    }
    // Ansible's rule (is-enabled exits 0, not "indirect"/"alias"): a static unit counts as enabled, so
    // enabled=false runs `systemctl disable` (which changes nothing) and reports a change every run,
    // as Ansible does; enabling a masked unit fails in systemctl, as in Ansible.
    if (args.enabled !== undefined && st.enabled !== args.enabled) {
      changes.push({
        summary: st.fixed
          ? `service ${n} is ${st.fixed} (${st.enabled ? "enabled" : "disabled"} for Ansible), to ${args.enabled ? "enable" : "disable"}`
          : `service ${n} ${args.enabled ? "disabled, to enable" : "enabled, to disable"}`,
        field: "enabled",
        before: st.enabled ?? st.fixed,
        after: args.enabled,
        data: { op: args.enabled ? "enable" : "disable" },
      });
    }
    const s = args.state;
    const status = st.running === undefined ? `status unknown (${st.detail})` : st.running ? "running" : "stopped";
    if ((s === "started" || s === "restarted" || s === "reloaded") && st.running !== true) {
      changes.push({
        summary: `service ${n} ${status}, to start`,
        field: "state",
        before: status,
        after: "running",
        data: { op: "start" },
      });
    } else if (s === "stopped" && (st.running !== false || st.deactivating)) {
      changes.push({
        summary: `service ${n} ${status}, to stop`,
        field: "state",
        before: status,
        after: "stopped",
        data: { op: "stop" },
      });
    } else if (s === "restarted" || s === "reloaded") {
      const op = s === "restarted" ? "restart" : "reload";
      changes.push({
        summary: `service ${n} ${op}`,
        field: "state",
        before: "running",
        after: "running",
        data: { op, action: true },
      });
    }
    return changes;
  },

  // Ansible's systemd module registers every `systemctl show` property as `status`.
  result(st) {
    return st.status ? { status: st.status } : {};
  },

  explain(st, args) {
    if (statusOnly(args))
      return `service ${args.name}: status read, nothing asked of it (${st.exists ? st.detail : st.where}${st.status?.LoadState ? `, LoadState=${st.status.LoadState}` : ""})`;
    const parts: string[] = [];
    if (args.state !== undefined) parts.push(st.running ? "running" : "stopped");
    if (args.enabled !== undefined) parts.push(st.fixed ? `${st.fixed} at boot` : st.enabled ? "enabled" : "disabled");
    if (args.masked !== undefined) parts.push(st.masked ? "masked" : "not masked");
    return `service ${args.name} ${parts.join(" and ")}${st.detail ? `: ${st.detail}` : ""}`;
  },

  async apply(host, args, changes) {
    const be = backend(host.facts, args.use);
    const out: string[] = [];
    let ops = changes.map((c) => c.data!.op);
    ops.sort((a, b) => rank(a) - rank(b));
    // systemd: enabling and starting (disabling and stopping) is one `systemctl enable --now`.
    if (be.init === "systemd") {
      for (const [en, run] of [
        ["enable", "start"],
        ["disable", "stop"],
      ] as const) {
        if (ops.includes(en) && ops.includes(run)) ops = ops.filter((o) => o !== run).map((o) => (o === en ? (`${en} --now` as ServiceOp) : o));
      }
    }
    // sshd: keel never locks out the login it connects with. Before a restart, reload or stop,
    // the configuration on disk must pass `sshd -t` and let keel's login in (sshd -T for it);
    // afterwards a NEW connection must work. The running sshd keeps its old configuration when
    // the action is refused.
    const name = args.name ?? "";
    let prove = false;
    if (sshdActionGuarded(name, ops)) {
      const g = sshdActionRefusal((await host.run(SSHD_ACTION_CHECK, { check: false })).stdout, name, ops);
      if (g.refusal)
        throw new ModuleError(
          `refusing to ${ops.filter((o) => o !== "daemon-reload" && o !== "daemon-reexec").join(", ")} ${name}: ${g.refusal}. The running sshd keeps its current configuration; keel never locks out the user it connects as (fix the configuration, or connect as a user it lets in)`,
        );
      prove = g.viaSsh;
    }
    const o = be.init === "systemd" ? opts(args) : { ...opts(args), ...sysvOpts(args) };
    for (const op of ops) out.push((await be.run(host, name, op, o)).stdout);
    if (prove) {
      const proof = await proveNewLogin(host);
      if (!proof.ok)
        throw new ModuleError(
          `${name} ${ops.join(", ")} done, but ${proof.detail}; keel's current session still works: fix the configuration and ${ops.join(", ")} ${name} again`,
        );
    }
    // Ansible's daemon_reload never makes the task changed: alone, it is "ok".
    return { stdout: out.join(""), ...(ops.every((o) => o === "daemon-reload" || o === "daemon-reexec") ? { changed: false } : {}) };
  },
});

/** Ansible's order: daemon-reload, daemon-reexec, mask/unmask, enablement, then the running state. */
function rank(op: ServiceOp): number {
  if (op === "daemon-reload") return 0;
  if (op === "daemon-reexec") return 0.5;
  if (op === "mask" || op === "unmask") return 1;
  return op === "enable" || op === "disable" ? 2 : 3;
}

/** A name and no state, enabled or masked: Ansible's systemd module then only reports the unit's status. */
function statusOnly(a: ServiceArgs): boolean {
  return a.state === undefined && a.enabled === undefined && a.masked === undefined;
}

function reexecWanted(a: ServiceArgs): boolean {
  return a.daemon_reexec === true || a["daemon-reexec"] === true;
}

function reloadWanted(a: ServiceArgs): boolean {
  return a.daemon_reload === true || a["daemon-reload"] === true;
}

function opts(a: ServiceArgs): ServiceOpts {
  return { ...(a.scope ? { scope: a.scope } : {}), ...(a.no_block ? { noBlock: true } : {}), ...(a.force ? { force: true } : {}) };
}

/** arguments, pattern and sleep: the SysV backend's (Ansible drops them, with a warning, for systemd). */
function sysvOpts(a: ServiceArgs): ServiceOpts {
  return {
    ...(a.arguments ? { arguments: a.arguments } : {}),
    ...(a.pattern !== undefined ? { pattern: a.pattern } : {}),
    ...(a.sleep ? { sleep: a.sleep } : {}),
  };
}

/** The backend `use` names, else the host's init system. */
function backend(facts: Facts, use?: string): ServiceBackend {
  if (use === "systemd") return systemd;
  if (use === "sysvinit" || use === "service") return sysv;
  const be = BACKENDS[facts.init];
  if (!be) {
    throw new ModuleError(
      `no service backend for init '${facts.init}' on this host (supported: ${Object.keys(BACKENDS).join(", ")}); is fact gathering off (gather_facts: false)?`,
    );
  }
  return be;
}
