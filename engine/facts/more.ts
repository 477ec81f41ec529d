// More of Ansible's fact list, computed as ansible-core 2.14's collectors compute them
// (module_utils/facts): the Python interpreter (interpreter discovery and its version), lsb,
// SELinux/AppArmor status, the kernel command line, processors and memory,
// DNS, platform details (fqdn, kernel_version, machine_id, userspace bits) and the ids of the
// connecting account. The shell text of each part is a section of the ONE facts probe (probe.ts);
// the parsers here are pure and keyed by section name, so captured outputs can be replayed.

/** Ansible 2.14's INTERPRETER_PYTHON_FALLBACK, in order. */
export const PYTHON_FALLBACK = [
  "python3.11",
  "python3.10",
  "python3.9",
  "python3.8",
  "python3.7",
  "python3.6",
  "python3.5",
  "/usr/bin/python3",
  "/usr/libexec/platform-python",
  "python2.7",
  "/usr/bin/python",
  "python",
];

/**
 * What the interpreter prints about itself: version, implementation, ssl, and whether libselinux
 * loads (ansible-core's SELinux bindings are ctypes over libselinux.so.1: selinux_python_present).
 */
const PY_SELF =
  "import sys\n" +
  "v=sys.version_info\n" +
  "t=getattr(sys,'subversion',None)\n" +
  "t=t[0] if t else getattr(getattr(sys,'implementation',None),'name','')\n" +
  "try:\n from ssl import create_default_context, SSLContext\n s=1\nexcept Exception:\n s=0\n" +
  "try:\n from ctypes import CDLL\n CDLL('libselinux.so.1')\n se=1\nexcept Exception:\n se=0\n" +
  "print('%d|%d|%d|%s|%d|%s|%d|%d|%s' % (v[0],v[1],v[2],v[3],v[4],t,s,se,sys.executable))";

/**
 * Interpreter discovery as Ansible's `auto` mode does it on the platforms keel supports: the
 * distribution's preferred path when it exists (/usr/bin/python3 on Debian 10+, Ubuntu 16+,
 * Fedora, RHEL 9; /usr/libexec/platform-python on RHEL 8), else the first of the fallback list.
 * `given` is the host's ansible_python_interpreter: then nothing is discovered.
 */
export function pythonScript(given?: string): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const self = `"$_py" -c ${q(PY_SELF)}`;
  if (given) return `_py=${q(given)}; echo "given=$_py"; ${self}`;
  return [
    "_py=''",
    `for _c in ${PYTHON_FALLBACK.join(" ")}; do _f=$(command -v "$_c") && { [ -n "$_py" ] || _py=$_f; echo "found=$_f"; }; done`,
    `. /etc/os-release 2>/dev/null; case "$ID:\${VERSION_ID%%.*}" in rhel:8|centos:8|ol:8|rocky:8|almalinux:8) _pref=/usr/libexec/platform-python ;; *) _pref=/usr/bin/python3 ;; esac`,
    '[ -x "$_pref" ] && _py=$_pref',
    '[ -n "$_py" ] && { echo "discovered=$_py"; ' + self + "; }",
  ].join("\n");
}

export interface PythonFacts {
  python?: Record<string, unknown>;
  python_version?: string;
  discovered_interpreter_python?: string;
  selinux_python_present?: boolean;
}

export function parsePython(lines: string[]): PythonFacts {
  const out: PythonFacts = {};
  const kv = (k: string) => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
  const discovered = kv("discovered");
  if (discovered) out.discovered_interpreter_python = discovered;
  const self = lines.find((l) => /^\d+\|\d+\|\d+\|/.test(l));
  if (!self) return out;
  const [major, minor, micro, level, serial, type, ssl, se, ...exe] = self.split("|") as string[];
  const version = { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel: level!, serial: Number(serial) };
  out.python = {
    executable: exe.join("|"),
    has_sslcontext: ssl === "1",
    type: type || null,
    version,
    version_info: [version.major, version.minor, version.micro, version.releaselevel, version.serial],
  };
  out.python_version = `${major}.${minor}.${micro}`;
  out.selinux_python_present = se === "1";
  return out;
}

/** Ansible's lsb: `lsb_release -a` when it exists, else /etc/lsb-release; {} when neither says anything. */
export function parseLsb(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const fromCmd: Record<string, string> = { "Distributor ID": "id", Description: "description", Release: "release", Codename: "codename" };
  const fromFile: Record<string, string> = { DISTRIB_ID: "id", DISTRIB_RELEASE: "release", DISTRIB_DESCRIPTION: "description", DISTRIB_CODENAME: "codename" };
  const cmd = lines.filter((l) => l.startsWith("cmd:")).map((l) => l.slice(4));
  if (cmd.length) {
    for (const l of cmd) {
      const i = l.indexOf(":");
      if (i > 0 && fromCmd[l.slice(0, i).trim()]) out[fromCmd[l.slice(0, i).trim()]!] = l.slice(i + 1).trim();
    }
  } else {
    for (const l of lines.filter((x) => x.startsWith("file:")).map((x) => x.slice(5))) {
      const m = /^\s*(DISTRIB_[A-Z]+)\s*=\s*(.*)$/.exec(l);
      if (m && fromFile[m[1]!]) out[fromFile[m[1]!]!] = m[2]!.trim().replace(/^"(.*)"$/, "$1");
    }
  }
  if (out.release) out.major_release = out.release.split(".")[0]!;
  return out;
}

/** ansible_selinux (and the AppArmor status) from the kernel's selinuxfs and /etc/selinux/config. */
export function parseSecurity(lines: string[], pythonPresent: boolean | undefined): Record<string, unknown> {
  const kv = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf("=");
    if (i > 0) kv.set(l.slice(0, i), l.slice(i + 1).trim());
  }
  const out: Record<string, unknown> = { apparmor: { status: kv.get("apparmor") === "1" ? "enabled" : "disabled" } };
  if (pythonPresent === false) {
    // Ansible reads SELinux through the Python bindings; without them it says so
    out.selinux = { status: "Missing selinux Python library" };
  } else if (kv.get("selinuxfs") !== "1") {
    out.selinux = { status: "disabled" };
  } else {
    const enforce = kv.get("enforce");
    out.selinux = {
      status: "enabled",
      policyvers: kv.has("policyvers") ? Number(kv.get("policyvers")) : "unknown",
      config_mode: (kv.get("config_mode") ?? "unknown").toLowerCase(),
      mode: enforce === "1" ? "enforcing" : enforce === "0" ? "permissive" : "unknown",
      type: kv.get("config_type") ?? "unknown",
    };
  }
  if (pythonPresent !== undefined) out.selinux_python_present = pythonPresent;
  return out;
}

/** Splits like Python's shlex.split (POSIX mode): quotes group, backslash escapes. */
export function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = undefined;
      else if (c === "\\" && q === '"' && (s[i + 1] === '"' || s[i + 1] === "\\")) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** ansible_cmdline (last value wins) and ansible_proc_cmdline (repeated keys become lists). */
export function parseCmdline(text: string): { cmdline: Record<string, unknown>; proc_cmdline: Record<string, unknown> } {
  const cmdline: Record<string, unknown> = {};
  const proc: Record<string, unknown> = {};
  for (const piece of shlexSplit(text)) {
    const i = piece.indexOf("=");
    const [k, v]: [string, unknown] = i < 0 ? [piece, true] : [piece.slice(0, i), piece.slice(i + 1)];
    cmdline[k] = v;
    if (!Object.hasOwn(proc, k)) proc[k] = v;
    else if (Array.isArray(proc[k])) (proc[k] as unknown[]).push(v);
    else proc[k] = [proc[k], v];
  }
  return { cmdline, proc_cmdline: proc };
}

/** Ansible's Linux processor facts from /proc/cpuinfo (the lines keel's probe keeps) and nproc. */
export function parseCpuinfo(lines: string[], arch: string, nproc: number): Record<string, unknown> {
  const processor: string[] = [];
  const sockets = new Map<string, number>();
  const cores = new Map<string, number>();
  let physid = "0";
  let coreid = "0";
  let i = 0;
  let vendor = 0;
  let model = 0;
  let procs = 0;
  let explicitCores: number | undefined;
  for (const line of lines) {
    const c = line.indexOf(":");
    const key = (c < 0 ? line : line.slice(0, c)).trim();
    const val = c < 0 ? "" : line.slice(c + 1).trim();
    if (key === "model name") model++;
    if (key === "vendor_id") vendor++;
    if (key === "processor") procs++;
    if (["model name", "Processor", "vendor_id", "cpu", "Vendor", "processor"].includes(key)) {
      processor.push(val);
      if (key === "processor") i++;
    } else if (key === "physical id") {
      physid = val;
      if (!sockets.has(physid)) sockets.set(physid, 1);
    } else if (key === "core id") {
      coreid = val;
      if (!sockets.has(coreid)) cores.set(coreid, 1);
    } else if (key === "cpu cores") sockets.set(physid, Number(val));
    else if (key === "siblings") cores.set(coreid, Number(val));
    else if (key === "# processors") explicitCores = Number(val);
    else if (key === "ncpus active") i = Number(val);
  }
  if (vendor > 0 && vendor === model) i = vendor;
  if (/^(armv|aarch|ppc)/.test(arch)) i = procs;
  const out: Record<string, unknown> = { processor };
  if (arch !== "s390x") {
    out.processor_count = sockets.size ? sockets.size : i;
    const sv = [...sockets.values()];
    out.processor_cores = sv.length && sv[0] ? sv[0] : 1;
    const cv = [...cores.values()];
    out.processor_threads_per_core = sv.length && sv[0] ? Math.floor((cv[0] ?? 0) / sv[0]) : Math.floor(1 / (out.processor_cores as number));
    out.processor_vcpus = (out.processor_threads_per_core as number) * (out.processor_count as number) * (out.processor_cores as number);
  } else if (explicitCores !== undefined) out.processor_cores = explicitCores;
  out.processor_nproc = nproc || procs;
  return out;
}

/** Ansible's memory facts from /proc/meminfo: every value in MiB, rounded down first. */
export function parseMeminfo(lines: string[]): Record<string, unknown> {
  const mb = new Map<string, number>();
  for (const l of lines) {
    const m = /^(\w+):\s+(\d+)/.exec(l);
    if (m) mb.set(m[1]!, Math.floor(Number(m[2]) / 1024));
  }
  if (!mb.has("MemTotal")) return {};
  const g = (k: string) => mb.get(k) ?? 0;
  const nocacheFree = g("Cached") + g("MemFree") + g("Buffers");
  return {
    memtotal_mb: g("MemTotal"),
    memfree_mb: g("MemFree"),
    swaptotal_mb: g("SwapTotal"),
    swapfree_mb: g("SwapFree"),
    // keel's own Facts.memory_mb is the total (a number): Ansible's memory_mb dict travels as memory
    memory: {
      real: { total: g("MemTotal"), used: g("MemTotal") - g("MemFree"), free: g("MemFree") },
      nocache: { free: nocacheFree, used: g("MemTotal") - nocacheFree },
      swap: { total: g("SwapTotal"), free: g("SwapFree"), used: g("SwapTotal") - g("SwapFree"), cached: g("SwapCached") },
    },
  };
}

/** Ansible's dns fact from /etc/resolv.conf; {} when the file is absent or says nothing. */
export function parseResolvConf(lines: string[]): Record<string, unknown> {
  const dns: Record<string, unknown> = {};
  for (const raw of lines) {
    if (raw.startsWith("#") || raw.startsWith(";") || raw.trim() === "") continue;
    const t = raw.split(/\s+/).filter(Boolean);
    if (t.length === 0) continue;
    const rest = t.slice(1);
    if (t[0] === "nameserver") {
      if (!dns.nameservers) dns.nameservers = [];
      (dns.nameservers as string[]).push(...rest);
    } else if (t[0] === "domain") dns.domain = rest[0];
    else if (t[0] === "search" || t[0] === "sortlist") dns[t[0]] = rest;
    else if (t[0] === "options") {
      const opts: Record<string, unknown> = {};
      for (const o of rest) {
        const [k, v] = o.split(":", 2) as [string, string | undefined];
        opts[k] = v ?? true;
      }
      dns.options = opts;
    }
  }
  return dns;
}

/** fqdn, domain, kernel_version, machine_id, userspace bits, fips and the account's ids. */
export function parsePlatform(lines: string[], arch: string): Record<string, unknown> {
  const kv = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf("=");
    if (i > 0) kv.set(l.slice(0, i), l.slice(i + 1));
  }
  const out: Record<string, unknown> = {};
  const fqdn = kv.get("fqdn")?.trim();
  if (fqdn) {
    out.fqdn = fqdn;
    out.domain = fqdn.split(".").slice(1).join(".");
  }
  if (kv.has("kernel_version")) out.kernel_version = kv.get("kernel_version");
  const mid = kv.get("machine_id")?.trim();
  if (mid) out.machine_id = mid;
  const bits = kv.get("bits")?.trim();
  if (bits && /^\d+$/.test(bits)) {
    out.userspace_bits = bits;
    out.userspace_architecture = arch === "x86_64" && bits === "32" ? "i386" : arch;
  }
  for (const [k, name] of [
    ["euid", "effective_user_id"],
    ["egid", "effective_group_id"],
    ["ruid", "real_user_id"],
    ["rgid", "real_group_id"],
  ] as const) {
    const v = kv.get(k)?.trim();
    if (v && /^\d+$/.test(v)) out[name] = Number(v);
  }
  // Ansible: true only when /proc/sys/crypto/fips_enabled says 1 (absent file: false)
  out.fips = kv.get("fips")?.trim() === "1";
  return out;
}

/** The sections of the facts probe that this file parses, by gather subset. */
export const MORE_SECTIONS: Record<"min" | "hardware", [string, string][]> = {
  min: [
    // the system's Python `distro` package, which Ansible's setup uses instead of its bundled 1.6
    // (ansible.ts: distribution_version on Debian)
    ["pydistro", "ls -d /usr/lib/python3/dist-packages/distro-*info /usr/local/lib/python3*/dist-packages/distro-*info 2>/dev/null; true"],
    [
      "lsb",
      "command -v lsb_release >/dev/null && lsb_release -a 2>/dev/null | sed 's/^/cmd:/'\n[ -r /etc/lsb-release ] && sed 's/^/file:/' /etc/lsb-release\ntrue",
    ],
    [
      "security",
      [
        "[ -d /sys/kernel/security/apparmor ] && echo apparmor=1",
        'if [ -r /sys/fs/selinux/enforce ]; then echo selinuxfs=1; echo "enforce=$(cat /sys/fs/selinux/enforce)"; echo "policyvers=$(cat /sys/fs/selinux/policyvers)"; fi',
        "[ -r /etc/selinux/config ] && sed -n 's/^SELINUX=/config_mode=/p; s/^SELINUXTYPE=/config_type=/p' /etc/selinux/config",
        "true",
      ].join("\n"),
    ],
    ["cmdline", "cat /proc/cmdline"],
    ["resolv", "cat /etc/resolv.conf"],
    [
      "platform",
      [
        'echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
        'echo "kernel_version=$(uname -v)"',
        'echo "machine_id=$(cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null)"',
        'echo "bits=$(getconf LONG_BIT)"',
        // $_kf_u and $_kf_g: `id -u` and `id -g`, asked once by the probe (probe.ts)
        'echo "euid=$_kf_u"; echo "egid=$_kf_g"; echo "ruid=$(id -ru)"; echo "rgid=$(id -rg)"',
        '[ -r /proc/sys/crypto/fips_enabled ] && echo "fips=$(cat /proc/sys/crypto/fips_enabled)"',
        "true",
      ].join("\n"),
    ],
  ],
  hardware: [
    [
      "cpu",
      "grep -E '^(processor|Processor|vendor_id|Vendor|model name|cpu|physical id|core id|cpu cores|siblings|# processors|ncpus active)[[:space:]]*:' /proc/cpuinfo",
    ],
    ["memory", "grep -E '^(MemTotal|MemFree|Buffers|Cached|SwapTotal|SwapFree|SwapCached):' /proc/meminfo"],
    ["uptime", "cat /proc/uptime"],
  ],
};

/** keel's facts (snake_case, as Ansible names them) from the sections above that the probe ran. */
export function parseMoreFacts(s: Map<string, string[]>, arch: string, nproc: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let py: PythonFacts | undefined;
  if (s.has("python")) {
    py = parsePython(s.get("python")!);
    Object.assign(out, py);
  }
  if (s.has("lsb")) out.lsb = parseLsb(s.get("lsb")!);
  if (s.has("pydistro")) {
    const v = s
      .get("pydistro")!
      .map((l) => /\/distro-(\d+(?:\.\d+)*)\.(?:dist|egg)-info$/.exec(l.trim())?.[1])
      .find((x) => x !== undefined);
    if (v !== undefined) out.python_distro_version = v;
  }
  if (s.has("security")) Object.assign(out, parseSecurity(s.get("security")!, py?.python ? py.selinux_python_present : undefined));
  if (s.has("cmdline")) Object.assign(out, parseCmdline(s.get("cmdline")!.join(" ")));
  if (s.has("resolv")) out.dns = parseResolvConf(s.get("resolv")!);
  if (s.has("platform")) Object.assign(out, parsePlatform(s.get("platform")!, arch));
  if (s.has("cpu")) Object.assign(out, parseCpuinfo(s.get("cpu")!, arch, nproc));
  if (s.has("memory")) Object.assign(out, parseMeminfo(s.get("memory")!));
  const up = s.get("uptime")?.[0]?.trim().split(/\s+/)[0];
  if (up && /^\d+(\.\d+)?$/.test(up)) out.uptime_seconds = Math.floor(Number(up));
  return out;
}
