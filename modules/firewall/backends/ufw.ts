// firewall.rule's ufw strategy. ufw keeps its rules as "### tuple ###" lines in
// /etc/ufw/user.rules (IPv4) and user6.rules (IPv6):
//   ### tuple ### ACTION PROTO DPORT DST SPORT SRC DIRECTION[_IFACE] [comment=HEX]
// e.g. "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368"; the default
// policies live in /etc/default/ufw and whether it is enabled in /etc/ufw/ufw.conf. The probe reads
// those files (and `ufw status verbose`); apply runs the ufw command under the dead-man switch, which
// restores /etc/ufw and /etc/default/ufw and ufw's previous state if a NEW SSH connection fails.
import type { Change, Host } from "../../../engine/core/module.js";
import { ModuleError } from "../../../engine/core/errors.js";
import { snip } from "../../../engine/core/snippets.js";
import { findRec, type Rec } from "../../../engine/core/record.js";
import { contains, parsePrefix } from "../addr.js";
import type { SshPath } from "../guard.js";
import type { InboundPolicy } from "../nft-flow.js";
import { guardedChange } from "../deadman.js";
import { ufwCommand, type Intent, type NormRule } from "../ufw-args.js";

export interface UfwTuple {
  action: string;
  proto: string;
  dport: string;
  dst: string;
  sport: string;
  src: string;
  /** "in", "out", "in_eth0"… */
  dir: string;
  comment?: string;
  family: 4 | 6;
}

export interface UfwState {
  installed: boolean;
  active: boolean;
  /** incoming/outgoing/routed → allow/deny/reject (from /etc/default/ufw). */
  defaults: Record<string, string>;
  ipv6: boolean;
  logging?: string;
  tuples: UfwTuple[];
  status?: string;
}

export const UFW_PROBE = [
  `if command -v ufw >/dev/null 2>&1; then`,
  snip.readFile("ufw_user4", "/etc/ufw/user.rules"),
  snip.readFile("ufw_user6", "/etc/ufw/user6.rules"),
  snip.readFile("ufw_default", "/etc/default/ufw"),
  snip.readFile("ufw_conf", "/etc/ufw/ufw.conf"),
  snip.cmd("ufw_status", "ufw status verbose"),
  `fi`,
].join("\n");

const POLICY: Record<string, string> = { DROP: "deny", REJECT: "reject", ACCEPT: "allow" };

function text(recs: Rec[], id: string): string | undefined {
  const r = findRec(recs, "file", id);
  return r?.get("exists") === "1" ? (r.get("content") ?? "") : undefined;
}

/** The tuples of one user rules file. */
export function parseTuples(content: string, family: 4 | 6): UfwTuple[] {
  const out: UfwTuple[] = [];
  for (const line of content.split("\n")) {
    const m = /^### tuple ### (.*)$/.exec(line.trim());
    if (!m) continue;
    const f = m[1]!.split(/\s+/);
    const comment = f.find((x) => x.startsWith("comment="));
    const fields = f.filter((x) => !x.startsWith("comment="));
    if (fields.length < 7) continue;
    const [action, proto, dport, dst, sport, src, dir] = fields as [string, string, string, string, string, string, string];
    const t: UfwTuple = { action, proto, dport, dst, sport, src, dir, family };
    if (comment) t.comment = Buffer.from(comment.slice(8), "hex").toString("utf8");
    out.push(t);
  }
  return out;
}

export function parseUfw(recs: Rec[]): UfwState {
  const conf = text(recs, "ufw_conf");
  const def = text(recs, "ufw_default") ?? "";
  const kv = (t: string, k: string) => new RegExp(`^\\s*${k}\\s*=\\s*"?([^"\\n]*)"?`, "m").exec(t)?.[1]?.trim();
  const status = findRec(recs, "cmd", "ufw_status");
  const st: UfwState = {
    installed: conf !== undefined,
    active: status?.int("rc") === 0 ? /^Status: active/m.test(status.get("out") ?? "") : /^yes$/i.test(kv(conf ?? "", "ENABLED") ?? ""),
    defaults: {
      incoming: POLICY[kv(def, "DEFAULT_INPUT_POLICY") ?? "DROP"] ?? "deny",
      outgoing: POLICY[kv(def, "DEFAULT_OUTPUT_POLICY") ?? "ACCEPT"] ?? "allow",
      routed: POLICY[kv(def, "DEFAULT_FORWARD_POLICY") ?? "DROP"] ?? "deny",
    },
    ipv6: !/^no$/i.test(kv(def, "IPV6") ?? "yes"),
    tuples: [...parseTuples(text(recs, "ufw_user4") ?? "", 4), ...parseTuples(text(recs, "ufw_user6") ?? "", 6)],
  };
  const level = kv(conf ?? "", "LOGLEVEL");
  if (level) st.logging = level;
  if (status?.int("rc") === 0) st.status = status.get("out");
  return st;
}

/** The tuples ufw writes for a rule: one per family it applies to. */
export function tuplesFor(r: NormRule, ipv6: boolean): UfwTuple[] {
  const fam = (x: string) => (x === "any" ? 0 : parsePrefix(x)!.family);
  const f = fam(r.src) || fam(r.dst);
  const fams: (4 | 6)[] = f ? [f as 4 | 6] : ipv6 ? [4, 6] : [4];
  return fams.map((family) => {
    const any = family === 4 ? "0.0.0.0/0" : "::/0";
    const t: UfwTuple = {
      action: r.log ? `${r.action}_log` : r.action,
      proto: r.proto,
      dport: r.dport ?? "any",
      dst: r.dst === "any" ? any : r.dst,
      sport: r.sport ?? "any",
      src: r.src === "any" ? any : r.src,
      dir: r.iface ? `${r.dir}_${r.iface}` : r.dir,
      family,
    };
    if (r.comment !== undefined) t.comment = r.comment;
    return t;
  });
}

const key = (t: UfwTuple) => [t.family, t.action, t.proto, t.dport, t.dst, t.sport, t.src, t.dir].join(" ");

export interface UfwPlan {
  backend: "ufw";
  /** What the change is about: the lockout check replays policy and rule changes on the state. */
  what: "policy" | "rule" | "logging" | "state";
  /** The ufw commands apply runs, in order. */
  commands: string[];
  /** The change can cut access (enable, deny rules, a stricter default): run under the dead-man switch. */
  guarded: boolean;
  /** An action (reload, reset), not a difference in state: never drift. */
  action?: boolean;
}

/** Pure: the changes for the intent, with the ufw commands that make them. */
export function diffUfw(st: UfwState, intent: Intent): Change<UfwPlan>[] {
  if (!st.installed) throw new ModuleError("ufw is installed, but /etc/ufw/ufw.conf is missing; reinstall ufw (apt-get install --reinstall ufw)");
  const out: Change<UfwPlan>[] = [];
  if (intent.policy && st.defaults[intent.policy.dir] !== intent.policy.value) {
    const p = intent.policy;
    out.push({
      summary: `ufw default ${p.dir} ${st.defaults[p.dir]} → ${p.value}`,
      field: "policy",
      before: st.defaults[p.dir],
      after: p.value,
      // while ufw is inactive a default only changes /etc/default/ufw (Ansible records it then too): nothing to guard
      data: { backend: "ufw", what: "policy", commands: [`ufw default ${p.value} ${p.dir}`], guarded: st.active && p.value !== "allow" },
    });
  }
  const r = intent.rule;
  if (r) {
    const want = tuplesFor(r, st.ipv6);
    const have = new Map(st.tuples.map((t) => [key(t), t]));
    const cmd = ufwCommand(r);
    if (r.delete) {
      const present = want.filter((t) => have.has(key(t)));
      if (present.length)
        out.push({
          summary: `ufw rule present, to delete: ${cmd}`,
          field: "rule",
          before: cmd,
          after: "absent",
          data: {
            backend: "ufw",
            what: "rule",
            commands: [`ufw --force delete ${ufwCommand({ ...r, comment: undefined })}`],
            guarded: st.active && (r.action === "allow" || r.action === "limit"),
          },
        });
    } else {
      const missing = want.filter((t) => !have.has(key(t)));
      const recomment = want.filter((t) => have.has(key(t)) && have.get(key(t))!.comment !== t.comment);
      if (missing.length || recomment.length) {
        const insert = r.insert !== undefined ? `insert ${r.insert} ` : "";
        out.push({
          summary: missing.length
            ? `ufw rule missing: ${cmd}`
            : `ufw rule comment ${JSON.stringify(have.get(key(recomment[0]!))!.comment ?? "")} → ${JSON.stringify(r.comment ?? "")}: ${cmd}`,
          field: "rule",
          ...(missing.length ? { after: cmd } : { before: have.get(key(recomment[0]!))!.comment, after: r.comment }),
          data: { backend: "ufw", what: "rule", commands: [`ufw ${insert}${cmd}`], guarded: st.active && r.action !== "allow" },
        });
      }
    }
  }
  if (intent.logging !== undefined) {
    const want = intent.logging === "on" ? "low" : intent.logging;
    if ((st.logging ?? "low") !== want)
      out.push({
        summary: `ufw logging ${st.logging ?? "low"} → ${want}`,
        field: "logging",
        before: st.logging,
        after: want,
        data: { backend: "ufw", what: "logging", commands: [`ufw logging ${intent.logging}`], guarded: false },
      });
  }
  if (intent.state === "enabled" && !st.active)
    out.push({
      summary: "ufw inactive → enabled",
      field: "state",
      before: "inactive",
      after: "enabled",
      data: { backend: "ufw", what: "state", commands: ["ufw --force enable"], guarded: true },
    });
  if (intent.state === "disabled" && st.active)
    out.push({
      summary: "ufw active → disabled",
      field: "state",
      before: "active",
      after: "disabled",
      data: { backend: "ufw", what: "state", commands: ["ufw disable"], guarded: false },
    });
  if (intent.state === "reloaded")
    out.push({ summary: "ufw reload", field: "state", data: { backend: "ufw", what: "state", commands: ["ufw reload"], guarded: st.active, action: true } });
  if (intent.state === "reset")
    out.push({
      summary: "ufw reset (all rules removed, ufw disabled)",
      field: "state",
      data: { backend: "ufw", what: "state", commands: ["ufw --force reset"], guarded: false, action: true },
    });
  return out;
}

function portMatches(spec: string, port: number): boolean {
  if (spec === "any") return true;
  return spec.split(",").some((p) => {
    const [lo, hi] = p.split(":").map(Number) as [number, number | undefined];
    return hi === undefined ? lo === port : port >= lo && port <= hi;
  });
}

/**
 * ufw's effective inbound policy for the drift report, from its rules rather than the iptables-nft
 * ruleset it generates (whose addrtype and recent matches nft's JSON does not show): a tuple's port
 * is open from its source when the first inbound tuple matching such a connection allows it.
 */
export function ufwInbound(st: Pick<UfwState, "defaults" | "tuples">): InboundPolicy {
  const def = st.defaults.incoming === "allow" ? "accept" : st.defaults.incoming === "reject" ? "reject" : "drop";
  const inbound = st.tuples.filter((t) => t.dir === "in" || t.dir.startsWith("in_"));
  const first = (family: 4 | 6, proto: string, port: number, src: string, on: string | undefined) => {
    const a = parsePrefix(src);
    for (const t of inbound) {
      if (t.family !== family || (t.dir !== "in" && t.dir !== `in_${on}`)) continue;
      if (!(t.proto === "any" || t.proto === proto) || !portMatches(t.dport, port)) continue;
      const net = parsePrefix(t.src);
      if (!net || !a || !contains(net, a)) continue;
      return t.action.replace(/_log(-all)?$/, "");
    }
    return st.defaults.incoming;
  };
  const named = new Set(inbound.flatMap((t) => t.dport.split(/[,:]/).map(Number)));
  let free = 65123;
  while (named.has(free)) free--;
  const open = new Map<string, { proto: "tcp" | "udp"; port: string; lo: number; on?: string; from: Set<string> }>();
  for (const t of inbound) {
    const action = t.action.replace(/_log(-all)?$/, "");
    if (action !== "allow" && action !== "limit") continue;
    const on = t.dir.startsWith("in_") ? t.dir.slice(3) : undefined;
    const protos: ("tcp" | "udp")[] = t.proto === "any" ? ["tcp", "udp"] : t.proto === "tcp" || t.proto === "udp" ? [t.proto] : [];
    const ports = t.dport === "any" ? [[1, 65535]] : t.dport.split(",").map((p) => p.split(":").map(Number));
    const anySrc = t.src === "0.0.0.0/0" || t.src === "::/0";
    const probeSrc = anySrc ? (t.family === 4 ? "203.0.113.7" : "2001:db8:ffff::7") : t.src.split("/")[0]!;
    for (const proto of protos)
      for (const [lo, hi] of ports as [number, number | undefined][]) {
        const verdict = first(t.family, proto, t.dport === "any" ? free : lo, probeSrc, on);
        if (verdict !== "allow" && verdict !== "limit") continue;
        const port = hi === undefined || hi === lo ? String(lo) : `${lo}-${hi}`;
        const k = `${proto}/${port}/${on ?? ""}`;
        const e = open.get(k) ?? { proto, port, lo, ...(on ? { on } : {}), from: new Set<string>() };
        e.from.add(anySrc ? "any" : t.src);
        open.set(k, e);
      }
  }
  return {
    default: def,
    open: [...open.values()]
      .sort((a, b) => a.proto.localeCompare(b.proto) || a.lo - b.lo || (a.on ?? "").localeCompare(b.on ?? ""))
      .map((e) => ({ proto: e.proto, port: e.port, from: e.from.has("any") ? ["any"] : [...e.from].sort(), ...(e.on ? { on: e.on } : {}) })),
  };
}

/**
 * What ufw does to a NEW SSH connection from the controller after the changes: the first matching
 * inbound tuple decides, else the incoming default. ufw's before.rules accept established traffic,
 * so the established connection is not at risk. Returns the refusal, or undefined.
 */
export function ufwLockout(st: UfwState, intent: Intent, changes: Change<UfwPlan>[], ssh: SshPath): string | undefined {
  const after: UfwState = { ...st, defaults: { ...st.defaults }, tuples: [...st.tuples] };
  if (intent.policy && changes.some((c) => c.data?.what === "policy")) after.defaults[intent.policy.dir] = intent.policy.value;
  if (intent.state === "enabled") after.active = true;
  if (intent.state === "disabled" || intent.state === "reset") return undefined;
  const r = intent.rule;
  if (r && changes.some((c) => c.data?.what === "rule")) {
    const ts = tuplesFor(r, st.ipv6);
    if (r.delete) after.tuples = after.tuples.filter((t) => !ts.some((x) => key(x) === key(t)));
    else if (r.insert !== undefined) after.tuples.splice(r.insert - 1, 0, ...ts);
    else after.tuples.push(...ts);
  }
  if (!after.active) return undefined;
  const client = parsePrefix(ssh.client)!;
  const server = parsePrefix(ssh.server)!;
  for (const t of after.tuples) {
    if (t.family !== client.family || !t.dir.startsWith("in")) continue;
    if (t.dir.includes("_") && ssh.iif && t.dir !== `in_${ssh.iif}`) continue;
    if (!(t.proto === "any" || t.proto === "tcp") || !portMatches(t.dport, ssh.serverPort) || !portMatches(t.sport, ssh.clientPort)) continue;
    const src = parsePrefix(t.src);
    const dst = parsePrefix(t.dst);
    if (!src || !dst || !contains(src, client) || !contains(dst, server)) continue;
    const a = t.action.replace(/_log(-all)?$/, "");
    // The interface keel's connection arrives on is unknown: an allow on one interface may not be
    // it (assume not), a deny on one interface may be (assume so).
    if (t.dir.includes("_") && !ssh.iif && (a === "allow" || a === "limit")) continue;
    if (a === "allow" || a === "limit") return undefined;
    return `refusing to apply: a NEW SSH connection from the controller (${ssh.client} → ${ssh.server}:${ssh.serverPort}) would be ${a === "reject" ? "rejected" : "dropped"} by the ufw rule \`${t.action} ${t.proto} ${t.dport} ${t.dst} ${t.sport} ${t.src} ${t.dir}\`. Nothing was changed. Allow the controller's SSH first, or set allow_lockout: true if this is intended`;
  }
  if (after.defaults.incoming === "allow") return undefined;
  return `refusing to apply: with ufw active and default incoming ${after.defaults.incoming}, no rule allows a NEW SSH connection from the controller (${ssh.client} → ${ssh.server}:${ssh.serverPort}). Nothing was changed. Add a rule such as rule: allow, port: ${ssh.serverPort}, proto: tcp before this task, or set allow_lockout: true if this is intended`;
}

/** Runs the changes' ufw commands; guarded ones under the dead-man switch. */
export async function applyUfw(host: Host, changes: Change<UfwPlan>[], timeoutS: number): Promise<string> {
  const commands = changes.flatMap((c) => c.data?.commands ?? []);
  if (!changes.some((c) => c.data?.guarded)) {
    for (const c of commands) await host.run(c);
    return commands.join("; ");
  }
  const restore = [`tar -C / -xf "$d/ufw.tar"`, `if grep -q '^Status: active' "$d/was"; then ufw --force enable; else ufw disable; fi`].join("\n");
  const r = await guardedChange(host, {
    files: { "restore.sh": `${restore}\n` },
    save: `tar -C / -cf "$d/ufw.tar" etc/ufw etc/default/ufw || exit 11\nufw status > "$d/was" 2>&1 || exit 12`,
    apply: commands.map((c) => `${c} || exit $?`).join("\n"),
    tool: "ufw",
    label: `ufw change (${commands.join("; ")})`,
    restores: "ufw configuration",
    timeoutS,
  });
  return `${commands.join("; ")} (applied in ${r.loadMs} ms; a new SSH connection worked in ${r.proofMs} ms)`;
}
