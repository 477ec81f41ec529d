// files.copy — Ansible's `copy`: a file's whole content (given inline, or read from the playbook's
// files/ folder on the controller), mode, owner and group. Compared by sha256 on the host; nothing
// is uploaded when it already matches. A controller folder as src is copied recursively, as
// Ansible's copy action does (copy-walk.ts walks it, copy-tree.ts probes, diffs and applies it).
import { statSync } from "node:fs";
import { defineModule, folderEntries, type Change } from "../../engine/core/module.js";
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
} from "./common.js";
import { contentApply, contentDiff, contentExplain, contentProbe, type ContentArgs, type ContentOp, type ContentState } from "./content.js";
import { contentApplied, contentResult } from "./content-result.js";
import { prepareTree, type CopyTree } from "./copy-walk.js";
import { treeApply, treeDiff, treeExplain, treeProbe, treeResult, type TreeArgs, type TreeOp, type TreeState } from "./copy-tree.js";

type CopyArgs = ContentArgs & { tree?: CopyTree };
type CopyState = ContentState | TreeState;
const isTree = (a: CopyArgs): a is TreeArgs => a.tree !== undefined;
const treeState = (st: CopyState) => st as TreeState;
const fileState = (st: CopyState) => st as ContentState;

export default defineModule<CopyArgs, CopyState, ContentOp | TreeOp>({
  name: "files.copy",
  aliases: ["copy"],
  description:
    "Ensure a file has the given content (inline, or a file from the playbook's files/ folder), mode, owner and group; a folder src is copied recursively, as Ansible.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      dest: {
        type: "string",
        minLength: 1,
        description:
          "Path of the file on the host. With src, a directory (or a path ending in /) receives the file under src's name. With a folder src, the directory the folder (src: dir) or its contents (src: dir/) go in.",
      },
      content: { type: "string", description: "The file's content, inline. Exactly one of content and src." },
      src: {
        type: "string",
        minLength: 1,
        description:
          "A file or folder on the controller, looked up in the role's then the playbook's files/ folder (or an absolute path). A folder is copied recursively, as Ansible: `dir/` copies its contents into dest, `dir` the folder itself (dest/dir/…). Exactly one of content and src.",
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
          "Replace the content of a file that exists and differs. false only creates missing files: an existing one is left alone, its mode, owner and group too, as Ansible does. Default true.",
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
          "src is a file on the host (not the controller), copied there; compared by sha256 on the host, and dest gets src's modification time, as in Ansible. keel copies one host file: a directory src with remote_src fails (a controller folder is copied recursively).",
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
          "Mode of the directories created when dest ends in / and does not exist yet (Ansible creates them; without directory_mode they get 0755 under the default umask). With a folder src, also set on every existing sub-folder it copies, as Ansible; never the mode of files.",
      },
      local_follow: {
        type: "boolean",
        default: true,
        description:
          "Follow symlinks in a controller src folder (default true, as Ansible): a link to a file is copied as that file, a link to a folder as that folder; false (and a dangling link, or one back into the copy) copies the link itself. No effect for a file src, whose link is always followed.",
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
        `copy: src '${args.src}' with remote_src names a directory on the host; keel's copy with remote_src copies one host file (a controller folder is copied recursively)`,
        undefined,
        "copy each file with its own task, or copy the folder from the controller",
      );
    if (args.directory_mode !== undefined) parseMode(args.directory_mode);
    if (args.content !== undefined && args.dest.endsWith("/"))
      throw new InputError("copy: can not use content with a dir as dest", undefined, "name the file in dest");
  },

  prepare(args, ctx) {
    if (args.src === undefined || args.remote_src) return args;
    const found = ctx.findLocal?.("files", args.src);
    if (found !== undefined && statSync(found).isDirectory()) return { ...args, tree: prepareTree(args, found, ctx) };
    const bytes = ctx.readLocal("files", args.src, { decrypt: args.decrypt !== false });
    const text = decodeUtf8(bytes);
    return text !== undefined
      ? { ...args, content: text, content_encoding: "utf8" }
      : { ...args, content: bytes.toString("base64"), content_encoding: "base64" };
  },
  probe: (args) => (isTree(args) ? treeProbe(args) : contentProbe(args)),
  diff: (state, args) => (isTree(args) ? treeDiff(treeState(state), args) : contentDiff(fileState(state), args, "copy")),
  explain: (state, args) => (isTree(args) ? treeExplain(treeState(state), args) : contentExplain(fileState(state), args)),
  // ansible.builtin.copy's register keys (content-result.ts, copy-tree.ts); after a write, one stat of the file
  result: (state, args) => (isTree(args) ? treeResult(treeState(state), args) : contentResult(fileState(state), args)),
  apply: async (host, args, changes, state) =>
    isTree(args)
      ? treeApply(host, args, changes as Change<TreeOp>[], treeState(state))
      : contentApplied(host, fileState(state), args, await contentApply(host, args, changes as Change<ContentOp>[], fileState(state))),
});
