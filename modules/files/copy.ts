// files.copy — Ansible's `copy`: a file's whole content (given inline, or read from the playbook's
// files/ folder on the controller), mode, owner and group. Compared by sha256 on the host; nothing
// is uploaded when it already matches.
import { defineModule, folderEntries } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  validateFsAttrs,
  BACKUP_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  VALIDATE_SCHEMA,
  decodeUtf8,
  parseMode,
  type FileStat,
} from "./common.js";
import { contentApply, contentDiff, contentExplain, contentProbe, type ContentArgs, type ContentOp } from "./content.js";
import { contentApplied, contentResult } from "./content-result.js";

export default defineModule<ContentArgs, FileStat, ContentOp>({
  name: "files.copy",
  aliases: ["copy"],
  description: "Ensure a file has the given content (inline, or a file from the playbook's files/ folder), mode, owner and group.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      dest: {
        type: "string",
        minLength: 1,
        description: "Path of the file on the host. With src, a directory (or a path ending in /) receives the file under src's name.",
      },
      content: { type: "string", description: "The file's content, inline. Exactly one of content and src." },
      src: {
        type: "string",
        minLength: 1,
        description:
          "A file on the controller, looked up in the role's then the playbook's files/ folder (or an absolute path). Exactly one of content and src.",
      },
      content_encoding: {
        type: "string",
        enum: ["utf8", "base64"],
        default: "utf8",
        description: "How content is encoded: utf8 text (default) or base64 for binary data. keel sets base64 itself when src is not UTF-8 text.",
      },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
      backup: BACKUP_SCHEMA,
      validate: VALIDATE_SCHEMA,
      force: {
        type: "boolean",
        default: true,
        description:
          "Replace the content of a file that exists and differs. false only creates missing files (mode, owner and group are still enforced). Default true.",
      },
      follow: {
        type: "boolean",
        default: false,
        description: "When dest is a symlink, write the file it points to instead of replacing the link. Default false.",
      },
      decrypt: {
        type: "boolean",
        default: true,
        description:
          "A src encrypted with ansible-vault is decrypted with the run's vault password and its plaintext written (and masked in every output), as in Ansible. false copies the file as it is.",
      },
      remote_src: {
        type: "boolean",
        default: false,
        description:
          "src is a file on the host (not the controller), copied there; compared by sha256 on the host, and dest gets src's modification time, as in Ansible. keel copies one file: a directory src fails.",
      },
      checksum: {
        type: "string",
        pattern: "^[0-9a-fA-F]{40}$",
        description:
          "The SHA1 the copied content must have; the task fails when it differs (checked when the file is written, and on every run with remote_src, as Ansible does).",
      },
      directory_mode: {
        anyOf: [{ type: "string" }, { type: "integer" }],
        description:
          "Mode of the directories created when dest ends in / and does not exist yet (Ansible creates them; without directory_mode they get 0755 under the default umask).",
      },
      local_follow: {
        type: "boolean",
        default: true,
        description:
          "Follow symlinks in a controller src directory. keel copies single files, whose src link is always followed: as in Ansible, no effect for a file src.",
      },
      parents: {
        type: "boolean",
        default: false,
        description: "Create dest's missing parent directories (mode 0755) with the file, instead of failing. Default false (as Ansible).",
      },
    },
    required: ["dest"],
    anyOf: [{ required: ["content"] }, { required: ["src"] }],
  },
  resource: (a) => `file ${a.dest}`,
  // follow writes wherever the link points; owner and group names come from the accounts
  // the probe checks the parent folders; parents: true creates them
  footprint: (a) => ({
    reads: [`file:${a.dest}`, ...folderEntries(a.dest), "accounts"],
    writes: [a.follow ? "file:/" : `file:${a.dest}`, ...(a.parents ? folderEntries(a.dest) : [])],
  }),

  validate(args) {
    validateFsAttrs(args);
    if (args.content !== undefined && args.src !== undefined) {
      throw new InputError("copy takes content or src, not both", undefined, "remove one of content: and src:");
    }
    if (args.remote_src && args.src === undefined)
      throw new InputError("copy: remote_src needs src (a file on the host)", undefined, "add src: /path/on/the/host");
    if (args.remote_src && args.src!.endsWith("/"))
      throw new InputError(
        `copy: src '${args.src}' with remote_src names a directory; keel's copy copies one file`,
        undefined,
        "copy each file with its own task",
      );
    if (args.directory_mode !== undefined) parseMode(args.directory_mode);
    if (args.content !== undefined && args.dest.endsWith("/"))
      throw new InputError("copy: can not use content with a dir as dest", undefined, "name the file in dest");
  },

  prepare(args, ctx) {
    if (args.src === undefined || args.remote_src) return args;
    const bytes = ctx.readLocal("files", args.src, { decrypt: args.decrypt !== false });
    const text = decodeUtf8(bytes);
    return text !== undefined
      ? { ...args, content: text, content_encoding: "utf8" }
      : { ...args, content: bytes.toString("base64"), content_encoding: "base64" };
  },
  probe: (args) => contentProbe(args),
  diff: (state, args) => contentDiff(state, args, "copy"),
  explain: (state, args) => contentExplain(state, args),
  // ansible.builtin.copy's register keys (content-result.ts); after a write, one stat of the file
  result: (state, args) => contentResult(state, args),
  apply: async (host, args, changes, state) => contentApplied(host, state, args, await contentApply(host, args, changes, state)),
});
