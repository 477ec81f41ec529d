// packages.package_facts — Ansible's `package_facts`: read-only. Lists the installed packages into
// the fact `packages` (ansible_facts.packages): package name → list of installed versions, each in
// the shape ansible-core 2.14's package_facts gives it:
//   apt: { name, version, arch, category, origin, source: "apt" }
//        (python-apt's Version: the full Debian version with its epoch, the architecture, the
//        section, and origins[0].origin — the Origin of the first index file that lists the
//        installed version, "" for /var/lib/dpkg/status alone)
//   rpm: { name, version, release, epoch, arch, source: "rpm" } (epoch an integer or null)
// Ansible reads them through python-apt and python's rpm bindings; keel reads the same databases
// with `dpkg-query`, `apt-cache policy` and `rpm -qa`, so it needs no Python library on the host
// (Ansible fails on a Debian host without python3-apt; keel does not).
//
// `manager: auto` tries the managers in Ansible's order (rpm, then apt) and `strategy: first` stops
// at the first usable one. A host that has both `rpm` and `dpkg-query` (a Debian host with the rpm
// tool) counts rpm as usable only when a Python there imports `rpm`, which is Ansible's condition.
// The other managers Ansible knows (pacman, pkg, portage, apk, pkg_info) are refused when named,
// and a host with neither apt nor rpm fails the task with a clear error, never an empty list.
//
// One known difference: `category` is the section dpkg recorded at install time; python-apt gives
// the section of the first index file listing the version, which differs only when the archive
// overrides a package's section.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, InternalError, ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip, type CmdRec } from "../../engine/core/snippets.js";

export interface PackageFactsArgs {
  manager?: string | string[];
  strategy?: "first" | "all";
}

export interface AptPackage {
  name: string;
  version: string;
  arch: string;
  category: string;
  origin: string;
  source: "apt";
}

export interface RpmPackage {
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  arch: string | null;
  source: "rpm";
}

export type PackageEntry = AptPackage | RpmPackage;

export interface PackageFactsState {
  /** Absolute paths of the tools found on the host ("" when absent). */
  tools: { rpm: string; dpkgQuery: string; aptCache: string };
  /** dpkg's native architecture (`dpkg --print-architecture`). */
  native: string;
  /** A Python on the host imports `rpm` (asked only when both rpm and dpkg-query exist). */
  pyRpm: boolean;
  rpm?: CmdRec;
  dpkg?: CmdRec;
  /** `apt-cache policy`'s "Package files" section. */
  aptFiles?: CmdRec;
  /** Per installed package, "NAME<TAB>first index file of the installed version" from `apt-cache policy NAME…`. */
  aptFirst?: CmdRec;
}

/** The managers Ansible's auto mode tries, in its order; keel implements the first two. */
const ANSIBLE_MANAGERS = ["rpm", "apt", "pacman", "pkg", "portage", "apk", "pkg_info"];
const KEEL_MANAGERS = ["rpm", "apt"];
const SBIN = "/sbin:/usr/sbin:/usr/local/sbin:/usr/bin:/usr/local/bin";

export default defineModule<PackageFactsArgs, PackageFactsState>({
  name: "packages.package_facts",
  aliases: ["package_facts"],
  description:
    "Read the installed packages (apt's dpkg database, or rpm's) into the fact `packages`, with the entries Ansible's package_facts returns. Read-only; needs no Python library on the host.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      manager: {
        description:
          "The package managers to read: `auto` (default: rpm, then apt, as Ansible tries them), `apt` or `rpm`; a list, or a comma-separated string. Ansible's pacman, pkg, portage, apk and pkg_info are refused.",
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
      },
      strategy: {
        description: "`first` (default): only the first usable manager's packages; `all`: every usable manager's, merged.",
        enum: ["first", "all"],
      },
    },
  },
  resource: () => "package facts",
  produces: () => ["packages", "ansible_facts"],

  validate(a) {
    for (const m of managers(a)) {
      if (m === "auto" || KEEL_MANAGERS.includes(m)) continue;
      if (ANSIBLE_MANAGERS.includes(m)) throw new ArgError("manager", `keel's package_facts reads apt and rpm only, not ${m}`, "use manager: auto, apt or rpm");
      throw new ArgError("manager", `Unsupported package managers requested: ${m}`, `choose from auto, ${ANSIBLE_MANAGERS.join(", ")}`);
    }
  },

  probe(args) {
    return { script: probeScript(order(args)), parse: (stdout) => parseState(stdout) };
  },
  diff(st, args) {
    gatherPackages(st, args);
    return [];
  },
  explain(st, args) {
    return `${Object.keys(gatherPackages(st, args)).length} installed packages read`;
  },
  result(st, args) {
    return { ansible_facts: { packages: gatherPackages(st, args) } };
  },
  async apply() {
    throw new InternalError("packages.package_facts is read-only: its diff is always empty, so apply never runs");
  },
});

/** The requested managers, lowercased, as Ansible reads its `list` argument (a string splits on commas). */
function managers(a: PackageFactsArgs): string[] {
  const raw = a.manager ?? ["auto"];
  const list = typeof raw === "string" ? raw.split(",") : raw;
  return list.map((m) => m.trim().toLowerCase()).filter((m) => m !== "");
}

/** Ansible's order: the named managers, `auto` expanding to every manager after them, deduplicated. */
export function order(a: PackageFactsArgs): string[] {
  const named = managers(a);
  const list = named.filter((m) => m !== "auto");
  if (named.includes("auto")) list.push(...ANSIBLE_MANAGERS);
  return [...new Set(list)].filter((m) => KEEL_MANAGERS.includes(m));
}

/** One script: which tools exist, then each requested manager's listing. Reads only. */
export function probeScript(mgrs: string[]): string {
  const C = "LC_ALL=C LANG=C";
  const lines = [
    `_keel_pf_bin() { ( PATH="$PATH:${SBIN}"; command -v "$1" ) 2>/dev/null || true; }`,
    `_keel_pf_rpm=$(_keel_pf_bin rpm); _keel_pf_dpkg=$(_keel_pf_bin dpkg-query); _keel_pf_aptcache=$(_keel_pf_bin apt-cache)`,
    snip.begin("pf", "tools"),
    snip.field("rpm", `"$_keel_pf_rpm"`),
    snip.field("dpkg_query", `"$_keel_pf_dpkg"`),
    snip.field("apt_cache", `"$_keel_pf_aptcache"`),
    snip.field("native", `"$(if [ -n "$_keel_pf_dpkg" ]; then dpkg --print-architecture 2>/dev/null; fi)"`),
    // Ansible's RPM needs python's rpm module (it respawns into these interpreters to find it).
    snip.field(
      "pyrpm",
      `"$(if [ -n "$_keel_pf_rpm" ] && [ -n "$_keel_pf_dpkg" ]; then for p in /usr/libexec/platform-python /usr/bin/python3 /usr/bin/python2; do if [ -x "$p" ] && "$p" -c 'import rpm' >/dev/null 2>&1; then echo 1; exit; fi; done; fi; echo 0)"`,
    ),
  ];
  if (mgrs.includes("rpm")) {
    lines.push(
      `if [ -n "$_keel_pf_rpm" ]; then`,
      snip.cmd("rpm", `${C} "$_keel_pf_rpm" -qa --queryformat '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n'`),
      `fi`,
    );
  }
  if (mgrs.includes("apt")) {
    const q = `${C} "$_keel_pf_dpkg" -W -f '\${binary:Package}\\t\${Version}\\t\${Architecture}\\t\${Section}\\t\${Status}\\n'`;
    lines.push(
      `if [ -n "$_keel_pf_dpkg" ]; then`,
      snip.cmd("dpkg", q),
      `if [ -n "$_keel_pf_aptcache" ]; then`,
      snip.cmd("apt-files", `${C} "$_keel_pf_aptcache" policy | awk '/^Package files:/ { p = 1; next } /^[^ ]/ { p = 0 } p'`),
      // The installed version is the "***" line of each package's version table; the line after it
      // is the first index file listing that version (python-apt's origins[0]).
      snip.cmd(
        "apt-first",
        `${q} | awk -F '\\t' '{ split($5, s, " "); if (s[3] != "not-installed" && s[3] != "config-files") print $1 }' | ${C} xargs -r "$_keel_pf_aptcache" policy | ` +
          `awk '/^[^ ].*:$/ { n = substr($0, 1, length($0) - 1); next } f { sub(/^ +-?[0-9]+ /, ""); print n "\\t" $0; f = 0; next } /^ \\*\\*\\* / { f = 1 }'`,
      ),
      `fi`,
      `fi`,
    );
  }
  return lines.join("\n");
}

export function parseState(stdout: string): PackageFactsState {
  const recs = parseRecords(stdout);
  const t = findRec(recs, "pf", "tools");
  if (!t) throw new ModuleError("the package_facts probe printed no result");
  const st: PackageFactsState = {
    tools: { rpm: t.get("rpm") ?? "", dpkgQuery: t.get("dpkg_query") ?? "", aptCache: t.get("apt_cache") ?? "" },
    pyRpm: t.get("pyrpm") === "1",
    native: t.get("native") ?? "",
  };
  const rpm = cmdOf(recs, "rpm");
  const dpkg = cmdOf(recs, "dpkg");
  const aptFiles = cmdOf(recs, "apt-files");
  const aptFirst = cmdOf(recs, "apt-first");
  if (rpm) st.rpm = rpm;
  if (dpkg) st.dpkg = dpkg;
  if (aptFiles) st.aptFiles = aptFiles;
  if (aptFirst) st.aptFirst = aptFirst;
  return st;
}

/** Ansible's main(): each usable manager in order, stopping after the first with strategy first. */
export function gatherPackages(st: PackageFactsState, args: PackageFactsArgs): Record<string, PackageEntry[]> {
  const mgrs = order(args);
  const out: Record<string, PackageEntry[]> = {};
  let found = 0;
  for (const m of mgrs) {
    if (found && (args.strategy ?? "first") === "first") break;
    if (m === "rpm" && st.tools.rpm && (!st.tools.dpkgQuery || st.pyRpm)) {
      found++;
      Object.assign(out, rpmPackages(st.rpm));
    } else if (m === "apt" && st.tools.dpkgQuery) {
      found++;
      Object.assign(out, aptPackages(st));
    }
  }
  if (!found) {
    const others = ANSIBLE_MANAGERS.filter((m) => !KEEL_MANAGERS.includes(m)).join(", ");
    throw new ModuleError(
      `Could not detect a supported package manager from the following list: ${mgrs.join(", ")} (no ${mgrs.map((m) => (m === "rpm" ? "rpm" : "dpkg-query")).join(" or ")} on this host; keel's package_facts does not read ${others})`,
    );
  }
  return out;
}

function rpmPackages(c: CmdRec | undefined): Record<string, PackageEntry[]> {
  if (!c || c.rc !== 0) throw new ModuleError(`rpm -qa failed (exit ${c?.rc ?? "?"}): ${c?.err.trim() ?? "no output"}`);
  const out: Record<string, PackageEntry[]> = {};
  for (const line of c.out.split("\n")) {
    if (line === "") continue;
    const f = line.split("\t");
    if (f.length !== 5) throw new ModuleError(`package_facts: malformed line from rpm -qa: ${line}`);
    const none = (v: string) => (v === "(none)" ? null : v);
    const epoch = none(f[3]!);
    const p: RpmPackage = { name: f[0]!, version: f[1]!, release: f[2]!, epoch: epoch === null ? null : Number(epoch), arch: none(f[4]!), source: "rpm" };
    (out[p.name] ??= []).push(p);
  }
  return out;
}

function aptPackages(st: PackageFactsState): Record<string, PackageEntry[]> {
  const c = st.dpkg;
  if (!c || c.rc !== 0) throw new ModuleError(`dpkg-query -W failed (exit ${c?.rc ?? "?"}): ${c?.err.trim() ?? "no output"}`);
  const first = firstFiles(st.aptFirst);
  const origins = fileOrigins(st.aptFiles);
  const out: Record<string, PackageEntry[]> = {};
  for (const line of c.out.split("\n")) {
    if (line === "") continue;
    const f = line.split("\t");
    if (f.length !== 5) throw new ModuleError(`package_facts: malformed line from dpkg-query: ${line}`);
    const [full, version, arch, section, status] = f as [string, string, string, string, string];
    // python-apt's names are apt's "pretty" full names: no ":ARCH" for the native architecture.
    const name = st.native && full.endsWith(`:${st.native}`) ? full.slice(0, -st.native.length - 1) : full;
    // apt's cache has an installed version for every status but not-installed and config-files.
    const s = status.split(" ")[2];
    if (s === undefined || s === "not-installed" || s === "config-files") continue;
    const file = first.get(name);
    const p: AptPackage = { name, version, arch, category: section, origin: (file && origins.get(file)) ?? "", source: "apt" };
    (out[name] ??= []).push(p);
  }
  return out;
}

/** "NAME\tFILE" lines → map. */
function firstFiles(c: CmdRec | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!c || c.rc !== 0) return m;
  for (const line of c.out.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) m.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return m;
}

/**
 * `apt-cache policy`'s "Package files": " 500 URI SUITE/COMP ARCH Packages" then "     release
 * o=ORIGIN,a=…" → file description → ORIGIN (absent o= → "", as for /var/lib/dpkg/status).
 */
function fileOrigins(c: CmdRec | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!c || c.rc !== 0) return m;
  let file: string | undefined;
  for (const line of c.out.split("\n")) {
    const head = /^ (-?\d+) (.+)$/.exec(line);
    if (head) {
      file = head[2]!.trim();
      m.set(file, "");
      continue;
    }
    const rel = /^\s+release (.*)$/.exec(line);
    if (rel && file !== undefined) {
      const o = rel[1]!.split(",").find((kv) => kv.startsWith("o="));
      m.set(file, o ? o.slice(2) : "");
    }
  }
  return m;
}
