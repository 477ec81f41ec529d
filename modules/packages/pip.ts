// packages.pip — ansible.builtin.pip: Python packages installed with pip on the host, system-wide
// or in a virtualenv that the task creates when it is missing. As Ansible:
//   - names take version specifiers ("django>=4,<5", "x==1.0"), `version` adds one to a single name;
//     names are recovered and normalised by the host's setuptools exactly as Ansible's module does;
//   - pip is the virtualenv's bin/pip3 (or pip), `executable`, or `python3 -m pip` (pip3 otherwise);
//   - state present/latest/forcereinstall run `pip install [-U] [--force-reinstall] [extra_args]
//     names|-r requirements`, absent `pip uninstall -y`; the task's changed is pip's own
//     ("Successfully installed"/"Successfully uninstalled"), or the virtualenv was created.
// keel predicts before acting (check mode exact, drift): the probe lists what is installed
// (`pip list --format=freeze`) and asks pip's resolver what `pip install` would install
// (`--dry-run --report`, nothing written), so a missing dependency, an upgrade for state latest
// and a requirements file are known in advance. VCS and editable installs cannot be predicted:
// they are "unknown" in check mode, as a command is.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { shq } from "../../engine/core/shell.js";
import { PIP_PROBE_PY, type PipProbeOut } from "./pip-host.js";

export interface PipArgs {
  name?: string | string[];
  version?: string;
  requirements?: string;
  state?: "present" | "latest" | "absent" | "forcereinstall";
  virtualenv?: string;
  virtualenv_command?: string;
  virtualenv_python?: string;
  virtualenv_site_packages?: boolean;
  extra_args?: string;
  break_system_packages?: boolean;
  editable?: boolean;
  chdir?: string;
  executable?: string;
  umask?: string | number;
}

export type PipState = PipProbeOut & { python: boolean };

/** apply's plan: the virtualenv is created before pip runs in it (every change runs the one pip command). */
export type PipOp = { op: "create_venv" };

export default defineModule<PipArgs, PipState, PipOp>({
  name: "packages.pip",
  aliases: ["pip"],
  description:
    "Ensure Python packages are installed (at a version or the newest), reinstalled or removed with pip on the host, system-wide or in a virtualenv created when missing, as Ansible's pip module.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      name: {
        oneOf: [
          { type: "string", minLength: 1 },
          { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
        ],
        description: "Package name(s), with optional version specifiers (`django>=4,<5`), or VCS URLs (git+https://…).",
      },
      version: {
        type: "string",
        description:
          "The version for a single `name` (1.2.3 means ==1.2.3; '>=1.2' a specifier). An empty one adds none, as in Ansible (a role's `version: \"{{ v | default(omit) }}\"` with v: '').",
      },
      requirements: { type: "string", minLength: 1, description: "A requirements file on the host (relative to chdir). Not with `name`." },
      state: {
        enum: ["present", "latest", "absent", "forcereinstall"],
        default: "present",
        description: "present, latest (pip install -U), absent, forcereinstall.",
      },
      virtualenv: { type: "string", minLength: 1, description: "A virtualenv folder to install into; created with virtualenv_command when missing." },
      virtualenv_command: {
        type: "string",
        minLength: 1,
        default: "virtualenv",
        description: "The command that creates the virtualenv (`python3 -m venv`, `virtualenv`, a path). Default virtualenv.",
      },
      virtualenv_python: { type: "string", minLength: 1, description: "The python for `virtualenv -p` (not with venv/pyvenv)." },
      virtualenv_site_packages: { type: "boolean", default: false, description: "Create the virtualenv with --system-site-packages." },
      extra_args: { type: "string", description: "Extra arguments for pip (--index-url URL, --no-index --find-links DIR…)." },
      editable: { type: "boolean", default: false, description: "Pass -e (editable install, for VCS URLs)." },
      chdir: { type: "string", pattern: "^/", description: "Run pip in this folder (default /tmp); a relative virtualenv is below it." },
      executable: { type: "string", minLength: 1, description: "The pip to run (pip3, /opt/py/bin/pip). Not with virtualenv." },
      umask: { type: ["string", "integer"], description: "The umask pip runs with (octal, e.g. 0022)." },
      break_system_packages: {
        type: "boolean",
        default: false,
        description:
          "Let pip install into a Python the OS manages (PEP 668, Debian 12's EXTERNALLY-MANAGED): pip runs with PIP_BREAK_SYSTEM_PACKAGES=1, as Ansible sets it (ansible-core 2.17), in the probe's dry run too.",
      },
    },
  },
  resource: (a) => `pip ${a.name !== undefined ? names(a).join(", ") : `-r ${a.requirements}`}${a.virtualenv ? ` in ${a.virtualenv}` : ""}`,

  validate(a) {
    if (a.name === undefined && a.requirements === undefined) throw new ArgError("name", "one of the following is required: name, requirements", "name: flask");
    if (a.name !== undefined && a.requirements !== undefined)
      throw new ArgError("requirements", "parameters are mutually exclusive: name|requirements", "keep name or requirements");
    if (a.executable !== undefined && a.virtualenv !== undefined)
      throw new ArgError("executable", "parameters are mutually exclusive: executable|virtualenv", "the virtualenv's own pip is used");
    if (a.state === "latest" && a.version !== undefined)
      throw new ArgError("version", "version is incompatible with state=latest", "drop version, or use state: present");
    if (a.umask !== undefined && !/^[0-7]+$/.test(String(a.umask))) throw new ArgError("umask", "umask must be an octal integer", "umask: '0022'");
    refuseLineBreaksIn(
      a,
      ["version", "requirements", "virtualenv", "virtualenv_command", "virtualenv_python", "extra_args", "chdir", "executable"],
      "the pip command",
    );
    for (const n of names(a)) if (/[\r\n\0]/.test(n)) throw new ArgError("name", `invalid package name ${JSON.stringify(n)}`, "one package a line");
  },

  probe(a) {
    const spec = {
      name: a.name === undefined ? null : names(a),
      version: a.version ?? null,
      requirements: a.requirements ?? null,
      state: a.state ?? "present",
      virtualenv: a.virtualenv ?? null,
      virtualenv_command: a.virtualenv_command ?? null,
      virtualenv_python: a.virtualenv_python ?? null,
      virtualenv_site_packages: a.virtualenv_site_packages ?? false,
      chdir: a.chdir ?? null,
      executable: a.executable ?? null,
      extra_args: a.extra_args ?? null,
      editable: a.editable ?? false,
    };
    return {
      script: `if command -v python3 >/dev/null 2>&1; then ${breakEnv(a)}python3 -c ${shq(PIP_PROBE_PY)} ${shq(JSON.stringify(spec))}; else printf '@pip\\nnopython=1\\n'; fi`,
      parse(stdout) {
        const r = findRec(parseRecords(stdout), "pip");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 300))}`);
        if (r.get("nopython") === "1") return { python: false, env: null, venv: false, pip: null, packages: [], present: [], listed: {}, vcs: false };
        return { python: true, ...(JSON.parse(r.get("json") ?? "{}") as PipProbeOut) };
      },
    };
  },

  diff(st, a) {
    if (!st.python) throw new ModuleError("pip needs python3 on the host (Ansible's pip module runs there too)");
    if (st.error) throw new ModuleError(st.error);
    const state = a.state ?? "present";
    const out: Change<PipOp>[] = [];
    const where = st.env ? ` in ${st.env}` : "";
    if (st.env && !st.venv) {
      out.push({
        summary: `virtualenv ${st.env} missing, to create with ${a.virtualenv_command ?? "virtualenv"}`,
        field: "virtualenv",
        before: null,
        after: st.env,
        data: { op: "create_venv" },
      });
      // Everything is installed into the new virtualenv (nothing to uninstall from it).
      if (state !== "absent") out.push({ summary: `install ${what(st, a)}${where}`, field: "packages", before: null, after: what(st, a) });
      return out;
    }
    if (state === "absent") {
      st.packages.forEach((p, i) => {
        if (st.present[i]) out.push({ summary: `remove ${p}${where} (${listedVersion(st, p)} installed)`, field: "packages", before: p, after: null });
      });
      return out;
    }
    if (st.vcs || a.editable) return [{ summary: `pip install ${what(st, a)}${where} (VCS/editable: pip decides)`, field: "packages", unknown: true }];
    if (state === "forcereinstall") return [{ summary: `reinstall ${what(st, a)}${where}`, field: "packages", after: what(st, a) }];
    if (st.reportErr !== undefined && !/no such option/i.test(st.reportErr)) throw new ModuleError(`pip install would fail: ${st.reportErr}`);
    if (st.report === undefined) {
      // A pip without --dry-run --report: Ansible's own check-mode rule.
      if (a.extra_args || a.requirements || state === "latest")
        return [{ summary: `pip install ${what(st, a)}${where} (this pip cannot dry-run)`, field: "packages", unknown: true }];
      st.packages.forEach((p, i) => {
        if (!st.present[i]) out.push({ summary: `install ${p}${where}`, field: "packages", before: null, after: p });
      });
      return out;
    }
    for (const r of st.report) {
      const have = st.listed[canon(r.name)];
      out.push({
        summary: have === undefined ? `install ${r.name} ${r.version}${where}` : `upgrade ${r.name} ${have} → ${r.version}${where}`,
        field: "packages",
        before: have === undefined ? null : `${r.name} ${have}`,
        after: `${r.name} ${r.version}`,
      });
    }
    return out;
  },

  explain(st, a) {
    const state = a.state ?? "present";
    const where = st.env ? ` in ${st.env}` : "";
    if (state === "absent") return `${st.packages.join(", ")} not installed${where}`;
    const have = st.packages.map((p) => `${p} (${listedVersion(st, p)})`).join(", ");
    return `${a.requirements ? `requirements ${a.requirements} satisfied` : `${have} installed`}${where}${state === "latest" ? ", pip finds nothing newer" : ""}`;
  },

  async apply(host, a, changes, st) {
    const state = a.state ?? "present";
    const cwd = a.chdir ?? "/tmp";
    const umask = a.umask !== undefined ? `umask ${String(a.umask)}; ` : "";
    let out = "";
    let err = "";
    let created = false;
    let pip = st.pip;
    if (changes.some((c) => c.data?.op === "create_venv")) {
      const cmd = (st.venvCmd ?? []).map((w) => shq(w)).join(" ");
      const r = await host.run(`${umask}cd ${shq(cwd)} && ${cmd}`, { check: false });
      out += r.stdout;
      err += r.stderr;
      if (r.rc !== 0) return fail(cmd, out, err);
      created = true;
      const found = await host.run(`for b in pip3 pip; do if [ -x ${shq(`${st.env}/bin`)}/$b ]; then printf '%s' ${shq(`${st.env}/bin/`)}$b; break; fi; done`);
      if (!found.stdout)
        throw new ModuleError(
          `Unable to find pip in the virtualenv, ${st.env}, under any of these names: pip3, pip. Make sure pip is present in the virtualenv.`,
        );
      pip = [found.stdout];
    }
    if (!pip) throw new ModuleError("Unable to find any of pip3 to use.  pip needs to be installed.");
    const argv = [...pip, ...(st.tail ?? [])];
    const path = st.env ? `PATH=${shq(`${st.env}/bin`)}:"$PATH" ` : "";
    const cmd = argv.map((w) => shq(w)).join(" ");
    const r = await host.run(`${umask}cd ${shq(cwd)} && ${breakEnv(a)}${path}${cmd}`, { check: false });
    out += r.stdout;
    err += r.stderr;
    const notInstalled = state === "absent" && r.rc === 1 && /not installed/.test(r.stdout + r.stderr);
    if (r.rc !== 0 && !notInstalled) return fail(argv.join(" "), out, err);
    const changed = (state === "absent" ? /Successfully uninstalled/.test(r.stdout) : /Successfully installed/.test(r.stdout)) || created;
    return {
      changed,
      stdout: out,
      stderr: err,
      data: {
        cmd: argv,
        name: a.name === undefined ? null : names(a),
        version: a.version ?? null,
        state,
        requirements: a.requirements ?? null,
        virtualenv: st.env,
      },
    };
  },
});

/** Ansible's _fail: the task fails with pip's output as msg and the command registered. */
function fail(cmd: string, out: string, err: string): { failed: string; msg: string; stdout: string; stderr: string; data: Record<string, unknown> } {
  let msg = out ? `stdout: ${out}` : "";
  if (err) msg += `\n:stderr: ${err}`;
  return { failed: msg, msg, stdout: out, stderr: err, data: { cmd } };
}

function names(a: PipArgs): string[] {
  return a.name === undefined ? [] : Array.isArray(a.name) ? a.name : [a.name];
}

function what(st: PipState, a: PipArgs): string {
  return a.name !== undefined ? st.packages.join(" ") : `-r ${a.requirements}`;
}

function canon(n: string): string {
  return n.replace(/[-_.]+/g, "-").toLowerCase();
}

/** The installed version of a requirement string's project ("Flask>=2" → listed flask). */
function listedVersion(st: PipState, req: string): string {
  const name = canon(/^[A-Za-z0-9._-]+/.exec(req)?.[0] ?? req);
  return st.listed[name] ?? "none";
}

/** Ansible's break_system_packages: an environment variable rather than --break-system-packages, which pip <= 23.0 refuses. */
function breakEnv(a: PipArgs): string {
  return a.break_system_packages ? "PIP_BREAK_SYSTEM_PACKAGES=1 " : "";
}
