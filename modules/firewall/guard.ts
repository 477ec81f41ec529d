// The lockout guard's first layer (DESIGN.md, "Changes that can cut access"): before anything is
// touched, evaluate the ruleset as it will be for keel's own connection: the input path of the
// established one and of a NEW one from the controller to the SSH port, and the output path of the
// host's replies. Pure.
import { parsePrefix } from "./addr.js";
import type { Table } from "./nft-model.js";
import { evaluate, type FlowVerdict } from "./nft-flow.js";

/** keel's connection as the host sees it (SSH_CONNECTION) and the interface it arrives on. */
export interface SshPath {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  iif?: string;
}

/** "198.18.0.1 53422 198.18.0.11 22" → SshPath; undefined when absent or malformed. */
export function parseSshConnection(s: string | undefined, iif?: string): SshPath | undefined {
  const f = (s ?? "").trim().split(/\s+/);
  if (f.length !== 4) return undefined;
  const client = f[0]!.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  const server = f[2]!.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  const cp = Number(f[1]);
  const sp = Number(f[3]);
  if (!parsePrefix(client) || !parsePrefix(server) || !Number.isInteger(cp) || !Number.isInteger(sp)) return undefined;
  return { client, clientPort: cp, server, serverPort: sp, ...(iif ? { iif } : {}) };
}

/** The tables as they will be: `live` with the declared table put in place (or alone, owning the ruleset). */
export function futureTables(live: Table[], want: Table, ownsRuleset: boolean): Table[] {
  if (ownsRuleset) return [want];
  return [...live.filter((t) => !(t.family === want.family && t.name === want.name)), want];
}

export interface GuardResult {
  established: FlowVerdict;
  fresh: FlowVerdict;
  /** The output path of the host's replies (ct established). */
  replies: FlowVerdict;
  /** Why keel refuses, naming the rule; undefined when both flows are accepted. */
  refusal?: string;
}

/** Evaluates both flows of keel's connection against `tables`. */
export function checkLockout(tables: Table[], ssh: SshPath): GuardResult {
  const family = parsePrefix(ssh.client)!.family;
  const base = {
    family,
    saddr: ssh.client,
    daddr: ssh.server,
    proto: "tcp" as const,
    sport: ssh.clientPort,
    dport: ssh.serverPort,
    ...(ssh.iif ? { iif: ssh.iif } : {}),
  };
  const established = evaluate(tables, { ...base, ct: "established" });
  const fresh = evaluate(tables, { ...base, ct: "new" });
  // The host's replies leave through the output hook; conntrack sees them (the first SYN-ACK
  // included) as established, so one flow covers the replies of both connections.
  const replies = evaluate(
    tables,
    { family, saddr: ssh.server, daddr: ssh.client, proto: "tcp", sport: ssh.serverPort, dport: ssh.clientPort, ct: "established" },
    "output",
  );
  const conn = `${ssh.client} → ${ssh.server}:${ssh.serverPort}`;
  const why = (v: FlowVerdict, what: string) => {
    const by = v.by;
    if (!by) return `${what} would be ${v.verdict === "reject" ? "rejected" : "dropped"}`;
    const where = by.rule.startsWith("policy ")
      ? `by the ${by.rule} of chain ${by.chain} in table ${by.table}`
      : `by the rule \`${by.rule}\` in chain ${by.chain} of table ${by.table}`;
    return `${what} would be ${v.verdict === "reject" ? "rejected" : "dropped"} ${where}${by.uncertain ? " (keel cannot evaluate every match of it and assumes the worst)" : ""}`;
  };
  const problems: string[] = [];
  if (established.verdict !== "accept") problems.push(why(established, `keel's established SSH connection (${conn})`));
  if (fresh.verdict !== "accept") problems.push(why(fresh, `a NEW SSH connection from the controller (${conn})`));
  if (replies.verdict !== "accept")
    problems.push(why(replies, `the host's replies to keel's SSH connections (${ssh.server}:${ssh.serverPort} → ${ssh.client})`));
  return {
    established,
    fresh,
    replies,
    ...(problems.length
      ? {
          refusal: `refusing to apply: ${problems.join("; and ")}. Nothing was changed. ${[
            ...(established.verdict !== "accept" || fresh.verdict !== "accept"
              ? [`Allow the controller's SSH (for example a rule with saddr ${ssh.client}, proto tcp, dport ${ssh.serverPort}, action accept before it)`]
              : []),
            ...(replies.verdict !== "accept"
              ? ["Accept established traffic in the output chain (a rule with ct_state: [established, related], action: accept)"]
              : []),
          ].join(", and ")}, or set allow_lockout: true if this is intended`,
        }
      : {}),
  };
}
