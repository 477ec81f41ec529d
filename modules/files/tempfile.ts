// files.tempfile — ansible.builtin.tempfile: create a new temporary file (mode 0600) or directory
// (0700) on the host, named prefix + random + suffix, in `path` or the host's temporary folder, and
// register its `path` with the file fields Ansible's exit_json adds for a path (state, mode, owner,
// group, uid, gid, size).
// There is no desired state to converge to: every run creates a new one (Ansible: changed=true).
// Ansible's tempfile does not support check mode (the task is skipped); keel's check mode and drift
// report it as "unknown" (a name that only exists once made), never as drift.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";

export interface TempfileArgs {
  state?: "file" | "directory";
  path?: string;
  prefix?: string;
  suffix?: string;
}

type TempfileOp = { op: "create" };

export default defineModule<TempfileArgs, Record<string, never>, TempfileOp>({
  name: "files.tempfile",
  aliases: ["tempfile"],
  description:
    "Create a new temporary file (0600) or directory (0700) on the host, named prefix + random characters + suffix, and register its path (Ansible's tempfile). Changed on every run; unknown in check mode and drift.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      state: { enum: ["file", "directory"], default: "file", description: "Whether to create a file or a directory." },
      path: {
        type: "string",
        minLength: 1,
        description: "The folder to create it in (it must exist). Default: the host's TMPDIR, else /tmp, as Python's tempfile on the host chooses.",
      },
      prefix: { type: "string", default: "ansible.", description: "The start of the name. Default `ansible.`, as in Ansible." },
      suffix: { type: "string", default: "", description: "The end of the name." },
    },
  },

  validate(a) {
    for (const k of ["prefix", "suffix"] as const) {
      const v = a[k];
      if (v !== undefined && /[/\n\r\0]/.test(v)) throw new ArgError(k, `${k} must not hold '/', a line break or NUL`, "put the folder in path:");
    }
    if (a.path !== undefined && /[\n\r\0]/.test(a.path)) throw new ArgError("path", "path must not hold a line break or NUL");
  },

  resource(a) {
    return `temporary ${a.state ?? "file"} in ${a.path ?? "$TMPDIR"}`;
  },

  probe() {
    return { script: "true", parse: () => ({}) };
  },

  diff(_s, a) {
    const where = a.path ?? "the host's temporary folder";
    return [
      { summary: `create a temporary ${a.state ?? "file"} in ${where}`, field: "state", after: a.state ?? "file", unknown: true, data: { op: "create" } },
    ];
  },

  async apply(host, a) {
    const r = await host.run(tempfileCommand(a), { check: false });
    const out = r.stdout.split("\n");
    const path = out[0] ?? "";
    if (r.rc !== 0 || !path.startsWith("/"))
      throw new ModuleError(`tempfile: could not create a temporary ${a.state ?? "file"}: ${r.stderr.trim() || r.stdout.trim()}`);
    return { data: { path, ...pathInfo(out[1] ?? "") } };
  },
});

/**
 * mktemp with Python's shape: prefix + 8 random characters + suffix (GNU mktemp's --suffix, since
 * the X's must end the template), then `stat` of the result for the registered file fields.
 */
export function tempfileCommand(a: TempfileArgs): string {
  const dir = a.path !== undefined ? shq(a.path) : '"${TMPDIR:-/tmp}"';
  const suffix = a.suffix ? ` --suffix=${shq(a.suffix)}` : "";
  const tmpl = shq(`${a.prefix ?? "ansible."}XXXXXXXX`);
  return [
    `_kt=$(mktemp${a.state === "directory" ? " -d" : ""} -p ${dir}${suffix} ${tmpl}) || exit 1`,
    `printf '%s\\n' "$_kt"`,
    `stat -c '%u %g %a %s %U %G %F' -- "$_kt"`,
  ].join("\n");
}

/** The file fields Ansible's add_path_info registers, from `stat -c '%u %g %a %s %U %G %F'`. */
export function pathInfo(line: string): Record<string, unknown> {
  const m = /^(\d+) (\d+) ([0-7]+) (\d+) (\S+) (\S+) (.+)$/.exec(line.trim());
  if (!m) return {};
  const [, uid, gid, mode, size, owner, group, type] = m as unknown as string[];
  return {
    uid: Number(uid),
    gid: Number(gid),
    owner,
    group,
    mode: mode!.padStart(4, "0"),
    size: Number(size),
    state: type === "directory" ? "directory" : "file",
  };
}
