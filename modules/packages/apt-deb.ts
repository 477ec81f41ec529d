// packages.apt's `deb:` as ansible-core 2.14's install_deb has it: a .deb file on the host (or a
// comma-separated list of them), or an http(s) URL the host downloads (Ansible's fetch_file, on
// every run, check mode included). A file whose package is installed at its version (dpkg's
// version order) is converged; otherwise its direct dependencies that are not installed go in
// first with apt-get install (then apt-mark manual, as Ansible's install()), and the files with
// dpkg -i and dpkg's options. A deb older than the installed version fails ("A later version is
// already installed") unless allow_downgrade or force; a file apt cannot install (a dependency no
// repository has, a conflict) fails unless force (dpkg --force-all). The probe reads each file's
// control fields (dpkg-deb -f), the installed version, and `apt-get -s install FILE`, whose new
// packages that the file depends on directly are the dependencies apply installs. Pure but for
// the shell text; apt.ts wires it in.
import type { ApplyResult, Change, Host } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { shJoin, shq } from "../../engine/core/shell.js";
import { compareDebVersions } from "../../engine/core/pkgversion.js";
import { outSection, sections } from "./backends/types.js";
import { DEFAULT_DPKG_OPTIONS, dpkgOptionFlags, dpkgOptions, parseSimulation, withPolicyRcD } from "./backends/apt-upgrade.js";
import type { PackageArgs } from "./package-module.js";

/** One .deb as the probe found it. */
export interface DebFile {
  /** The path on the host (the downloaded copy's path is not kept: it changes on every run). */
  path: string;
  missing?: boolean;
  pkg?: string;
  version?: string;
  /** Names in the file's Depends and Pre-Depends (any alternative, no version or arch). */
  depends?: string[];
  /** The installed version of the file's package. */
  installed?: string;
  /** apt-get -s install FILE: the packages it would install, or apt-get's error. */
  sim?: { install: string[]; error?: string };
}

export interface DebState {
  files: DebFile[];
  /** The URL could not be downloaded: what the download said. */
  fetchError?: string;
}

export type DebOp = { op: "deb"; paths: string[]; deps: string[] };

const URL_RE = /:\/\//;
/** The name a URL's download gets on the host (apt-get needs .deb at the end of a file argument). */
const FETCHED = "fetched.deb";

export function debPaths(deb: string): string[] {
  return URL_RE.test(deb) ? [deb] : deb.split(",").map((p) => p.trim());
}

/** The rules Ansible checks: deb excludes name and upgrade; it only installs (state present). */
export function validateDeb(a: PackageArgs): void {
  if (a.deb === undefined) return;
  const names = a.name === undefined ? [] : Array.isArray(a.name) ? a.name : [a.name];
  if (names.length > 0) throw new ArgError("deb", "parameters are mutually exclusive: deb|package|upgrade", "give name and deb tasks of their own");
  if (a.upgrade !== undefined && a.upgrade !== false && a.upgrade !== "no")
    throw new ArgError("deb", "parameters are mutually exclusive: deb|package|upgrade", "give upgrade a task of its own");
  if (a.state !== undefined && a.state !== "present" && a.state !== "installed") throw new ArgError("state", "deb only supports state=present", "remove state");
  if (URL_RE.test(a.deb) && !/^https?:\/\/[^\s'"\\`$]+$/.test(a.deb))
    throw new ArgError("deb", `deb: '${a.deb}' is not an http(s) URL keel can fetch`, "use http:// or https://, or a path on the host");
  for (const p of debPaths(a.deb))
    if (p === "" || /[\n\r\0]/.test(p)) throw new ArgError("deb", `deb: '${a.deb}' has an empty or invalid path`, "e.g. deb: /tmp/x.deb");
}

/** The download as Ansible's fetch_file makes it (10 s timeout, redirects followed), with curl, wget or python3. */
function fetch(url: string, out: string): string {
  const py = "import shutil,sys,urllib.request as u; shutil.copyfileobj(u.urlopen(sys.argv[1],timeout=10),open(sys.argv[2],'wb'))";
  return (
    `if command -v curl >/dev/null 2>&1; then curl -sSfL --max-time 10 -o ${out} ${shq(url)}; ` +
    `elif command -v wget >/dev/null 2>&1; then wget -q -T 10 -O ${out} ${shq(url)}; else python3 -c ${shq(py)} ${shq(url)} ${out}; fi`
  );
}

export function debProbe(a: PackageArgs): string {
  const deb = a.deb!;
  const url = URL_RE.test(deb);
  const lines = ["(", "LC_ALL=C; export LC_ALL", `_kt=$(mktemp -d /tmp/keel-deb.XXXXXX) || exit 1`, `trap 'rm -rf "$_kt"' EXIT`];
  const files = url ? [`"$_kt/${FETCHED}"`] : debPaths(deb).map((p) => shq(p));
  if (url) lines.push(`_kf=$( { ${fetch(deb, files[0]!)}; } 2>&1 ) || { ${outSection("debfetch", `printf '%s\\n' "$_kf"`)}; exit 0; }`);
  files.forEach((f, i) => {
    // apt-get takes a file argument only with a / in it and .deb at its end: a link in the folder otherwise
    const sim = `case ${f} in */*.deb) _ks=${f} ;; *) _ks="$_kt/${i}.deb"; ln -s "$(readlink -f ${f})" "$_ks" ;; esac; apt-get -s install "$_ks" 2>&1; echo "keel-rc=$?"`;
    lines.push(
      `if [ -f ${f} ] && [ -r ${f} ]; then`,
      outSection(`deb${i}`, `dpkg-deb -f ${f} Package Version Depends Pre-Depends`),
      `_kp=$(dpkg-deb -f ${f} Package); _kv=$(dpkg-deb -f ${f} Version)`,
      `_ki=$(dpkg-query -W -f='\${Version}\\t\${db:Status-Abbrev}' "$_kp" 2>/dev/null)`,
      outSection(`debi${i}`, `printf '%s\\n' "$_ki"`),
      // the simulation only when the installed version is not this one
      `case "$_ki" in "$_kv\t"?i*) ;; *) ${outSection(`debs${i}`, sim)} ;; esac`,
      "else",
      outSection(`deb${i}`, "echo keel-missing"),
      "fi",
    );
  });
  lines.push(")");
  return lines.join("\n");
}

function depNames(field: string | undefined): string[] {
  if (!field) return [];
  return field
    .split(/[,|]/)
    .map((d) =>
      d
        .trim()
        .replace(/\s*\(.*$/, "")
        .replace(/:\S+$/, ""),
    )
    .filter(Boolean);
}

export function parseDeb(stdout: string, a: PackageArgs): DebState {
  const sec = sections(stdout);
  const fetchErr = sec.get("debfetch");
  const paths = debPaths(a.deb!);
  if (fetchErr) return { files: [], fetchError: fetchErr.join("\n") || "download failed" };
  const files = paths.map((path, i): DebFile => {
    const fields = sec.get(`deb${i}`) ?? [];
    if (fields.length === 0 || fields[0] === "keel-missing") return { path, missing: true };
    const get = (k: string) =>
      fields
        .find((l) => l.startsWith(`${k}: `))
        ?.slice(k.length + 2)
        .trim();
    const f: DebFile = { path, pkg: get("Package")!, version: get("Version")!, depends: [...depNames(get("Depends")), ...depNames(get("Pre-Depends"))] };
    const [iv, abbrev] = (sec.get(`debi${i}`)?.[0] ?? "").split("\t");
    if (iv && abbrev?.[1] === "i") f.installed = iv;
    const s = sec.get(`debs${i}`);
    if (s) {
      const rc = /^keel-rc=(\d+)$/.exec(s[s.length - 1] ?? "")?.[1];
      f.sim = { install: parseSimulation(s).flatMap((it) => (it.action === "install" ? [it.name.replace(/:\S+$/, "")] : [])) };
      if (rc !== "0") f.sim.error = s.filter((l) => l.startsWith("E: ")).join("\n") || s.filter((l) => !l.startsWith("keel-rc=")).join("\n");
    }
    return f;
  });
  return { files };
}

/** One change for the files to install (with their dependencies), [] when every file's version is installed. */
export function debDiff(st: DebState, a: PackageArgs): Change<DebOp>[] {
  if (st.fetchError !== undefined) throw new ModuleError(`Failure downloading ${a.deb}: ${st.fetchError}`);
  const todo: DebFile[] = [];
  const deps: string[] = [];
  for (const f of st.files) {
    if (f.missing) throw new ModuleError(`Unable to install package: ${f.path}: no such .deb file on the host`);
    if (f.installed !== undefined && compareDebVersions(f.version!, f.installed) === 0) continue;
    const force = a.force === true;
    if (f.installed !== undefined && compareDebVersions(f.version!, f.installed) < 0 && !force && a.allow_downgrade !== true)
      throw new ModuleError(
        `A later version is already installed (${f.pkg} ${f.installed}; ${f.path} has ${f.version}; set allow_downgrade: true to downgrade)`,
      );
    if (f.sim?.error !== undefined && !force) throw new ModuleError(`Unable to install package ${f.pkg} from ${f.path}: ${f.sim.error}`);
    const direct = new Set(f.depends);
    for (const d of f.sim?.install ?? []) if (d !== f.pkg && direct.has(d) && !deps.includes(d)) deps.push(d);
    todo.push(f);
  }
  if (todo.length === 0) return [];
  const what = todo.map((f) => `${f.pkg} ${f.installed ?? "absent"} → ${f.version} (${URL_RE.test(a.deb!) ? a.deb : f.path})`).join(", ");
  return [
    {
      summary: `deb: package ${what}${deps.length ? `, with its dependencies ${deps.join(", ")}` : ""}`,
      field: "version",
      before: todo.length === 1 ? (todo[0]!.installed ?? "absent") : todo.map((f) => f.installed ?? "absent"),
      after: todo.length === 1 ? todo[0]!.version : todo.map((f) => f.version),
      data: { op: "deb", paths: todo.map((f) => f.path), deps },
    },
  ];
}

export function debExplain(st: DebState): string {
  return st.files.map((f) => `package ${f.pkg} ${f.installed} installed, the version of ${f.path}`).join("; ");
}

/**
 * Ansible's install_deb: the dependencies through apt-get install (dpkg's options as -o, no force,
 * then apt-mark manual), then `dpkg --OPT… -i FILE…` (--force-all with force), under policy_rc_d
 * when set. A URL is downloaded again into a temporary folder, removed afterwards.
 */
export async function debApply(host: Host, a: PackageArgs, changes: Change<DebOp>[]): Promise<ApplyResult> {
  const op = changes[0]!.data!;
  const opts = dpkgOptions(a.dpkg_options ?? DEFAULT_DPKG_OPTIONS);
  const url = URL_RE.test(a.deb!);
  const files = url ? [`"$_kt/${FETCHED}"`] : op.paths.map((p) => shq(p));
  const cmds: string[] = [];
  if (url) cmds.push(fetch(a.deb!, files[0]!));
  if (a.clean === true) cmds.unshift("apt-get clean");
  if (op.deps.length > 0) {
    const flags = [`-o DPkg::Lock::Timeout=${a.lock_timeout ?? 60}`, dpkgOptionFlags(opts)];
    if (a.fail_on_autoremove === true) flags.push("--no-remove");
    const tail: string[] = [];
    if (a.install_recommends !== undefined) tail.push(`-o APT::Install-Recommends=${a.install_recommends ? "yes" : "no"}`);
    if (a.allow_unauthenticated === true) tail.push("--allow-unauthenticated");
    if (a.allow_downgrade === true) tail.push("--allow-downgrades");
    if (a.allow_change_held_packages === true) tail.push("--allow-change-held-packages");
    cmds.push(`DEBIAN_FRONTEND=noninteractive apt-get -y ${flags.join(" ")} install ${shJoin(op.deps)}${tail.length ? ` ${tail.join(" ")}` : ""}`);
    cmds.push(`apt-mark manual ${shJoin(op.deps)} >/dev/null`);
  }
  const dpkgFlags = [...opts.map((o) => shq(`--${o}`)), ...(a.force === true ? ["--force-all"] : [])];
  cmds.push(`DEBIAN_FRONTEND=noninteractive dpkg ${dpkgFlags.join(" ")} -i ${files.join(" ")}`);
  const body = a.policy_rc_d !== undefined ? withPolicyRcD(cmds, a.policy_rc_d) : cmds.join(" && ");
  const script = ["(", `_kt=$(mktemp -d /tmp/keel-deb.XXXXXX) || exit 1`, body, `_krc=$?; rm -rf "$_kt"; exit $_krc`, ")"].join("\n");
  const r = await host.run(script);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** What the probe reads besides the package database: each file (a task before may write it). */
export function debReads(deb: string): string[] {
  return URL_RE.test(deb)
    ? []
    : debPaths(deb)
        .filter((p) => p.startsWith("/"))
        .map((p) => `file:${p}`);
}
