// packages.npm — community.general.npm: node.js packages installed with npm, globally or in a
// project folder (`path`, its package.json), decided as Ansible's module decides:
//   - the probe runs the same `npm list --json --long` (and `npm outdated` for state latest) with
//     the same flags, in the same folder; both only read;
//   - present: changed when a dependency is missing or invalid, or NAME[@VERSION] is not among the
//     installed names (a range such as ^1.0 never is, so Ansible reinstalls it every run; so does keel);
//   - latest: `npm install` when missing, then `npm update` when `npm outdated` printed anything;
//   - absent: `npm uninstall NAME` when NAME is installed;
//   - ci: `npm ci` on every run (Ansible reports it changed every time).
// The folder is created (mkdir -p) when missing before npm runs in it, as Ansible's os.makedirs.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import { shHomePath as pathWord, shq } from "../../engine/core/shell.js";

export interface NpmArgs {
  name?: string;
  path?: string;
  version?: string | number;
  global?: boolean;
  executable?: string;
  ignore_scripts?: boolean;
  unsafe_perm?: boolean;
  ci?: boolean;
  production?: boolean;
  registry?: string;
  state?: "present" | "absent" | "latest";
  no_optional?: boolean;
  no_bin_links?: boolean;
}

export interface NpmState {
  /** The npm argv prefix (executable split on spaces, or the npm found on PATH); undefined: none found. */
  npm?: string[];
  /** PATH on the host, for the "not found" message. */
  hostPath: string;
  /** `path` given: whether it exists, and whether it is a folder. */
  pathExists?: boolean;
  pathIsDir?: boolean;
  /** `npm list --json --long` stdout (undefined when it did not run: no folder yet). */
  list?: string;
  /** `npm outdated …` stdout (state latest). */
  outdated?: string;
}

export type NpmOp = { op: "mkdir" } | { op: "install" } | { op: "update" } | { op: "uninstall" } | { op: "ci" };

export default defineModule<NpmArgs, NpmState, NpmOp>({
  name: "packages.npm",
  aliases: ["npm", "community.general.npm"],
  description:
    "Ensure node.js packages are installed (at a version or the newest) or removed with npm, globally or in a project folder (its package.json), or run npm ci; decided by npm list/outdated as community.general.npm decides.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      name: { type: "string", minLength: 1, description: "The package to install or remove. Without it, the dependencies of path's package.json." },
      path: { type: "string", minLength: 1, description: "The project folder to install into (created when missing). Required unless global." },
      version: { type: ["string", "number"], description: "The version to install (NAME@VERSION); a range (^1.0) is reinstalled on every run, as in Ansible." },
      global: { type: "boolean", default: false, description: "Install globally (npm --global)." },
      executable: {
        type: "string",
        minLength: 1,
        description: "The npm to run (split on spaces, as Ansible does), e.g. a version manager's npm. Default: npm on PATH.",
      },
      ignore_scripts: { type: "boolean", default: false, description: "Pass --ignore-scripts." },
      unsafe_perm: { type: "boolean", default: false, description: "Pass --unsafe-perm." },
      ci: { type: "boolean", default: false, description: "Run `npm ci` (install from package-lock.json); changed on every run, as in Ansible." },
      production: { type: "boolean", default: false, description: "Pass --production to install/update/ci (no devDependencies)." },
      registry: { type: "string", minLength: 1, description: "The registry to install from (--registry URL)." },
      state: {
        enum: ["present", "absent", "latest"],
        default: "present",
        description: "present, latest (npm update when npm outdated lists anything), absent.",
      },
      no_optional: { type: "boolean", default: false, description: "Pass --no-optional." },
      no_bin_links: { type: "boolean", default: false, description: "Pass --no-bin-links." },
    },
  },
  resource: (a) => `npm ${a.name ?? (a.path ? `${a.path}/package.json` : "")}${a.global ? " (global)" : a.path && a.name ? ` in ${a.path}` : ""}`,

  validate(a) {
    if (!a.path && !a.global) throw new ArgError("path", "path must be specified when not using global", "path: /srv/app, or global: true");
    if ((a.state ?? "present") === "absent" && !a.name)
      throw new ArgError("name", "uninstalling a package is only available for named packages", "name: the package to remove");
    refuseLineBreaksIn(
      { ...a, version: a.version === undefined ? undefined : String(a.version) },
      ["name", "path", "version", "executable", "registry"],
      "the npm command",
    );
  },

  probe(a) {
    const state = a.state ?? "present";
    const exe = a.executable !== undefined ? a.executable.split(" ") : undefined;
    const lines = [snip.begin("npm"), snip.field("path", '"$PATH"')];
    if (exe) lines.push(`if command -v ${shq(exe[0]!)} >/dev/null 2>&1; then printf 'found=1\\n'; else printf 'found=0\\n'; fi`);
    else lines.push(snip.field("npm", '"$(command -v npm 2>/dev/null)"'));
    const cd = a.path !== undefined ? `cd ${pathWord(a.path)} && ` : "";
    if (a.path !== undefined) {
      lines.push(
        `if [ -e ${pathWord(a.path)} ]; then printf 'exists=1\\n'; if [ -d ${pathWord(a.path)} ]; then printf 'dir=1\\n'; fi; else printf 'exists=0\\n'; fi`,
      );
    }
    if (!a.ci) {
      const npmWord = exe ? exe.map((w) => shq(w)).join(" ") : '"$_keel_npm"';
      const run = (args: string[], withName: boolean) =>
        `${cd}${npmWord} ${npmArgv(a, args, withName)
          .map((w) => shq(w))
          .join(" ")}`;
      const guard = `{ [ -n ${exe ? "x" : '"$_keel_npm"'} ]${a.path !== undefined ? ` && [ -d ${pathWord(a.path)} ]` : ""}; }`;
      if (!exe) lines.push(`_keel_npm=$(command -v npm 2>/dev/null)`);
      lines.push(`if ${guard}; then`, snip.cmd("list", run(["list", "--json", "--long"], false)));
      if (state === "latest") lines.push(snip.cmd("outdated", run(["outdated"], true)));
      lines.push("fi");
    }
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const r = recs.find((x) => x.kind === "npm");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const st: NpmState = { hostPath: r.get("path") ?? "" };
        if (exe) {
          if (r.get("found") === "1") st.npm = exe;
        } else {
          const found = r.get("npm");
          if (found) st.npm = [found];
        }
        if (a.path !== undefined) {
          st.pathExists = r.get("exists") === "1";
          st.pathIsDir = r.get("dir") === "1";
        }
        const list = cmdOf(recs, "list");
        if (list) st.list = list.out;
        const outdated = cmdOf(recs, "outdated");
        if (outdated) st.outdated = outdated.out;
        return st;
      },
    };
  },

  diff(st, a) {
    const state = a.state ?? "present";
    if (!st.npm) {
      if (a.executable !== undefined) throw new ModuleError(`[Errno 2] No such file or directory: b'${a.executable.split(" ")[0]}'`);
      throw new ModuleError(`Failed to find required executable "npm" in paths: ${st.hostPath}`);
    }
    if (a.path !== undefined && st.pathExists && !st.pathIsDir) throw new ModuleError(`path ${a.path} is not a directory`);
    const where = a.global ? " (global)" : ` in ${a.path}`;
    const nv = nameVersion(a);
    const out: Change<NpmOp>[] = [];
    const mkdir = (): void => {
      if (a.path !== undefined && !st.pathExists) out.push({ summary: `create ${a.path}`, field: "path", before: null, after: a.path, data: { op: "mkdir" } });
    };
    if (a.ci) {
      mkdir();
      out.push({ summary: `npm ci${where} (Ansible runs it, changed, on every run)`, field: "packages", data: { op: "ci" } });
      return out;
    }
    const { installed, missing } = npmList(st.list ?? "{}", a);
    if (state === "absent") {
      if (a.name !== undefined && installed.includes(a.name))
        out.push({ summary: `remove ${a.name}${where}`, field: "packages", before: a.name, after: null, data: { op: "uninstall" } });
      return out;
    }
    if (missing.length) {
      mkdir();
      const what = nv ?? `the dependencies of ${a.path}/package.json (missing: ${missing.filter((m) => m !== null).join(", ") || "none listed"})`;
      out.push({ summary: `install ${what}${where}`, field: "packages", before: missing, after: nv ?? "package.json", data: { op: "install" } });
    }
    if (state === "latest" && outdatedList(st.outdated ?? "").length) {
      out.push({
        summary: `update ${nv ?? "dependencies"}${where} (npm outdated: ${outdatedList(st.outdated ?? "").join(", ")})`,
        field: "packages",
        data: { op: "update" },
      });
    }
    return out;
  },

  explain(_st, a) {
    const state = a.state ?? "present";
    const what = nameVersion(a) ?? `dependencies of ${a.path}/package.json`;
    const where = a.global ? " (global)" : ` in ${a.path}`;
    if (state === "absent") return `${a.name} not installed${where}`;
    return `${what} installed${where}${state === "latest" ? ", npm outdated lists nothing" : ""}`;
  },

  async apply(host, a, changes, st) {
    const npm = st.npm!;
    let stdout = "";
    let stderr = "";
    for (const c of changes) {
      const op = c.data!.op;
      if (op === "mkdir") {
        await host.run(`mkdir -p ${pathWord(a.path!)}`);
        continue;
      }
      const argv = [...npm, ...npmArgv(a, [op], true)];
      const cd = a.path !== undefined ? `cd ${pathWord(a.path)} && ` : "";
      const r = await host.run(`${cd}${argv.map((w) => shq(w)).join(" ")}`, { check: false });
      stdout += r.stdout;
      stderr += r.stderr;
      // AnsibleModule.run_command(check_rc=True): the task fails with stderr as msg, the command registered.
      if (r.rc !== 0) {
        const msg = r.stderr.trimEnd();
        return { failed: msg, msg, rc: r.rc, stdout: r.stdout, stderr: r.stderr, data: { cmd: argv.join(" ") } };
      }
    }
    return { stdout, stderr };
  },
});

/** NAME@VERSION (not for absent), NAME, or undefined: Ansible's name_version. */
export function nameVersion(a: NpmArgs): string | undefined {
  if (a.name === undefined) return undefined;
  return a.version !== undefined && a.version !== "" && (a.state ?? "present") !== "absent" ? `${a.name}@${String(a.version)}` : a.name;
}

/** The arguments after npm, in Ansible's order (Npm._exec). */
export function npmArgv(a: NpmArgs, args: string[], addName: boolean): string[] {
  const cmd = [...args];
  if (a.global) cmd.push("--global");
  if (a.production && (cmd.includes("install") || cmd.includes("update") || cmd.includes("ci"))) cmd.push("--production");
  if (a.ignore_scripts) cmd.push("--ignore-scripts");
  if (a.unsafe_perm) cmd.push("--unsafe-perm");
  const nv = nameVersion(a);
  if (nv && addName) cmd.push(nv);
  if (a.registry) cmd.push("--registry", a.registry);
  if (a.no_optional) cmd.push("--no-optional");
  if (a.no_bin_links) cmd.push("--no-bin-links");
  return cmd;
}

/** Ansible's Npm.list: installed names (NAME and NAME@VERSION) and missing ones (null: package.json's). */
export function npmList(json: string, a: NpmArgs): { installed: string[]; missing: (string | null)[] } {
  let data: unknown;
  try {
    data = JSON.parse(json.trim() === "" ? "{}" : json);
  } catch (e) {
    throw new ModuleError(`Failed to parse NPM output with error ${(e as Error).message}`);
  }
  const installed: string[] = [];
  const missing: (string | null)[] = [];
  const deps = data !== null && typeof data === "object" ? (data as { dependencies?: unknown }).dependencies : undefined;
  if (deps !== undefined && deps !== null && typeof deps === "object") {
    for (const [dep, props] of Object.entries(deps as Record<string, Record<string, unknown> | null>)) {
      if (props?.missing || props?.invalid) missing.push(dep);
      else {
        installed.push(dep);
        if (props?.version) installed.push(`${dep}@${String(props.version)}`);
      }
    }
    const nv = nameVersion(a);
    if (nv && !installed.includes(nv)) missing.push(a.name!);
  } else missing.push(a.name ?? null);
  return { installed, missing };
}

/** Ansible's list_outdated: the first word (before a space or @) of every non-empty line. */
export function outdatedList(out: string): string[] {
  return out
    .split(/\r?\n/)
    .filter((l) => l !== "")
    .map((l) => l.split(/\s|@/)[0]!);
}
