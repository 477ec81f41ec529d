// system.wait_for: wait, on the host, until a TCP port answers (or stops answering) or a file
// exists (optionally containing a pattern) or is gone. Arguments follow Ansible's wait_for. Used as
// the health check between the batches of a rolling upgrade (playbooks/patch.yml).
//
// Waiting is an action, not a state: the probe checks the condition once; when it already holds
// the task is ok ("port 22 on 127.0.0.1 answers"), otherwise the one change "wait for …" (an action,
// never drift) makes apply poll on the host, in a single command, until it holds or `timeout`
// passes, which fails the task with `msg`.
import { defineModule } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: "started" | "stopped" | "present" | "absent" | "drained";
  search_regex?: string;
  timeout?: number;
  delay?: number;
  sleep?: number;
  connect_timeout?: number;
  msg?: string;
  active_connection_states?: string[];
  exclude_hosts?: string[];
}

export interface WaitForState {
  met: boolean;
}

const HOST_RE = /^[A-Za-z0-9_.:-]+$/;

/** /proc/net/tcp's state numbers of the connection states Ansible counts (get_connection_state_id). */
export const TCP_STATES: Record<string, string> = { ESTABLISHED: "01", SYN_SENT: "02", SYN_RECV: "03", FIN_WAIT1: "04", FIN_WAIT2: "05", TIME_WAIT: "06" };
export const DEFAULT_ACTIVE_STATES = ["ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT", "TIME_WAIT"];

// Ansible's LinuxTCPConnectionInfo in awk (mawk has no strtonum): addresses become /proc/net/tcp*'s
// little-endian hex (an IPv4 address also as ::ffff:a.b.c.d, as _convert_host_to_ip adds it); a
// line counts when its local port is the port, its state is counted, its remote address is not
// excluded, and its local address is one of host's (or host is the family's any-address). Exit 0
// when none counts.
export const DRAIN_AWK = String.raw`
function hx(s,  i, n) { n = 0; s = toupper(s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1; return n }
function v4(a,  p) { split(a, p, "."); return sprintf("%02X%02X%02X%02X", p[4], p[3], p[2], p[1]) }
function v6(a,  n, g, p, h, t, nh, nt, H, T, G, k, i, w, x, y, out) {
  if (a ~ /\./) { n = split(a, g, ":"); split(g[n], p, "."); sub(/[^:]*$/, sprintf("%x:%x", p[1] * 256 + p[2], p[3] * 256 + p[4]), a) }
  if (index(a, "::")) { h = substr(a, 1, index(a, "::") - 1); t = substr(a, index(a, "::") + 2) } else { h = a; t = "" }
  nh = (h == "") ? 0 : split(h, H, ":"); nt = (t == "") ? 0 : split(t, T, ":")
  k = 0; for (i = 1; i <= nh; i++) G[++k] = H[i]; for (i = 0; i < 8 - nh - nt; i++) G[++k] = "0"; for (i = 1; i <= nt; i++) G[++k] = T[i]
  out = ""
  for (w = 0; w < 4; w++) { x = hx(G[2 * w + 1]); y = hx(G[2 * w + 2]); out = out sprintf("%02X%02X%02X%02X", y % 256, int(y / 256), x % 256, int(x / 256)) }
  return out
}
function add(list, set,  n, a, i) {
  n = split(list, a, " ")
  for (i = 1; i <= n; i++) { if (a[i] ~ /:/) set[v6(a[i])] = 1; else { set[v4(a[i])] = 1; set["0000000000000000FFFF0000" v4(a[i])] = 1 } }
}
BEGIN { add(ips, IP); add(ex, EX); n = split(states, s, " "); for (i = 1; i <= n; i++) ST[s[i]] = 1; c = 0 }
$2 == "local_address" { next }
{
  split($2, l, ":"); if (l[2] != port || !($4 in ST)) next
  split($3, r, ":"); if (r[1] in EX) next
  if ((l[1] in IP) || (length(l[1]) == 8 && ("00000000" in IP)) || (length(l[1]) == 32 && ("00000000000000000000000000000000" in IP)) ||
      (substr(l[1], 1, 24) == "0000000000000000FFFF0000" && ("0000000000000000FFFF000000000000" in IP))) c++
}
END { print c; exit (c > 0) }`;

/** Resolves names as getaddrinfo does (getent ahosts), into one line of addresses. */
function resolveScript(names: readonly string[]): string {
  return `$(for _kh in ${names.map(shq).join(" ")}; do getent ahosts "$_kh" | awk '{print $1}'; done | sort -u | tr '\n' ' ')`;
}

/** The drained check: prints the number of active connections, exits 0 when there are none. */
export function drainedScript(a: WaitForArgs): string {
  const states = (a.active_connection_states ?? DEFAULT_ACTIVE_STATES).map((x) => TCP_STATES[x]!).join(" ");
  const port = a.port!.toString(16).toUpperCase().padStart(4, "0");
  return (
    `{ _kips=${resolveScript([a.host ?? "127.0.0.1"])}; _kex=${a.exclude_hosts?.length ? resolveScript(a.exclude_hosts) : "''"}; ` +
    `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v port=${port} -v states=${shq(states)} -v ips="$_kips" -v ex="$_kex" ${shq(DRAIN_AWK)}; }`
  );
}

/** The condition as one shell command: exit 0 when it holds. */
export function conditionScript(a: WaitForArgs): string {
  const state = a.state ?? "started";
  if (state === "drained") return `${drainedScript(a)} >/dev/null`;
  const want = state === "started" || state === "present";
  if (a.port !== undefined) {
    const h = a.host ?? "127.0.0.1";
    const ct = a.connect_timeout ?? 5;
    // bash's /dev/tcp, else nc, else python3: whichever the host has.
    const open =
      `{ if command -v bash >/dev/null 2>&1; then timeout ${ct} bash -c ${shq(`exec 3<>/dev/tcp/${h}/${a.port}`)}; ` +
      `elif command -v nc >/dev/null 2>&1; then nc -z -w ${ct} ${shq(h)} ${a.port}; ` +
      `else python3 -c ${shq(`import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), ${ct})`)} ${shq(h)} ${a.port}; fi; } >/dev/null 2>&1`;
    return want ? open : `! ${open}`;
  }
  const p = shq(a.path!);
  if (!want) return `[ ! -e ${p} ]`;
  return a.search_regex !== undefined ? `grep -Eq -- ${shq(a.search_regex)} ${p} 2>/dev/null` : `[ -e ${p} ]`;
}

export function conditionText(a: WaitForArgs): string {
  const state = a.state ?? "started";
  const want = state === "started" || state === "present";
  if (state === "drained")
    return `port ${a.port} on ${a.host ?? "127.0.0.1"} is drained (no active connections${a.exclude_hosts?.length ? ` but from ${a.exclude_hosts.join(", ")}` : ""})`;
  if (a.port !== undefined) return `port ${a.port} on ${a.host ?? "127.0.0.1"} ${want ? "answers" : "is closed"}`;
  if (!want) return `${a.path} is absent`;
  return a.search_regex !== undefined ? `${a.path} matches /${a.search_regex}/` : `${a.path} exists`;
}

export default defineModule<WaitForArgs, WaitForState>({
  name: "system.wait_for",
  aliases: ["wait_for"],
  description:
    "Wait on the host until a TCP port answers, closes or is drained (no active connection left), or a file appears (optionally matching a pattern) or disappears; fail after `timeout` seconds. " +
    "A health check for rolling upgrades.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      host: { description: "Address to connect to for `port`, from the host itself.", type: "string", default: "127.0.0.1" },
      port: { description: "TCP port that must answer (state started) or be closed (state stopped).", type: "integer", minimum: 1, maximum: 65535 },
      path: {
        description: "File that must exist (started/present, optionally matching search_regex) or be gone (stopped/absent).",
        type: "string",
        minLength: 1,
      },
      state: {
        description:
          "`started`/`present`: the port answers or the file exists. `stopped`/`absent`: the port is closed or the file is gone. " +
          "`drained` (with port): no TCP connection to `host`:`port` is in one of active_connection_states (read from /proc/net/tcp and tcp6, as Ansible does on Linux).",
        enum: ["started", "stopped", "present", "absent", "drained"],
        default: "started",
      },
      search_regex: { description: "With `path`: an extended regular expression (grep -E) the file must contain.", type: "string", minLength: 1 },
      timeout: { description: "Seconds to wait before failing.", type: "integer", minimum: 0, default: 300 },
      delay: { description: "Seconds to wait before the first check of apply.", type: "integer", minimum: 0, default: 0 },
      sleep: { description: "Seconds between checks.", type: "integer", minimum: 1, default: 1 },
      connect_timeout: { description: "Seconds one connection attempt to `port` may take.", type: "integer", minimum: 1, default: 5 },
      msg: { description: "Error message when the timeout passes (default: what was waited for).", type: "string" },
      active_connection_states: {
        description: "With state drained: the connection states that count as active.",
        type: "array",
        items: { enum: Object.keys(TCP_STATES) },
        default: DEFAULT_ACTIVE_STATES,
      },
      exclude_hosts: {
        description: "With state drained: hosts or addresses whose connections do not count (names resolved on the host, as getaddrinfo does).",
        type: "array",
        items: { type: "string", minLength: 1 },
      },
    },
  },

  validate(a) {
    if ((a.port === undefined) === (a.path === undefined))
      throw new InputError("wait_for needs exactly one of port and path", undefined, "e.g. `port: 8080` or `path: /run/app.ready`");
    if (a.search_regex !== undefined && a.path === undefined)
      throw new InputError("search_regex needs path (keel does not read from ports)", undefined, "check a file the service writes, or drop search_regex");
    if (a.host !== undefined && !HOST_RE.test(a.host)) throw new InputError(`host '${a.host}' is not an address or host name`);
    // Ansible's own rules (wait_for main()).
    if (a.path !== undefined && a.state === "drained")
      throw new InputError("state=drained should only be used for checking a port in the wait_for module", undefined, "give port instead of path");
    if (a.exclude_hosts !== undefined && a.state !== "drained")
      throw new InputError("exclude_hosts should only be with state=drained", undefined, "remove exclude_hosts, or set state: drained");
    for (const h of a.exclude_hosts ?? []) if (!HOST_RE.test(h)) throw new InputError(`exclude_hosts: '${h}' is not an address or host name`);
  },

  resource(a) {
    return a.port !== undefined ? `port ${a.port}` : `path ${a.path ?? ""}`;
  },

  probe(a) {
    return {
      script: `${snip.begin("wait_for")}\nif ${conditionScript(a)}; then printf 'met=1\\n'; else printf 'met=0\\n'; fi`,
      parse: (stdout) => ({ met: findRec(parseRecords(stdout), "wait_for")?.get("met") === "1" }),
    };
  },

  diff(st, a) {
    return st.met ? [] : [{ summary: `wait until ${conditionText(a)} (timeout ${a.timeout ?? 300} s)`, field: "wait", data: { action: true } }];
  },

  explain(_st, a) {
    return conditionText(a);
  },

  async apply(host, a) {
    const timeout = a.timeout ?? 300;
    const t0 = Date.now();
    const script = [
      `sleep ${a.delay ?? 0}`,
      `end=$(( $(date +%s) + ${timeout} ))`,
      `until ${conditionScript(a)}; do`,
      `  [ "$(date +%s)" -ge "$end" ] && exit 1`,
      `  sleep ${a.sleep ?? 1}`,
      `done`,
    ].join("\n");
    const r = await host.run(script, { check: false });
    const elapsed = Math.round((Date.now() - t0) / 1000);
    if (r.rc !== 0) throw new ModuleError(a.msg ?? `timeout after ${timeout} s waiting until ${conditionText(a)} on ${host.name}`);
    return { msg: `${conditionText(a)} after ${elapsed} s`, data: { elapsed } };
  },
});
