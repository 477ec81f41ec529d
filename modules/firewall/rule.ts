// firewall.rule: one firewall rule (or a default policy, or the firewall's state) with the arguments
// of Ansible's community.general.ufw, so ufw playbooks load unchanged. The backend is a strategy.
// Called by Ansible's names (`ufw`, `community.general.ufw`) it is ufw itself, as Ansible's module
// drives it: ufw's own commands and files, whether ufw is enabled or not, and decided when the task
// runs (a role that installs ufw earlier in the same play, after facts were gathered, gets ufw).
// Called as firewall.rule (`backend: auto`) it follows the `firewall` fact (engine/facts/firewall.ts):
// ufw when ufw is active, firewalld when it runs (the default zone, runtime and permanent),
// otherwise keel's own nftables table `inet keel_rules`; without facts the probe detects it.
//
// Every change that can cut access goes through the same guard as firewall.nftables: evaluated
// against keel's own SSH connection before anything is touched (unless allow_lockout: true), then
// applied under the dead-man switch, proven with a NEW SSH connection.
import { defineModule, type Change } from "../../engine/core/module.js";
import { InternalError, ModuleError } from "../../engine/core/errors.js";
import { snip } from "../../engine/core/snippets.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { intentOf, ufwCommand, type UfwArgs } from "./ufw-args.js";
import { UFW_PROBE, applyUfw, diffUfw, parseUfw, ufwLockout, type UfwPlan, type UfwState } from "./backends/ufw.js";
import { RULES_TABLE, diffNftRule, tableAfter } from "./backends/nft.js";
import {
  FIREWALLD_PROBE,
  applyFirewalld,
  diffFirewalld,
  firewalldLockout,
  parseFirewalld,
  type FirewalldPlan,
  type FirewalldState,
} from "./backends/firewalld.js";
import { SSH_SNIPPET, nftProbeScript, parseNftProbe, type NftHostState } from "./nft-probe.js";
import { candidateFiles, persistTarget, unpersistTarget } from "./nft-persist.js";
import { deleteScript, loadScript } from "./nft-render.js";
import { guardedLoad } from "./deadman.js";
import type { NftPlan } from "./nft-diff.js";
import { shq } from "../../engine/core/shell.js";

type Backend = "ufw" | "firewalld" | "nftables" | "none";

export interface RuleState {
  backend: Backend;
  ufw?: UfwState;
  firewalld?: FirewalldState;
  nft: NftHostState;
}

/** The plan of one change, tagged with the backend whose diff made it (nftables plans carry no tag). */
type Plan = UfwPlan | FirewalldPlan | (NftPlan & { backend?: undefined });

type PlanOf<B> = B extends "ufw" ? UfwPlan : B extends "firewalld" ? FirewalldPlan : NftPlan;

/** The changes of one backend's diff, typed as that backend's plan; a change of another backend is keel's bug. */
function plansOf<B extends Plan["backend"]>(changes: Change<Plan>[], backend: B): Change<PlanOf<B>>[] {
  return changes.map((c) => {
    if (c.data?.backend !== backend)
      throw new InternalError(`firewall.rule: a ${c.data?.backend ?? "nftables"} change reached the ${backend ?? "nftables"} apply`);
    return c as Change<PlanOf<B>>;
  });
}

const str = (description: string, extra: object = {}) => ({ type: "string", description, ...extra });
const port = (description: string) => ({ type: ["string", "integer"], description });

const FILES = candidateFiles(RULES_TABLE);

function backendOf(facts: Record<string, unknown>): Backend | undefined {
  const fw = facts.firewall as { backend?: Backend } | undefined;
  return fw?.backend;
}

export default defineModule<UfwArgs, RuleState, Plan>({
  name: "firewall.rule",
  aliases: ["ufw", "community.general.ufw"],
  description:
    "Ensure one firewall rule, default policy or firewall state, with the arguments of Ansible's community.general.ufw. " +
    "Called as ufw or community.general.ufw it drives ufw itself, as Ansible does (ufw must be installed when the task runs). " +
    "As firewall.rule the backend follows the `firewall` fact: ufw when it is active, firewalld when it runs, else keel's own nftables table `inet keel_rules`. " +
    "A change that would cut keel's own SSH connection is refused, and every risky change runs under a dead-man timer.",
  argAliases: { if_in: "interface_in", if_out: "interface_out" },
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      rule: { enum: ["allow", "deny", "limit", "reject"], description: "The rule's action. limit (at most 6 new connections in 30 s per source) needs ufw." },
      policy: { enum: ["allow", "deny", "reject"], description: "Set the default policy of `direction` (incoming by default) instead of a rule." },
      default: { enum: ["allow", "deny", "reject"], description: "Alias of policy." },
      state: {
        enum: ["enabled", "disabled", "reloaded", "reset"],
        description: "enabled/disabled: the firewall filters or not; reloaded: reload it; reset: remove every rule (and disable ufw).",
      },
      logging: { enum: ["on", "off", "low", "medium", "high", "full", true, false], description: "ufw's logging level (ufw only)." },
      direction: {
        enum: ["in", "incoming", "out", "outgoing", "routed"],
        description: "Direction of the rule (in, out) or of the default policy (incoming, outgoing, routed). Default in.",
      },
      interface: str("Interface the rule applies to (input interface for in, output for out)."),
      if: str("Alias of interface."),
      interface_in: str("Input interface (direction in)."),
      interface_out: str("Output interface (direction out)."),
      from_ip: str("Source address or CIDR, or any (default)."),
      from: str("Alias of from_ip."),
      src: str("Alias of from_ip."),
      from_port: port("Source port, range (1024:65535) or list (80,443)."),
      to_ip: str("Destination address or CIDR, or any (default)."),
      to: str("Alias of to_ip."),
      dest: str("Alias of to_ip."),
      to_port: port("Destination port, range (8000:8080), list (80,443) or service name (ssh, http…)."),
      port: port("Alias of to_port."),
      proto: { enum: ["any", "tcp", "udp", "ipv6", "esp", "ah", "gre", "igmp", "vrrp"], description: "Protocol; any (default) covers tcp and udp for ports." },
      protocol: { enum: ["any", "tcp", "udp", "ipv6", "esp", "ah", "gre", "igmp", "vrrp"], description: "Alias of proto." },
      comment: str("A comment stored with the rule."),
      delete: { type: "boolean", default: false, description: "Remove the rule instead of ensuring it." },
      insert: { type: "integer", description: "Put the rule at this position (1 = first) instead of last." },
      insert_relative_to: {
        enum: ["zero", "first-ipv4", "last-ipv4", "first-ipv6", "last-ipv6"],
        description: "Accepted for compatibility; keel counts insert from the first rule (zero).",
      },
      log: { type: "boolean", description: "Log packets the rule matches." },
      route: { type: "boolean", description: "Routed (forwarded) rules: not supported by keel yet (refused at load)." },
      name: str("A ufw application profile: not supported by keel (refused at load; write port and proto)."),
      app: str("Alias of name."),
      allow_lockout: {
        type: "boolean",
        default: false,
        description: "Apply even when keel evaluates that the change drops its own SSH connection (the dead-man switch still restores).",
      },
      backend: {
        enum: ["auto", "ufw"],
        default: "auto",
        description:
          "auto: follow the firewall fact (ufw when active, firewalld when running, else keel's nftables table). ufw: drive ufw itself, enabled or not, as Ansible's module does; the default when the task calls the module ufw or community.general.ufw.",
      },
      rollback_timeout: {
        type: "integer",
        default: 30,
        description: "Seconds before the dead-man timer on the host restores the previous firewall if keel has not confirmed a new SSH connection.",
      },
    },
  },

  resource(args) {
    const i = (() => {
      try {
        return intentOf(args);
      } catch {
        return undefined;
      }
    })();
    if (i?.rule) return `firewall rule ${ufwCommand(i.rule)}`;
    if (i?.policy) return `firewall default ${i.policy.dir}`;
    return `firewall ${args.state ?? args.logging ?? "rule"}`;
  },

  validate(args) {
    intentOf(args);
  },

  probe(args, facts) {
    // backend ufw is decided now, not from facts gathered before an earlier task installed ufw
    const known = args.backend === "ufw" ? "ufw" : backendOf(facts);
    const script = [
      snip.begin("detect"),
      snip.field("ufw_enabled", `"$(sed -n 's/^[[:space:]]*ENABLED[[:space:]]*=[[:space:]]*//p' /etc/ufw/ufw.conf 2>/dev/null | tr -d '"' | head -n 1)"`),
      snip.field("firewalld", `"$( { firewall-cmd --state 2>/dev/null || { pgrep -x firewalld >/dev/null 2>&1 && echo running; }; } | head -n 1)"`),
      ...(known === undefined || known === "ufw" ? [UFW_PROBE] : []),
      ...(known === undefined || known === "firewalld" ? [FIREWALLD_PROBE] : []),
      // With ufw or firewalld in charge the nft listing (their own chains) is not needed, only keel's SSH path.
      known === "ufw" || known === "firewalld" ? SSH_SNIPPET : nftProbeScript(FILES),
    ].join("\n");
    return {
      script,
      parse(stdout) {
        const recs = parseRecords(stdout);
        const d = findRec(recs, "detect");
        const detected: Backend = /^yes$/i.test(d?.get("ufw_enabled") ?? "") ? "ufw" : d?.get("firewalld") === "running" ? "firewalld" : "nftables";
        const st: RuleState = { backend: known ?? detected, nft: parseNftProbe(stdout, FILES) };
        if (findRec(recs, "file", "ufw_conf")) st.ufw = parseUfw(recs);
        const fwd = parseFirewalld(recs);
        if (fwd) st.firewalld = fwd;
        return st;
      },
    };
  },

  diff(st, args) {
    const intent = intentOf(args);
    if (st.backend === "firewalld") {
      if (!st.firewalld)
        throw new ModuleError("the firewall fact says firewalld runs, but firewall-cmd --list-all failed on the host (run the task with become: true)");
      const changes = diffFirewalld(st.firewalld, intent);
      if (changes.some((c) => c.data?.guarded && !c.data.action) && st.nft.ssh && !args.allow_lockout) {
        const refusal = firewalldLockout(st.firewalld, changes, st.nft.ssh);
        if (refusal) throw new ModuleError(refusal);
      }
      return changes;
    }
    if (st.backend === "ufw") {
      if (!st.ufw)
        throw new ModuleError(
          args.backend === "ufw"
            ? "ufw is not installed on the host (command -v ufw found nothing): this task drives ufw, as Ansible's community.general.ufw does; install ufw in an earlier task, or call the module as firewall.rule to use the host's firewall backend"
            : "the firewall fact says ufw, but the probe found no ufw on the host",
        );
      const changes = diffUfw(st.ufw, intent);
      if (changes.some((c) => c.data?.guarded && !c.data.action) && st.nft.ssh && !args.allow_lockout) {
        const refusal = ufwLockout(st.ufw, intent, changes, st.nft.ssh);
        if (refusal) throw new ModuleError(refusal);
      }
      return changes;
    }
    return diffNftRule(st.nft, intent, { allowLockout: args.allow_lockout === true });
  },

  explain(st, args) {
    const i = intentOf(args);
    const where =
      st.backend === "ufw" ? "ufw" : st.backend === "firewalld" ? `firewalld zone ${st.firewalld?.zone ?? ""}` : `nftables table inet ${RULES_TABLE.name}`;
    if (i.rule) return `${i.rule.delete ? "no rule" : "rule"} ${ufwCommand(i.rule)} in ${where}`;
    return `${where} as declared`;
  },

  async apply(host, args, changes, st) {
    const timeoutS = args.rollback_timeout ?? 30;
    if (st.backend === "ufw") return { msg: await applyUfw(host, plansOf(changes, "ufw"), timeoutS) };
    if (st.backend === "firewalld") return { msg: await applyFirewalld(host, plansOf(changes, "firewalld"), timeoutS) };
    const plans = plansOf(changes, undefined).flatMap((c) => (c.data ? [c.data] : []));
    const intent = intentOf(args);
    const live = st.nft.live?.tables.find((t) => t.family === RULES_TABLE.family && t.name === RULES_TABLE.name);
    if (intent.state === "reloaded") {
      const p = persistTarget(tableAfter(live, {})!, { ownsRuleset: false }, st.nft.persist);
      await host.run(`nft -f ${shq(p.path)}`);
      return { msg: `reloaded from ${p.path}` };
    }
    const want = tableAfter(live, intent);
    let msg = "";
    if (plans.some((p) => p.op === "load" || p.op === "delete")) {
      const r = await guardedLoad(host, {
        script: want ? loadScript(want, false) : deleteScript(RULES_TABLE),
        label: `table inet ${RULES_TABLE.name}`,
        scope: RULES_TABLE,
        timeoutS,
      });
      msg = `loaded in one transaction (${r.loadMs} ms); a new SSH connection worked (${r.proofMs} ms)`;
    }
    if (!want && plans.some((p) => p.op === "unpersist")) {
      const u = unpersistTarget(RULES_TABLE, undefined, st.nft.persist);
      if (u?.remove) await host.run(`rm -f ${shq(u.path)}`);
      else if (u) await host.writeFile(u.path, u.after, { mode: "0644" });
    }
    if (want && plans.some((p) => p.op === "persist")) {
      const p = persistTarget(want, { ownsRuleset: false }, st.nft.persist);
      if (p.how === "include") await host.run(`mkdir -p ${shq(p.path.slice(0, p.path.lastIndexOf("/")))}`);
      await host.writeFile(p.path, p.after, { mode: "0644" });
    }
    return { msg };
  },
});
