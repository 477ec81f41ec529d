// files.unarchive — Ansible's `unarchive`: extract a tar (plain, gz, bz2, xz) or zip archive into an
// existing directory, judged as Ansible judges it. The probe runs the same host tools Ansible's
// module runs (GNU tar --list/--diff; unzip -Z for zip, whose members it compares by type, mtime,
// size, content, mode and owner), and the pure diff applies Ansible's rules to their output
// (modules/files/archive.ts). A local `src` is read on the controller and travels inside the probe
// (base64, into a temporary file removed at once) and on apply's stdin, as Ansible's action plugin
// uploads it on every run.
import { defineModule, folderEntries, type Change } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { FS_ATTR_SCHEMAS, GROUP_SCHEMA, MODE_SCHEMA, OWNER_SCHEMA, parseMode, validateFsAttrs, wantsFsAttrs } from "./common.js";
import { fsAttrNote } from "../../engine/core/fsattrs.js";
import { HANDLERS, archiveProbe, attrCommands as memberAttrCommands, judge, parseArchiveProbe, type ArchiveState, type UnarchiveArgs } from "./archive.js";

/** A local archive travels inside the probe script; sudo bounds a script's size (MAX_BECOME_SCRIPT). */
const MAX_LOCAL_ARCHIVE = 1024 * 1024;

/**
 * The plan diff hands to apply: extract the archive (Ansible then sets mode/owner/group on every
 * member), or only set mode/owner/group on the members whose attributes differ.
 */
export type UnarchiveOp = { op: "extract" } | { op: "attrs" };

const list = (description: string) => ({ type: "array", items: { type: "string" }, default: [], description });

export default defineModule<UnarchiveArgs, ArchiveState, UnarchiveOp>({
  name: "files.unarchive",
  aliases: ["unarchive"],
  description:
    "Ensure an archive (tar, tar.gz, tar.bz2, tar.xz, zip) from the controller or the host is extracted into an existing directory, judged as Ansible's unarchive judges it (tar --diff, zip members compared by mtime, size, content, mode and owner).",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      src: {
        type: "string",
        minLength: 1,
        description:
          "The archive: a file on the controller (the role's then the playbook's files/ folder, or an absolute path; at most 1 MiB), or with remote_src a path on the host.",
      },
      dest: { type: "string", minLength: 1, description: "Existing directory on the host to extract into (Ansible's error when it is not a directory)." },
      remote_src: { type: "boolean", default: false, description: "src is already on the host. Default false." },
      copy: { type: "boolean", description: "Deprecated inverse of remote_src (copy: false is remote_src: true), as Ansible." },
      creates: { type: "string", minLength: 1, description: "A path on the host; when it exists the task does nothing (Ansible: skipped, since it exists)." },
      list_files: { type: "boolean", default: false, description: "Return the archive's members in the registered result's `files`. Default false." },
      keep_newer: {
        type: "boolean",
        default: false,
        description: "Do not replace files that are newer than the archive's (tar --keep-newer-files). Default false.",
      },
      exclude: list("Members (fnmatch patterns) not extracted nor compared. Not with include."),
      include: list("Only these members are extracted and compared. Not with exclude."),
      extra_opts: list("Extra options for tar or unzip (e.g. --strip-components=1), passed as Ansible passes them."),
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      validate_certs: {
        type: "boolean",
        default: true,
        description: "Accepted for Ansible compatibility; keel does not download src URLs (a src with :// is refused).",
      },
      unsafe_writes: {
        type: "boolean",
        default: false,
        description: "Accepted for Ansible compatibility, with no effect there either: tar and unzip write the members themselves.",
      },
      io_buffer_size: { type: "integer", minimum: 1, description: "Accepted for Ansible compatibility (its CRC buffer); keel compares contents with cmp." },
      decrypt: {
        type: "boolean",
        default: true,
        description:
          "A local src encrypted with ansible-vault is decrypted with the run's vault password before it is sent, as in Ansible; false sends it as it is.",
      },
    },
    required: ["src", "dest"],
  },
  resource: (a) => `archive ${a.src} in ${a.dest}`,
  footprint: (a) => ({ reads: ["*"], writes: [`file:${a.dest}`, ...folderEntries(a.dest)] }),

  validate(a) {
    validateFsAttrs(a);
    if (a.include?.length && a.exclude?.length)
      throw new InputError("parameters are mutually exclusive: include|exclude", undefined, "use include or exclude, not both");
    if (a.mode !== undefined) parseMode(a.mode);
    if (remote(a) && a.src.includes("://"))
      throw new InputError(
        `src ${a.src}: keel does not download archives in unarchive`,
        undefined,
        "download it first with get_url, then unarchive it with remote_src: true",
      );
  },

  prepare(args, ctx) {
    if (remote(args)) return args;
    const bytes = ctx.readLocal("files", args.src, { decrypt: args.decrypt !== false });
    if (bytes.length > MAX_LOCAL_ARCHIVE) {
      throw new InputError(
        `local archive ${args.src} is ${bytes.length} bytes; keel sends a local archive inside its probe, at most ${MAX_LOCAL_ARCHIVE}`,
        undefined,
        "copy it to the host first (files.copy), then unarchive it with remote_src: true",
      );
    }
    if (bytes.length === 0) throw new InputError(`Invalid archive '${args.src}', the file is 0 bytes`);
    return { ...args, archive: bytes.toString("base64") };
  },

  probe(args) {
    return { script: archiveProbe(args, remote(args)), parse: (stdout) => parseArchiveProbe(stdout) };
  },

  diff(st, args) {
    const j = judge(st, args, remote(args));
    if (j.skip) return [];
    const out: Change<UnarchiveOp>[] = [];
    if (!j.unarchived) {
      out.push({
        summary: `extract ${args.src} into ${args.dest} (${j.reasons.length} difference${j.reasons.length === 1 ? "" : "s"}, e.g. ${j.reasons.slice(0, 3).join("; ")})`,
        field: "extract",
        before: j.reasons,
        after: "extracted",
        data: { op: "extract" },
      });
    }
    if (j.attrs.length) {
      out.push({
        summary: `${wantsFsAttrs(args) ? "mode/owner/group/attributes" : "mode/owner/group"} of ${j.attrs.length} extracted path${j.attrs.length === 1 ? "" : "s"} (e.g. ${j.attrs.slice(0, 3).join("; ")})`,
        field: "attrs",
        before: j.attrs,
        data: { op: "attrs" },
      });
    }
    return out;
  },

  explain(st, args) {
    const j = judge(st, args, remote(args));
    if (j.skip) return j.skip;
    const note = st.selinux === false ? fsAttrNote({ selinux: false }, args) : undefined;
    return `${args.src} is extracted in ${args.dest} (${st.members.length} members match)${note ? ` (${note})` : ""}`;
  },

  result(st, args) {
    if (!st.handler || st.createsExists) return {};
    const j = judge(st, args, remote(args));
    return { handler: HANDLERS[st.handler].name, dest: args.dest, ...(remote(args) ? { src: args.src } : {}), ...(args.list_files ? { files: j.files } : {}) };
  },

  async apply(host, args, changes, st) {
    const j = judge(st, args, remote(args));
    const extract = changes.some((c) => c.data?.op === "extract");
    const cmds: string[] = [];
    if (extract) cmds.push(HANDLERS[st.handler!].extract(args, '"$_ks"'));
    // Ansible sets the SELinux context, mode/owner/group and attributes on every member and top
    // folder after extracting (only differing ones change).
    if (args.mode !== undefined || args.owner !== undefined || args.group !== undefined || wantsFsAttrs(args))
      cmds.push(...memberAttrCommands(args, j.files, st, extract));
    if (!cmds.length) return;
    // A local archive arrives on stdin into a private temporary file, removed whatever happens.
    let script = cmds.join(" && ");
    if (extract) script = remote(args) ? `_ks=${shq(args.src)} && ${script}` : `_ks=$(mktemp) || exit 1; trap 'rm -f "$_ks"' EXIT; cat > "$_ks" && ${script}`;
    const r = await host.run(script, extract && !remote(args) ? { stdin: Buffer.from(args.archive!, "base64"), check: false } : { check: false });
    if (r.rc !== 0) throw new ModuleError(`failed to unpack ${args.src} to ${args.dest}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  },
});

function remote(a: UnarchiveArgs): boolean {
  return a.remote_src === true || a.copy === false;
}
