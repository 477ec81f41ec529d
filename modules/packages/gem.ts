// packages.gem — community.general.gem: a Ruby gem installed (at a version, or the newest the
// repository has) or removed, decided as Ansible's module decides:
//   - the probe runs the same `gem --version` and `gem query [--norc] [--remote …] -n ^NAME$`
//     (GEM_HOME=install_dir when given); both only read;
//   - present: installed when `gem query` lists no version (or not the wanted one);
//   - latest: the first version `gem query --remote` lists becomes the wanted version;
//   - absent: `gem uninstall --version V | --all --executable NAME` when installed.
// The install and uninstall commands are Ansible's, flag for flag (rubygems < 2 variants included),
// built from the rubygems version the probe read.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import { shHomePath, shq } from "../../engine/core/shell.js";

export interface GemArgs {
  name: string;
  state?: "present" | "absent" | "latest";
  gem_source?: string;
  include_dependencies?: boolean;
  repository?: string;
  user_install?: boolean;
  executable?: string;
  install_dir?: string;
  bindir?: string;
  norc?: boolean;
  env_shebang?: boolean;
  version?: string | number;
  pre_release?: boolean;
  include_doc?: boolean;
  build_flags?: string;
  force?: boolean;
}

export interface GemState {
  /** The gem argv prefix; undefined when no gem was found. */
  gem?: string[];
  hostPath: string;
  /** rubygems' version (`gem --version`), as [major, minor, patch]; undefined when it did not parse. */
  rubygems?: [number, number, number];
  /** Versions `gem query -n ^NAME$` lists locally, newest first. */
  installed: string[];
  /** state latest: the versions `gem query --remote` lists. */
  remote?: string[];
}

export type GemOp = { op: "install"; version?: string } | { op: "uninstall" };

export default defineModule<GemArgs, GemState, GemOp>({
  name: "packages.gem",
  aliases: ["gem", "community.general.gem"],
  description:
    "Ensure a Ruby gem is installed (at a version, or the newest the repository has) or removed with gem, for the user or system-wide, decided by gem query as community.general.gem decides.",
  argAliases: { source: "repository" },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, description: "The gem's name (matched as ^NAME$ by gem query)." },
      state: {
        enum: ["present", "absent", "latest"],
        default: "present",
        description: "present, latest (the first version gem query --remote lists), absent.",
      },
      gem_source: { type: "string", minLength: 1, description: "A local .gem file on the host to install from. Not with repository or version." },
      include_dependencies: { type: "boolean", default: true, description: "Install the gem's dependencies (false: --ignore-dependencies)." },
      repository: { type: "string", minLength: 1, description: "The repository to install from (gem --source URL). Alias source." },
      user_install: {
        type: "boolean",
        default: true,
        description: "Install into the user's gem folder (--user-install, the default) or for all users (false: --no-user-install).",
      },
      executable: { type: "string", minLength: 1, description: "The gem to run (split on spaces, as Ansible does). Default: gem on PATH." },
      install_dir: { type: "string", minLength: 1, description: "Install into this folder (GEM_HOME); needs user_install: false." },
      bindir: { type: "string", minLength: 1, description: "Install the gem's executables into this folder (--bindir)." },
      norc: { type: "boolean", default: true, description: "Pass --norc (load no .gemrc) with rubygems 2.5.2 and later." },
      env_shebang: { type: "boolean", default: false, description: "Rewrite the shebang line of installed scripts to /usr/bin/env (--env-shebang)." },
      version: { type: ["string", "number"], description: "The version to install or remove (--version)." },
      pre_release: { type: "boolean", default: false, description: "Allow pre-release versions (--pre)." },
      include_doc: { type: "boolean", default: false, description: "Install the documentation (default --no-document)." },
      build_flags: { type: "string", description: "Build flags for native extensions (after --)." },
      force: { type: "boolean", default: false, description: "Force the install or uninstall, bypassing dependency checks (--force)." },
    },
  },
  resource: (a) => `gem ${a.name}${a.version !== undefined ? ` ${String(a.version)}` : ""}`,

  validate(a) {
    if (a.gem_source !== undefined && a.repository !== undefined)
      throw new ArgError("gem_source", "parameters are mutually exclusive: gem_source|repository", "keep one of them");
    if (a.gem_source !== undefined && a.version !== undefined)
      throw new ArgError("gem_source", "parameters are mutually exclusive: gem_source|version", "the .gem file has its version");
    const state = a.state ?? "present";
    if (a.version !== undefined && state === "latest")
      throw new ArgError("version", "Cannot specify version when state=latest", "drop version, or use state: present");
    if (a.gem_source !== undefined && state === "latest")
      throw new ArgError("gem_source", "Cannot maintain state=latest when installing from local source", "use state: present");
    if ((a.user_install ?? true) && a.install_dir !== undefined)
      throw new ArgError("install_dir", "install_dir requires user_install=false", "user_install: false");
    refuseLineBreaksIn(
      { ...a, version: a.version === undefined ? undefined : String(a.version) },
      ["name", "gem_source", "repository", "executable", "install_dir", "bindir", "version", "build_flags"],
      "the gem command",
    );
  },

  probe(a) {
    const exe = a.executable !== undefined ? a.executable.split(" ") : undefined;
    const gemWord = exe ? exe.map((w) => shq(w)).join(" ") : '"$_keel_gem"';
    const env = a.install_dir !== undefined ? `GEM_HOME=${shHomePath(a.install_dir)} ` : "";
    const query = (remote: boolean): string =>
      `${env}${gemWord} query $_keel_norc${remote ? ` --remote${a.repository ? ` --source ${shq(a.repository)}` : ""}` : ""} -n ${shq(`^${a.name}$`)}`;
    const lines = [
      snip.begin("gem"),
      snip.field("path", '"$PATH"'),
      exe ? `_keel_gem=${shq(exe[0]!)}; if command -v "$_keel_gem" >/dev/null 2>&1; then printf 'found=1\\n'; fi` : `_keel_gem=$(command -v gem 2>/dev/null)`,
      exe ? "" : snip.field("gem", '"$_keel_gem"'),
      `if command -v "$_keel_gem" >/dev/null 2>&1; then`,
      snip.cmd("version", `${gemWord} --version`),
      // --norc as Ansible's common_opts: only from rubygems 2.5.2 on.
      a.norc === false
        ? "_keel_norc="
        : `_keel_norc=$(${gemWord} --version 2>/dev/null | awk -F. 'NR == 1 { if ($1 > 2 || ($1 == 2 && ($2 > 5 || ($2 == 5 && $3 + 0 >= 2)))) print "--norc" }')`,
      ...((a.state ?? "present") === "latest" ? [snip.cmd("remote", query(true))] : []),
      snip.cmd("local", query(false)),
      "fi",
    ].filter((l) => l !== "");
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const r = recs.find((x) => x.kind === "gem");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const st: GemState = { hostPath: r.get("path") ?? "", installed: [] };
        if (exe ? r.get("found") === "1" : !!r.get("gem")) st.gem = exe ?? [r.get("gem")!];
        const ver = cmdOf(recs, "version");
        if (ver) {
          if (ver.rc !== 0) throw new ModuleError(ver.err.trimEnd() || `${(st.gem ?? ["gem"]).join(" ")} --version failed (rc ${ver.rc})`);
          const m = /^(\d+)\.(\d+)\.(\d+)/.exec(ver.out);
          if (m) st.rubygems = [Number(m[1]), Number(m[2]), Number(m[3])];
        }
        for (const id of ["remote", "local"] as const) {
          const q = cmdOf(recs, id);
          if (!q) continue;
          if (q.rc !== 0) throw new ModuleError(q.err.trimEnd() || `gem query failed (rc ${q.rc})`);
          if (id === "remote") st.remote = queryVersions(q.out);
          else st.installed = queryVersions(q.out);
        }
        return st;
      },
    };
  },

  diff(st, a) {
    if (!st.gem) {
      if (a.executable !== undefined) throw new ModuleError(`[Errno 2] No such file or directory: b'${a.executable.split(" ")[0]}'`);
      throw new ModuleError(`Failed to find required executable "gem" in paths: ${st.hostPath}`);
    }
    const state = a.state ?? "present";
    const version = wantedVersion(st, a);
    const exists = version !== undefined ? st.installed.includes(version) : st.installed.length > 0;
    const have = st.installed.length ? st.installed.join(", ") : "none";
    const out: Change<GemOp>[] = [];
    if (state === "absent") {
      if (exists)
        out.push({
          summary: `remove gem ${a.name}${version !== undefined ? ` ${version}` : " (all versions)"} (installed: ${have})`,
          field: "version",
          before: st.installed,
          after: null,
          data: { op: "uninstall" },
        });
      return out;
    }
    if (!exists) {
      const what = a.gem_source !== undefined ? ` from ${a.gem_source}` : version !== undefined ? ` ${version}` : "";
      out.push({
        summary: `install gem ${a.name}${what} (installed: ${have})`,
        field: "version",
        before: st.installed,
        after: version ?? a.gem_source ?? "any",
        data: version !== undefined ? { op: "install", version } : { op: "install" },
      });
    }
    return out;
  },

  explain(st, a) {
    if ((a.state ?? "present") === "absent") return `gem ${a.name}${a.version !== undefined ? ` ${String(a.version)}` : ""} not installed`;
    return `gem ${a.name} installed (${st.installed.join(", ")})${a.state === "latest" ? ", the newest the repository lists" : ""}`;
  },

  result(st, a) {
    const version = wantedVersion(st, a);
    return { name: a.name, state: a.state ?? "present", ...(version !== undefined ? { version } : {}) };
  },

  async apply(host, a, changes, st) {
    const c = changes[0]?.data;
    if (!c) return;
    const argv = c.op === "install" ? installArgv(st, a, c.version) : uninstallArgv(st, a);
    // Ansible runs uninstall (not install) with GEM_HOME=install_dir.
    const env = c.op === "uninstall" && a.install_dir !== undefined ? `GEM_HOME=${shHomePath(a.install_dir)} ` : "";
    // gem_source, install_dir and bindir are Ansible's type path: a leading ~ is the user's home.
    const homes = new Set([a.gem_source, a.install_dir, a.bindir].filter((x) => x !== undefined));
    const cmd = `${env}${argv.map((w) => (homes.has(w) ? shHomePath(w) : shq(w))).join(" ")}`;
    const r = await host.run(cmd, { check: false });
    if (r.rc !== 0) {
      const msg = r.stderr.trimEnd();
      return { failed: msg, msg, rc: r.rc, stdout: r.stdout, stderr: r.stderr, data: { cmd: argv.join(" ") } };
    }
    return { stdout: r.stdout, stderr: r.stderr };
  },
});

/** The version that decides: latest's first remote version, else the task's. */
function wantedVersion(st: GemState, a: GemArgs): string | undefined {
  if ((a.state ?? "present") === "latest" && st.remote?.length) return st.remote[0];
  return a.version !== undefined ? String(a.version) : undefined;
}

/** Ansible's get_installed_versions: "NAME (1.2, 1.1)", "NAME (default: 2.3.7)", "NAME (1.0 x86_64-linux)". */
export function queryVersions(out: string): string[] {
  const versions: string[] = [];
  for (const line of out.split(/\r?\n/)) {
    const m = /^\S+\s+\((?:default: )?(.+)\)/.exec(line);
    if (!m) continue;
    for (const v of m[1]!.split(", ")) versions.push(v.split(/\s+/).filter((x) => x !== "")[0] ?? "");
  }
  return versions;
}

function older(st: GemState, than: [number, number, number]): boolean {
  const v = st.rubygems;
  if (!v) return false;
  for (let i = 0; i < 3; i++) if (v[i] !== than[i]) return v[i]! < than[i]!;
  return false;
}

function commonOpts(st: GemState, a: GemArgs): string[] {
  return (a.norc ?? true) && st.rubygems && !older(st, [2, 5, 2]) ? ["--norc"] : [];
}

/** Ansible's install(): the gem install argv, flag for flag. */
export function installArgv(st: GemState, a: GemArgs, version: string | undefined): string[] {
  const old = older(st, [2, 0, 0]);
  const cmd = [...st.gem!, "install", ...commonOpts(st, a)];
  if (version !== undefined) cmd.push("--version", version);
  if (a.repository) cmd.push("--source", a.repository);
  if (a.include_dependencies === false) cmd.push("--ignore-dependencies");
  else if (old) cmd.push("--include-dependencies");
  cmd.push((a.user_install ?? true) ? "--user-install" : "--no-user-install");
  if (a.install_dir) cmd.push("--install-dir", a.install_dir);
  if (a.bindir) cmd.push("--bindir", a.bindir);
  if (a.pre_release) cmd.push("--pre");
  if (!a.include_doc) cmd.push(...(old ? ["--no-rdoc", "--no-ri"] : ["--no-document"]));
  if (a.env_shebang) cmd.push("--env-shebang");
  cmd.push(a.gem_source ?? a.name);
  if (a.build_flags) cmd.push("--", a.build_flags);
  if (a.force) cmd.push("--force");
  return cmd;
}

/** Ansible's uninstall(): the gem uninstall argv. */
export function uninstallArgv(st: GemState, a: GemArgs): string[] {
  const cmd = [...st.gem!, "uninstall", ...commonOpts(st, a)];
  if (a.install_dir) cmd.push("--install-dir", a.install_dir);
  if (a.bindir) cmd.push("--bindir", a.bindir);
  if (a.version !== undefined) cmd.push("--version", String(a.version));
  else cmd.push("--all");
  cmd.push("--executable");
  if (a.force) cmd.push("--force");
  cmd.push(a.name);
  return cmd;
}
