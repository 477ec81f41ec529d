// The lockout guard's first layer (DESIGN.md, "Changes that can cut access"): before anything is
// touched, evaluate the input path of the ruleset as it will be for keel's own connection, both the
// established one and a NEW one from the controller to the SSH port. Pure.
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
  return {
    established,
    fresh,
    ...(problems.length
      ? {
          refusal: `refusing to apply: ${problems.join("; and ")}. Nothing was changed. Allow the controller's SSH (for example a rule with saddr ${ssh.client}, proto tcp, dport ${ssh.serverPort}, action accept before it), or set allow_lockout: true if this is intended`,
        }
      : {}),
  };
}
