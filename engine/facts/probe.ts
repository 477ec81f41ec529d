// The facts probe: one POSIX sh script that only reads, and a pure parser of its output.
// The output is one @out record per section (engine/core/record.ts), whose text is exactly what
// the commands printed, so the parser can be tested with captured outputs (test/fixtures/facts/).
//
// The primary IPv4 address is the address of the interface that carries the default route; it is
// read from `ip -4 route show default` and `ip -4 addr` (one `ip -batch` for both), or, on hosts without iproute2, from
// /proc/net/route and /proc/net/fib_trie. Nothing is sent on the network.
import type { Probe } from "../core/module.js";
import type { Facts } from "../core/facts.js";
import { FIREWALL_FACT_SCRIPT, parseFirewallFact } from "./firewall.js";
import { allRecs, expandRawValues, findRec, parseRecords, rawMark } from "../core/record.js";
import { randomBytes } from "node:crypto";
import { ProbeParseError } from "../core/errors.js";
import { B64, outOf, snip } from "../core/snippets.js";
import { parseExtraFacts } from "./extra.js";
import { MORE_SECTIONS, parseMoreFacts, pythonScript } from "./more.js";
import { shq } from "../core/shell.js";
import { resolveSubsets, type Subset } from "./subsets.js";

export { GATHER_SUBSETS, resolveSubsets, type Subset } from "./subsets.js";
import { CAPS_SCRIPT, SSH_KEYS_SCRIPT, SYSNET_SCRIPT } from "./interfaces.js";
import { DEFAULT_FACT_PATH, localFactsRecords, parseLocalFacts } from "./local.js";

/**
 * `cat FILE` for a small text file, with the shell's read: the same lines (a last line without a
 * newline gets one; the parsers split lines), no process.
 */
function catSh(path: string): string {
  return `{ while IFS= read -r _kf_l || [ -n "$_kf_l" ]; do printf '%s\\n' "$_kf_l"; done < ${shq(path)}; } 2>/dev/null`;
}

/** One @out record per section: the text its commands printed (engine/core/snippets.ts), by subset. */
const SECTIONS: [Subset, string, string][] = [
  // small text files read by the shell itself (a cat is one more process on every host, every run)
  ["min", "os-release", `if [ -r /etc/os-release ]; then ${catSh("/etc/os-release")}; else ${catSh("/usr/lib/os-release")}; fi`],
  ["min", "debian_version", catSh("/etc/debian_version")],
  // one exec, not three: uname prints node name, release and machine in that order, one line
  ["min", "uname", `set -- $(uname -n -r -m); printf '%s\\n' "$2" "$3" "$1"`],
  // $_kf_un, $_kf_u, $_kf_g: `id -un`, `id -u`, `id -g`, asked once before the sections (factsScript)
  ["min", "user", `[ -n "$_kf_un" ] && printf '%s\\n' "$_kf_un"`],
  ["min", "pkg", `for p in apt-get dnf yum apk; do command -v "$p" >/dev/null && echo "$p"; done`],
  [
    "min",
    "init",
    "if [ -d /run/systemd/system ]; then echo systemd; else echo sysv; fi\nif [ -x /sbin/openrc ] || [ -x /usr/sbin/openrc ]; then echo openrc; fi",
  ],
  ["hardware", "nproc", "nproc"],
  ["hardware", "cpuinfo", "grep -c '^processor' /proc/cpuinfo"],
  ["hardware", "meminfo", "grep '^MemTotal:' /proc/meminfo"],
  // Ansible's fact list (engine/facts/extra.ts reads these): environment, account, clock, PID 1,
  // mounts with their statfs, virtualisation markers
  // the login's environment, without the LC_ALL and PATH keel's shell set (framing.ts shellPrelude)
  [
    "min",
    "env",
    [
      'if [ -n "${_keel_path0+x}" ]; then _ke=$(command -v env)',
      'if [ "$_keel_lc0" = _keel_unset ]; then PATH=$_keel_path0 "$_ke" -u LC_ALL -0 || PATH=$_keel_path0 "$_ke" -u LC_ALL',
      'else LC_ALL=$_keel_lc0 PATH=$_keel_path0 "$_ke" -0 || LC_ALL=$_keel_lc0 PATH=$_keel_path0 "$_ke"; fi',
      "else env -0 || env; fi",
    ].join("\n"),
  ],
  [
    "min",
    "pw",
    `[ -n "$_kf_u" ] && printf '%s\\n' "$_kf_u"; [ -n "$_kf_g" ] && printf '%s\\n' "$_kf_g"; getent passwd "$_kf_un" 2>/dev/null || grep "^$_kf_un:" /etc/passwd`,
  ],
  ["min", "date", "date +'%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%N|%Z|%z'; date -d 2000-07-01 +%Z 2>/dev/null"],
  ["min", "proc1", "cat /proc/1/comm"],
  // Ansible's caps and ssh_pub_keys collectors (both in its min subset): engine/facts/interfaces.ts
  ["min", "caps", CAPS_SCRIPT],
  ["min", "sshkeys", SSH_KEYS_SCRIPT],
  ["hardware", "mounts", "cat /proc/mounts"],
  ["hardware", "findmnt", "findmnt --list --noheadings --notruncate"],
  ["hardware", "lsblk", "lsblk --list --noheadings --paths --output NAME,UUID --exclude 2"],
  [
    "hardware",
    "statfs",
    // Ansible gives each mount's statvfs 10 s, all mounts at once (hardware/linux.py: a thread
    // each, DEFAULT_GATHER_TIMEOUT; gather_timeout does not reach it on Linux): a hung network
    // mount is reported as timed out instead of hanging the probe
    [
      '_kt=; command -v timeout >/dev/null && _kt="timeout 10"',
      `while read -r _d _m _r; do case $_d in /*|*:/*) { $_kt stat -f -c "%S|%s|%b|%a|%c|%d|$_m" -- "$(printf '%b' "$_m")" || { [ $? = 124 ] && printf 'timeout|%s\\n' "$_m"; }; } & ;; esac; done < /proc/mounts`,
      "wait",
    ].join("\n"),
  ],
  [
    "virtual",
    "virt",
    [
      "[ -f /.dockerenv ] && echo marker=docker",
      "[ -f /run/.containerenv ] && echo marker=podman",
      "tr '\\000' '\\n' < /proc/1/environ 2>/dev/null | grep '^container='",
      '[ -f /run/systemd/container ] && echo "systemd_container=$(cat /run/systemd/container)"',
      "grep -q -E '/(docker|lxc|kubepods|libpod)' /proc/1/cgroup 2>/dev/null && echo \"cgroup=$(grep -o -E '/(docker|lxc|kubepods|libpod)' /proc/1/cgroup | head -n 1)\"",
      'echo "product_name=$(cat /sys/devices/virtual/dmi/id/product_name 2>/dev/null)"',
      'echo "sys_vendor=$(cat /sys/devices/virtual/dmi/id/sys_vendor 2>/dev/null)"',
      "[ -d /proc/xen ] && echo marker=xen",
      "true",
    ].join("\n"),
  ],
  ...MORE_SECTIONS.min.map(([id, cmd]): [Subset, string, string] => ["min", id, cmd]),
  ...MORE_SECTIONS.hardware.map(([id, cmd]): [Subset, string, string] => ["hardware", id, cmd]),
];

/** The sections of keel's own facts (engine/facts/needs.ts KEEL_FACT_FIELDS): all a lazy probe runs. */
const KEEL_SECTIONS = new Set(["os-release", "debian_version", "uname", "user", "pkg", "init"]);

/**
 * The network sections: with iproute2 `ip`; without it, /proc/net/route and /proc/net/fib_trie.
 * keelOnly: only what keel's own `ipv4` is read from (ip-route and ip-addr).
 */
function networkPart(sec: (id: string, cmd: string) => string, keelOnly = false): string {
  return [
    "if command -v ip >/dev/null; then",
    // one `ip` for both (-batch: every process costs the host a fork and an exec, on every host of
    // every run); the route lines start with "default", the addresses with their index, so the
    // parser tells them apart. An `ip` without -batch (busybox) fails at once: then one each.
    sec("ip-both", "if ip -4 -o -batch - <<'_KEEL_IP_'\nroute show default\naddr show\n_KEEL_IP_\nthen :; else"),
    sec("ip-route", "ip -4 route show default"),
    sec("ip-addr", "ip -4 -o addr show || ip -4 addr show\nfi"),
    ...(keelOnly
      ? []
      : [
          // Ansible's default_ipv4/ipv6: the kernel's route lookup only (nothing is sent)
          sec("route4", "ip -4 route get 8.8.8.8"),
          sec("route6", "ip -6 route get 2404:6800:400a:800::1012"),
          sec("addr-all", "ip addr show"),
          sec("sysnet", SYSNET_SCRIPT),
        ]),
    "else",
    sec("proc-route", "cat /proc/net/route"),
    sec("fib_trie", "cat /proc/net/fib_trie"),
    "fi",
  ].join("\n");
}

export interface FactsOptions {
  /** Ansible's gather_subset list (default all). */
  subset?: readonly string[];
  /** The host's ansible_python_interpreter: used as is, nothing discovered. */
  python?: string;
  /** Only keel's own facts (the run reads no other: engine/facts/needs.ts), within the subsets. */
  keelOnly?: boolean;
  /** Where the local facts are (setup's fact_path); default /etc/ansible/facts.d. */
  factPath?: string;
  /** Gather local facts or not, when the caller decides it (setup: its collectors); else wantsLocal's rule. */
  local?: boolean;
}

/**
 * Local facts (ansible_local) are gathered with `min`, as Ansible's local collector is part of
 * it, unless the list excludes them (`!local`); never for keel's own facts.
 */
function wantsLocal(opts: FactsOptions, subsets: Subset[]): boolean {
  if (opts.local !== undefined) return opts.local;
  return subsets.includes("min") && opts.keelOnly !== true && !(opts.subset ?? []).includes("!local");
}

const scripts = new Map<string, string>();

/**
 * The facts probe's script for these options (the default one is FACTS_SCRIPT). Built once per
 * distinct options and reused for every host: the same string, so what quotes it can reuse it too.
 *
 * The sections' output travels as ONE base64 stream (one base64 and one tr for the whole probe,
 * not a pair per section: on a 2-core controller that shares its CPUs with the hosts, those ~100
 * processes per host were most of the probe's cost). Each section starts with a header line
 * "<mark> <id>", the mark being a random nonce chosen when the script is built: the commands'
 * output cannot predict it, so it cannot fake a section. On the wire:
 *   @facts
 *   mark=<nonce>
 *   text:b64=<base64 of the framed stream>
 */
export function factsScript(opts: FactsOptions = {}): string {
  const key = JSON.stringify([opts.subset ?? null, opts.python ?? null, opts.keelOnly === true, opts.factPath ?? null, opts.local ?? null]);
  const lazy = opts.keelOnly === true;
  const hit = scripts.get(key);
  if (hit !== undefined) return hit;
  const subsets = resolveSubsets(opts.subset);
  const mark = randomBytes(12).toString("hex");
  const sec = (id: string, cmd: string) => `printf '%s\\n' ${shq(`${mark} ${id}`)}\n${cmd}`;
  const script = [
    "exec 2>/dev/null",
    snip.begin("facts"),
    `printf 'mark=%s\\n' ${mark}`,
    "printf 'text:b64='",
    "{",
    // the sections' own base64 values (the firewall's nft output…) raw inside the one stream
    `_keel_rm=${shq(rawMark(mark))}`,
    // the login's ids, asked once for the sections user, pw and platform (each used to ask again);
    // without sudo, the shell's prelude asked them already (framing.ts LOGIN_ID)
    ...(subsets.includes("min")
      ? [
          `if [ -n "\${_keel_id-}" ]; then _kf_un=$_keel_un; _kf_u=$_keel_uid; _kf_g=$_keel_gid; ` +
            `else ${lazy ? "_kf_un=$(id -un)" : "_kf_un=$(id -un); _kf_u=$(id -u); _kf_g=$(id -g)"}; fi`,
        ]
      : []),
    ...SECTIONS.filter(([g, id]) => subsets.includes(g) && (!lazy || KEEL_SECTIONS.has(id))).map(([, id, cmd]) => sec(id, cmd)),
    // in a subshell: it sources /etc/os-release, whose variables must not reach later sections
    ...(subsets.includes("min") && !lazy ? [sec("python", `(\n${pythonScript(opts.python)}\n)`)] : []),
    ...(subsets.includes("network") ? [networkPart(sec, lazy)] : []),
    // ansible_local: @localfact records (engine/facts/local.ts) as the text of one section
    ...(wantsLocal(opts, subsets) ? [sec("local", localFactsRecords(opts.factPath ?? DEFAULT_FACT_PATH))] : []),
    // The firewall fact prints records of its own: they travel as the text of one section. keel's
    // firewall module needs it, so it is gathered with every subset.
    sec("firewall", FIREWALL_FACT_SCRIPT),
    // which subsets ran ("keel": keel's own facts only), and the list as asked (Ansible's gather_subset fact)
    sec(
      "subsets",
      `printf '%s\\n' ${[lazy ? "keel" : subsets.join(","), JSON.stringify(opts.subset && opts.subset.length ? opts.subset : ["all"])].map(shq).join(" ")}`,
    ),
    `} </dev/null | ${B64}`,
    "printf '\\n'",
    "exit 0",
    "",
  ].join("\n");
  if (scripts.size > 64) scripts.clear();
  scripts.set(key, script);
  return script;
}

export const FACTS_SCRIPT = factsScript();

/**
 * Each section's text, exactly as its commands printed it: from the framed @facts record, or from
 * one @out record per section (the format of probes before the framed stream, and of captures).
 */
export function sectionTexts(stdout: string): Map<string, string> {
  const recs = parseRecords(stdout);
  const out = new Map<string, string>();
  const framed = findRec(recs, "facts");
  if (framed) {
    const mark = Buffer.from(`${framed.get("mark") ?? ""} `);
    if (mark.length < 17) throw new ProbeParseError("the facts probe's record has no section mark");
    const all = expandRawValues(framed.buf("text") ?? Buffer.alloc(0), rawMark(framed.get("mark") ?? ""));
    let at = all.indexOf(mark);
    while (at >= 0) {
      const eol = all.indexOf(0x0a, at + mark.length);
      if (eol < 0) break;
      const id = all.subarray(at + mark.length, eol).toString("utf8");
      const next = all.indexOf(mark, eol + 1);
      out.set(id, all.subarray(eol + 1, next < 0 ? all.length : next).toString("utf8"));
      at = next;
    }
    return out;
  }
  for (const r of allRecs(recs, "out")) out.set(r.id, outOf(recs, r.id) ?? "");
  return out;
}

/** The probe's sections: name → its lines (trailing empty lines dropped). */
export function splitSections(stdout: string): Map<string, string[]> {
  return linesOf(sectionTexts(stdout));
}

function linesOf(texts: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, text] of texts) {
    const lines = text.split("\n");
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    out.set(id, lines);
  }
  return out;
}

/** KEY=value lines of os-release(5), with shell-style quoting removed. */
export function parseOsRelease(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
      v = v.slice(1, -1);
      if (m[2]![0] === '"') v = v.replace(/\\(["\\`$])/g, "$1");
    }
    out[m[1]!] = v;
  }
  return out;
}

const FAMILY_OF: Record<string, string> = {
  debian: "debian",
  ubuntu: "debian",
  raspbian: "debian",
  linuxmint: "debian",
  kali: "debian",
  rhel: "redhat",
  centos: "redhat",
  fedora: "redhat",
  rocky: "redhat",
  almalinux: "redhat",
  ol: "redhat",
  amzn: "redhat",
  alpine: "alpine",
  arch: "archlinux",
  sles: "suse",
  "opensuse-leap": "suse",
  "opensuse-tumbleweed": "suse",
};

/** The OS family from ID, then from ID_LIKE ("rhel centos fedora" → redhat). */
export function osFamily(id: string, idLike: string): string {
  if (FAMILY_OF[id]) return FAMILY_OF[id]!;
  for (const like of idLike.split(/\s+/)) if (FAMILY_OF[like]) return FAMILY_OF[like]!;
  return id || "unknown";
}

function pickPkgMgr(present: string[], family: string): Facts["pkg_mgr"] {
  const has = (p: string) => present.includes(p);
  // A Debian host may have dnf installed (and the reverse); the family decides first.
  const byFamily: Record<string, Facts["pkg_mgr"][]> = { debian: ["apt"], redhat: ["dnf", "yum"], alpine: ["apk"] };
  const name = (m: Facts["pkg_mgr"]) => (m === "apt" ? "apt-get" : m);
  for (const m of byFamily[family] ?? []) if (has(name(m))) return m;
  for (const m of ["apt", "dnf", "yum", "apk"] as const) if (has(name(m))) return m;
  return "unknown";
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipToInt(ip: string): number {
  const m = IPV4.exec(ip)!;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** /proc/net/route holds addresses as little-endian hex. */
function hexLeToInt(hex: string): number {
  const n = parseInt(hex, 16) >>> 0;
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | ((n >>> 24) & 0xff)) >>> 0;
}

const isLoopback = (ip: string) => ip.startsWith("127.");

/** From `ip -4 route show default` and `ip -4 -o addr show` (one-line or multi-line form). */
export function primaryIpv4FromIp(routeLines: string[], addrLines: string[]): string {
  let dev: string | undefined;
  for (const l of routeLines) {
    const m = /^default\b.*\bdev\s+(\S+)/.exec(l.trim());
    if (m) {
      dev = m[1];
      break;
    }
  }
  const addrs: { dev: string; ip: string }[] = [];
  let cur = "";
  for (const l of addrLines) {
    const head = /^\d+:\s+([^\s:]+)/.exec(l);
    if (head) cur = head[1]!.replace(/@.*$/, "");
    const inet = /\binet\s+(\d+\.\d+\.\d+\.\d+)(?:\/\d+)?/.exec(l);
    if (inet && cur) addrs.push({ dev: cur, ip: inet[1]! });
  }
  const onDefault = dev ? addrs.find((a) => a.dev === dev) : undefined;
  return (onDefault ?? addrs.find((a) => !isLoopback(a.ip)))?.ip ?? "";
}

/** From /proc/net/route and /proc/net/fib_trie, for hosts without iproute2. */
export function primaryIpv4FromProc(routeLines: string[], trieLines: string[]): string {
  const routes: { iface: string; dest: number; mask: number }[] = [];
  for (const l of routeLines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    routes.push({ iface: f[0]!, dest: hexLeToInt(f[1]!), mask: hexLeToInt(f[7]!) });
  }
  const local: string[] = [];
  let last: string | undefined;
  for (const l of trieLines) {
    const leaf = /\|--\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l);
    if (leaf) {
      last = leaf[1];
      continue;
    }
    if (last && /^\s*\/32 host LOCAL/.test(l) && !local.includes(last)) local.push(last);
  }
  const candidates = local.filter((ip) => !isLoopback(ip));
  const def = routes.find((r) => r.dest === 0 && r.mask === 0);
  if (def) {
    const nets = routes.filter((r) => r.iface === def.iface && r.mask !== 0);
    const hit = candidates.find((ip) => nets.some((n) => (ipToInt(ip) & n.mask) >>> 0 === (n.dest & n.mask) >>> 0));
    if (hit) return hit;
  }
  return candidates[0] ?? "";
}

function int(s: string | undefined): number {
  const n = Number((s ?? "").trim());
  return Number.isFinite(n) && /^\s*\d+\s*$/.test(s ?? "") ? n : 0;
}

export function parseFacts(stdout: string): Facts {
  const texts = sectionTexts(stdout);
  const s = linesOf(texts);
  const get = (k: string) => s.get(k) ?? [];
  const osr = parseOsRelease(get("os-release"));
  const id = (osr.ID ?? "").toLowerCase();
  const family = osFamily(id, (osr.ID_LIKE ?? "").toLowerCase());
  const [kernel = "", arch = "", hostname = ""] = get("uname").map((l) => l.trim());
  const init = get("init").map((l) => l.trim());
  const nproc = int(get("nproc")[0]);
  const memLine = get("meminfo").find((l) => l.startsWith("MemTotal:"));
  const memKb = memLine ? int(/MemTotal:\s+(\d+)/.exec(memLine)?.[1]) : 0;
  const ipv4 =
    s.has("ip-route") || s.has("ip-addr")
      ? primaryIpv4FromIp(get("ip-route"), get("ip-addr"))
      : s.has("ip-both")
        ? primaryIpv4FromIp(get("ip-both"), get("ip-both"))
        : primaryIpv4FromProc(get("proc-route"), get("fib_trie"));
  const debianVersion = get("debian_version")[0]?.trim() ?? "";
  const facts: Facts = {
    os_id: id || "unknown",
    os_version: osr.VERSION_ID ?? "",
    os_family: family,
    os_pretty: osr.PRETTY_NAME ?? osr.NAME ?? "",
    kernel,
    arch,
    hostname,
    pkg_mgr: pickPkgMgr(
      get("pkg").map((l) => l.trim()),
      family,
    ),
    init: init[0] === "systemd" ? "systemd" : init[0] === "sysv" ? "sysv" : "unknown",
    cpus: nproc || int(get("cpuinfo")[0]),
    memory_mb: Math.floor(memKb / 1024),
    ipv4,
    user: get("user")[0]?.trim() ?? "",
  };
  if (osr.VERSION_CODENAME) facts.os_codename = osr.VERSION_CODENAME;
  // Debian's point release ("12.11") lives in /etc/debian_version, not in os-release.
  if (family === "debian" && /^\d+(\.\d+)*$/.test(debianVersion)) facts.os_version_full = debianVersion;
  if (init.includes("openrc")) facts.service_mgr = "openrc";
  // The firewall block is records (engine/core/record.ts); older captures have none.
  if (s.has("firewall")) facts.firewall = parseFirewallFact(get("firewall").join("\n"));
  Object.assign(facts, parseExtraFacts(s, texts.get("env")));
  Object.assign(facts, parseMoreFacts(s, arch, nproc));
  const local = texts.get("local");
  if (local !== undefined) {
    const l = parseLocalFacts(local);
    facts.local = l.facts;
    if (l.error !== undefined) facts.local_error = l.error;
  }
  // which subsets this probe gathered (captures older than gather_subset gathered all of them)
  const [ran, asked] = get("subsets");
  if (ran !== undefined) {
    facts.subsets = ran.split(",").filter(Boolean);
    try {
      facts.gather_subset = JSON.parse(asked ?? '["all"]') as unknown;
    } catch {
      facts.gather_subset = ["all"];
    }
  }
  return facts;
}

export const factsProbe: Probe<Facts> = {
  script: FACTS_SCRIPT,
  parse: (stdout) => parseFacts(stdout),
};

/** The facts probe for a gather_subset and a given interpreter (same parser). */
export function factsProbeFor(opts: FactsOptions): Probe<Facts> {
  return { script: factsScript(opts), parse: (stdout) => parseFacts(stdout) };
}
