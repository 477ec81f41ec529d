// The `firewall` fact: which host firewall is in charge (the backend firewall.rule follows) and the
// effective inbound policy of the live ruleset (open ports, for the drift report's security view);
// with ufw in charge, of ufw's own rules (the iptables-nft ruleset it generates is not evaluable).
//   ufw        when /etc/ufw/ufw.conf says ENABLED=yes and ufw is installed;
//   firewalld  when firewalld runs;
//   nftables   otherwise, when nft is installed (keel's own table);
//   none       when there is no nft either.
// The ruleset is read with `nft -j list ruleset`, which needs root: without it, `inbound` is absent
// and `inbound_error` says why. One record block inside the facts probe; pure parser.
import { snip } from "../core/snippets.js";
import { findRec, parseRecords } from "../core/record.js";
import { parseNftJson } from "../../modules/firewall/nft-json.js";
import { inboundPolicy, type InboundPolicy } from "../../modules/firewall/nft-flow.js";
import { parseTuples, ufwInbound } from "../../modules/firewall/backends/ufw.js";

export interface FirewallFact {
  backend: "ufw" | "firewalld" | "nftables" | "none";
  ufw: "active" | "inactive" | "absent";
  firewalld: "running" | "absent";
  nft: boolean;
  /** The effective inbound policy of the live ruleset (every table), when it could be read. */
  inbound?: InboundPolicy;
  inbound_error?: string;
}

export const FIREWALL_FACT_SCRIPT = [
  snip.begin("fw"),
  // whether ufw and nft are installed (the parser reads only that): the shell's `command -v`, not a
  // command substitution of it (a fork on every host, every run)
  `if command -v ufw >/dev/null 2>&1; then _kfw_b=ufw; else _kfw_b=; fi`,
  snip.field("ufw_bin", '"$_kfw_b"'),
  // The shell's own read and parameter expansion instead of sed | tr | head and pgrep | head (each
  // process costs the host about a millisecond, on every run): ENABLED's value from ufw.conf (the
  // first ENABLED line, blanks around "=" and double quotes dropped), and, when firewall-cmd cannot
  // say, whether a process is named firewalld (pgrep only where a firewalld program is installed).
  `_kfw_e=; if [ -r /etc/ufw/ufw.conf ]; then { while IFS= read -r _kfw_l || [ -n "$_kfw_l" ]; do _kfw_l=\${_kfw_l#"\${_kfw_l%%[![:space:]]*}"}; case $_kfw_l in ENABLED*) _kfw_v=\${_kfw_l#ENABLED}; _kfw_v=\${_kfw_v#"\${_kfw_v%%[![:space:]]*}"}; case $_kfw_v in =*) _kfw_v=\${_kfw_v#=}; _kfw_v=\${_kfw_v#"\${_kfw_v%%[![:space:]]*}"}; while :; do case $_kfw_v in *'"'*) _kfw_v=\${_kfw_v%%'"'*}\${_kfw_v#*'"'} ;; *) break ;; esac; done; _kfw_e=$_kfw_v; break ;; esac ;; esac; done < /etc/ufw/ufw.conf; } 2>/dev/null; fi`,
  snip.field("ufw_enabled", `"$_kfw_e"`),
  `_kfw_nl='`,
  `'`,
  `_kfw_d=; if command -v firewall-cmd >/dev/null 2>&1; then _kfw_d=$(firewall-cmd --state 2>/dev/null); _kfw_d=\${_kfw_d%%"$_kfw_nl"*}; fi`,
  `if [ -z "$_kfw_d" ] && { command -v firewalld || [ -x /usr/sbin/firewalld ] || [ -x /sbin/firewalld ]; } >/dev/null 2>&1 && pgrep -x firewalld >/dev/null 2>&1; then _kfw_d=running; fi`,
  snip.field("firewalld", `"$_kfw_d"`),
  `if command -v nft >/dev/null 2>&1; then _kfw_b=nft; else _kfw_b=; fi`,
  snip.field("nft_bin", '"$_kfw_b"'),
  // With ufw in charge its open ports come from its own rules (see ufwInbound).
  `if command -v ufw >/dev/null 2>&1; then`,
  snip.readFile("ufw_user4", "/etc/ufw/user.rules"),
  snip.readFile("ufw_user6", "/etc/ufw/user6.rules"),
  snip.readFile("ufw_default", "/etc/default/ufw"),
  `fi`,
  `if command -v nft >/dev/null 2>&1; then`,
  snip.cmd("nftj", "nft -j list ruleset"),
  `fi`,
].join("\n");

export function parseFirewallFact(text: string): FirewallFact {
  let recs: ReturnType<typeof parseRecords>;
  try {
    recs = parseRecords(text);
  } catch (e) {
    // A garbled block must not cost the host its other facts.
    return { backend: "none", ufw: "absent", firewalld: "absent", nft: false, inbound_error: `unreadable firewall probe output: ${(e as Error).message}` };
  }
  const fw = findRec(recs, "fw");
  const ufwBin = !!fw?.get("ufw_bin");
  const ufw: FirewallFact["ufw"] = !ufwBin ? "absent" : /^yes$/i.test(fw?.get("ufw_enabled") ?? "") ? "active" : "inactive";
  const firewalld: FirewallFact["firewalld"] = fw?.get("firewalld") === "running" ? "running" : "absent";
  const nft = !!fw?.get("nft_bin");
  const backend: FirewallFact["backend"] = ufw === "active" ? "ufw" : firewalld === "running" ? "firewalld" : nft ? "nftables" : "none";
  const out: FirewallFact = { backend, ufw, firewalld, nft };
  const j = findRec(recs, "cmd", "nftj");
  if (backend === "ufw") {
    const file = (id: string) => {
      const r = findRec(recs, "file", id);
      return !r || r.get("readable") === "0" ? undefined : r.get("exists") !== "1" ? "" : (r.get("content") ?? "");
    };
    const [u4, u6, def] = [file("ufw_user4"), file("ufw_user6"), file("ufw_default")];
    if (u4 === undefined || u6 === undefined) out.inbound_error = "cannot read /etc/ufw/user.rules (needs root)";
    else {
      const incoming = /^\s*DEFAULT_INPUT_POLICY\s*=\s*"?(\w+)/m.exec(def ?? "")?.[1] ?? "DROP";
      const defaults = { incoming: incoming === "ACCEPT" ? "allow" : incoming === "REJECT" ? "reject" : "deny" };
      out.inbound = ufwInbound({ defaults, tuples: [...parseTuples(u4, 4), ...parseTuples(u6, 6)] });
    }
  } else if (j && j.int("rc") === 0) {
    try {
      out.inbound = inboundPolicy(parseNftJson(j.get("out") ?? "").tables);
    } catch (e) {
      out.inbound_error = (e as Error).message;
    }
  } else if (j) out.inbound_error = (j.get("err") ?? "").trim().split("\n")[0] || `nft exited with code ${j.int("rc")}`;
  else out.inbound_error = "nft is not installed";
  return out;
}
