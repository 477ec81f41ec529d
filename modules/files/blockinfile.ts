// files.blockinfile — Ansible's `blockinfile`: a block of lines between two marker lines, inserted,
// updated in place, or removed. The probe sends the file's text; the edit is pure.
import { defineModule, folderEntries } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  validateFsAttrs,
  withFsNote,
  BACKUP_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  VALIDATE_SCHEMA,
  attrExplain,
  quoteShort,
  type FileStat,
} from "./common.js";
import { currentText, pyRegex, splitKeep, stripEol, textApply, textChanges, textPath, textProbe, type TextArgs, type TextOp } from "./text.js";

export interface BlockArgs extends TextArgs {
  block?: string;
  content?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  state?: "present" | "absent";
  insertafter?: string;
  insertbefore?: string;
}

const DEFAULT_MARKER = "# {mark} ANSIBLE MANAGED BLOCK";

export default defineModule<BlockArgs, FileStat, TextOp>({
  name: "files.blockinfile",
  aliases: ["blockinfile"],
  argAliases: { destfile: "path" },
  description: "Ensure a block of lines, between two marker lines, is in a file (inserted or updated in place), or removed.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "The file to edit." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      name: { type: "string", minLength: 1, description: "Alias of path." },
      state: {
        type: "string",
        enum: ["present", "absent"],
        default: "present",
        description: "present: the block is in the file; absent: the block and its markers are removed. Default present.",
      },
      block: {
        type: "string",
        default: "",
        description: "The lines to have between the markers. An empty block removes the block, as state: absent does. Default empty.",
      },
      content: { type: "string", description: "Alias of block." },
      marker: {
        type: "string",
        default: DEFAULT_MARKER,
        description:
          'The marker line template; {mark} becomes marker_begin or marker_end. Use a comment syntax the file understands. Default "# {mark} ANSIBLE MANAGED BLOCK".',
      },
      marker_begin: { type: "string", default: "BEGIN", description: 'What {mark} becomes in the opening marker. Default "BEGIN".' },
      marker_end: { type: "string", default: "END", description: 'What {mark} becomes in the closing marker. Default "END".' },
      insertafter: {
        type: "string",
        description:
          "Where a new block goes: EOF (the default), or after the last line matching this regular expression (end of file if none matches). An existing block stays where it is.",
      },
      insertbefore: {
        type: "string",
        description: "Where a new block goes: BOF, or before the last line matching this regular expression (end of file if none matches).",
      },
      create: { type: "boolean", default: false, description: "Create the file when it is missing. Default false: a missing file is an error." },
      backup: BACKUP_SCHEMA,
      validate: VALIDATE_SCHEMA,
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }, { required: ["name"] }],
    not: { required: ["insertafter", "insertbefore"] },
  },
  resource: (a) => `file ${textPath(a)}`,
  footprint: (a) => ({
    reads: [`file:${textPath(a)}`, ...folderEntries(textPath(a)), "accounts"],
    writes: [`file:${textPath(a)}`, ...(a.create ? folderEntries(textPath(a)) : [])],
  }),

  validate: check,

  probe(args) {
    return textProbe(args);
  },

  diff(st, args) {
    const before = currentText(st);
    const present = (args.state ?? "present") === "present";
    if (before === undefined) {
      if (!present) return [];
      if (!args.create) throw new ModuleError(`${st.path} does not exist; set create: true to create it`);
    }
    const r = editBlock(before, args);
    return textChanges(st, args, before, r.text, r.msg);
  },

  explain: withFsNote((st, args) => {
    const attrs = attrExplain(st, args);
    const tail = attrs.length ? `; ${attrs.join(", ")} match` : "";
    if (st.type === "absent") return `${st.path} is absent, so no block to remove`;
    const [m0] = markers(args);
    if ((args.state ?? "present") === "absent" || blockOf(args) === "") return `${st.path}: no block ${quoteShort(m0)}${tail}`;
    return `${st.path}: block ${quoteShort(m0)} is up to date${tail}`;
  }),

  apply: (host, args, changes, st) => textApply(host, args, changes, st),
});

function blockOf(a: BlockArgs): string {
  return a.block ?? a.content ?? "";
}

function markers(a: BlockArgs): [string, string] {
  const m = a.marker ?? DEFAULT_MARKER;
  return [m.replaceAll("{mark}", a.marker_begin ?? "BEGIN"), m.replaceAll("{mark}", a.marker_end ?? "END")];
}

function check(a: BlockArgs): void {
  validateFsAttrs(a);
  // Each marker is one line of the file; a line break would make the block unfindable next run.
  refuseLineBreaksIn(a, ["marker", "marker_begin", "marker_end"], textPath(a));
  for (const k of ["insertafter", "insertbefore"] as const) {
    const v = a[k];
    if (v !== undefined && v !== "EOF" && v !== "BOF") pyRegex(v, k);
  }
}

/**
 * Ansible's blockinfile: replace the block between the markers, or insert it at the anchor; "" block
 * or absent removes it. Lines keep their own terminators (a CRLF file stays CRLF outside the block),
 * the line before the block gets a newline if it lacked one, and each block line ends with "\n".
 */
export function editBlock(original: string | undefined, a: BlockArgs): { text: string; msg: string } {
  const [m0, m1] = markers(a);
  const present = (a.state ?? "present") === "present";
  let block = blockOf(a);
  const lines = original === undefined ? [] : splitKeep(original);
  let blockLines: string[] = [];
  if (present && block !== "") {
    if (!block.endsWith("\n")) block += "\n";
    blockLines = [m0, ...block.slice(0, -1).split("\n"), m1].map((l) => `${l}\n`);
  }
  let n0 = -1;
  let n1 = -1;
  lines.forEach((l, i) => {
    const bare = stripEol(l);
    if (bare === m0) n0 = i;
    if (bare === m1) n1 = i;
  });
  const existed = n0 !== -1 && n1 !== -1;
  // Nothing to remove: the file stays exactly as it is.
  if (!existed && blockLines.length === 0) return { text: original ?? "", msg: "" };
  let where: string;
  if (!existed) {
    const insertafter = a.insertafter ?? (a.insertbefore === undefined ? "EOF" : undefined);
    const anchorSrc =
      insertafter !== undefined && insertafter !== "EOF" ? insertafter : a.insertbefore !== undefined && a.insertbefore !== "BOF" ? a.insertbefore : undefined;
    if (anchorSrc !== undefined) {
      const re = pyRegex(anchorSrc, insertafter !== undefined ? "insertafter" : "insertbefore");
      let hit = -1;
      lines.forEach((l, i) => {
        if (re.test(stripEol(l))) hit = i;
      });
      if (hit === -1) {
        n0 = lines.length;
        where = `at the end of the file (${quoteShort(anchorSrc)} matches no line)`;
      } else {
        n0 = insertafter !== undefined ? hit + 1 : hit;
        where = `${insertafter !== undefined ? "after" : "before"} ${quoteShort(stripEol(lines[hit]!))}`;
      }
    } else if (a.insertbefore === "BOF" || a.insertafter === "BOF") {
      n0 = 0;
      where = "at the beginning of the file";
    } else {
      n0 = lines.length;
      where = "at the end of the file";
    }
  } else {
    const [lo, hi] = n0 < n1 ? [n0, n1] : [n1, n0];
    lines.splice(lo, hi - lo + 1);
    n0 = lo;
    where = "in place";
  }
  if (n0 > 0 && !lines[n0 - 1]!.endsWith("\n")) lines[n0 - 1] += "\n";
  lines.splice(n0, 0, ...blockLines);
  const text = lines.join("");
  if (text === (original ?? "")) return { text, msg: "" };
  if (!blockLines.length) return { text, msg: `block ${quoteShort(m0)} removed` };
  const nb = blockLines.length - 2;
  return {
    text,
    msg: existed
      ? `block ${quoteShort(m0)} updated (${nb} ${nb === 1 ? "line" : "lines"})`
      : `block ${quoteShort(m0)} added ${where} (${nb} ${nb === 1 ? "line" : "lines"})`,
  };
}
