// files.template — Ansible's `template`: a Jinja template from the role's or the playbook's
// templates/ folder, rendered on the controller as Ansible's template module renders it (byte for
// byte: trim_blocks, `#jinja2:` header, includes, template_* variables; a `.hbs` file is
// Handlebars), then handled like files.copy: compared by sha256 on the host, uploaded only when
// it differs.
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { defineModule, folderEntries } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";
import { renderText, templateSearchPath, templateVars, withVars, type TemplateOptions } from "../../engine/template/index.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  validateFsAttrs,
  BACKUP_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  VALIDATE_SCHEMA,
  type FileStat,
} from "./common.js";
import { contentApply, contentDiff, contentExplain, contentProbe, type ContentArgs, type ContentOp } from "./content.js";
import { contentApplied, contentResult } from "./content-result.js";

type TemplateArgs = ContentArgs & TemplateOptions & { output_encoding?: string; unsafe_writes?: boolean };

const DELIMITER = (what: string, dflt: string) => ({
  type: "string",
  minLength: 1,
  description: `The string that ${what} (default '${dflt}'), as Ansible's template module.`,
});

export default defineModule<TemplateArgs, FileStat, ContentOp>({
  name: "files.template",
  aliases: ["template"],
  description:
    "Render a Jinja template (as Ansible's template module does, byte for byte; a .hbs file is Handlebars) from the role's or the playbook's templates/ folder into a file on the host, with mode, owner and group.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      src: { type: "string", minLength: 1, description: "The template, looked up in the role's then the playbook's templates/ folder (or an absolute path)." },
      dest: {
        type: "string",
        minLength: 1,
        description: "Path of the file on the host. A directory (or a path ending in /) receives the file under src's name.",
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
      trim_blocks: { type: "boolean", default: true, description: "Remove the first newline after a block or comment tag. Default true, as Ansible." },
      lstrip_blocks: {
        type: "boolean",
        default: false,
        description: "Strip spaces and tabs before a block or comment tag at the start of a line. Default false.",
      },
      newline_sequence: { type: "string", enum: ["\n", "\r", "\r\n"], default: "\n", description: "The newline of the rendered file." },
      block_start_string: DELIMITER("starts a block", "{%"),
      block_end_string: DELIMITER("ends a block", "%}"),
      variable_start_string: DELIMITER("starts a print statement", "{{"),
      variable_end_string: DELIMITER("ends a print statement", "}}"),
      comment_start_string: DELIMITER("starts a comment", "{#"),
      comment_end_string: DELIMITER("ends a comment", "#}"),
      output_encoding: {
        type: "string",
        default: "utf-8",
        description:
          "The encoding the rendered file is written in (Python codec names): utf-8 (default), latin-1/iso-8859-1, ascii, utf-16, utf-16-le, utf-16-be.",
      },
      content: { type: "string", description: "Set by keel: the rendered template. Any value given in a playbook is replaced by the rendering of src." },
      content_encoding: { type: "string", enum: ["utf8", "base64"], description: "Set by keel: base64 when output_encoding is not utf-8." },
    },
    required: ["src", "dest"],
  },
  resource: (a) => `file ${a.dest}`,
  footprint: (a) => ({
    reads: [`file:${a.dest}`, ...folderEntries(a.dest), "accounts"],
    writes: [a.follow ? "file:/" : `file:${a.dest}`, ...((a as { parents?: boolean }).parents ? folderEntries(a.dest) : [])],
  }),

  validate(args) {
    validateFsAttrs(args);
    if (args.output_encoding !== undefined && codecOf(args.output_encoding) === undefined)
      throw new InputError(
        `template: output_encoding '${args.output_encoding}' is not one keel writes`,
        undefined,
        "use utf-8, latin-1 (iso-8859-1), ascii, utf-16, utf-16-le or utf-16-be",
      );
  },

  prepare(args, ctx) {
    const text = ctx.readLocal("templates", args.src!).toString("utf8");
    // the file readLocal found (same order): its path names errors and sets template_fullpath
    const rel = args.src!;
    const full = resolve(isAbsolute(rel) ? rel : (ctx.searchDirs.flatMap((d) => [join(d, "templates", rel), join(d, rel)]).find((c) => existsSync(c)) ?? rel));
    const vars = withVars(ctx.vars, templateVars(rel, full, args.dest));
    const {
      src: _s,
      dest: _d,
      mode: _m,
      owner: _o,
      group: _g,
      backup: _b,
      validate: _v,
      force: _f,
      follow: _fo,
      content: _c,
      content_encoding: _ce,
      output_encoding: enc,
      unsafe_writes: _u,
      ...options
    } = args;
    const content = renderText(text, vars, full, { ...options, searchPath: templateSearchPath(ctx.searchDirs, full) });
    const codec = enc === undefined ? "utf8" : codecOf(enc);
    if (codec === undefined || codec === "utf8") return { ...args, content };
    return { ...args, content: encodeText(content, codec, full).toString("base64"), content_encoding: "base64" };
  },
  probe: (args) => contentProbe(args),
  diff: (state, args) => contentDiff(state, args, "template"),
  explain: (state, args) => contentExplain(state, args),
  // ansible.builtin.copy's register keys (content-result.ts); after a write, one stat of the file
  result: (state, args) => contentResult(state, args),
  apply: async (host, args, changes, state) => contentApplied(host, state, args, await contentApply(host, args, changes, state)),
});

type Codec = "utf8" | "latin1" | "ascii" | "utf16" | "utf16le" | "utf16be";

/** The Python codec name (as Ansible's output_encoding takes it) keel can write, normalised; undefined for others. */
export function codecOf(name: string): Codec | undefined {
  const n = name.toLowerCase().replace(/[-_ ]/g, "");
  if (n === "utf8" || n === "u8") return "utf8";
  if (["latin1", "iso88591", "l1", "8859", "cp819", "latin"].includes(n)) return "latin1";
  if (["ascii", "usascii", "646"].includes(n)) return "ascii";
  if (n === "utf16" || n === "u16") return "utf16";
  if (n === "utf16le") return "utf16le";
  if (n === "utf16be") return "utf16be";
  return undefined;
}

/** The rendered text in `codec`, failing on a character it cannot hold, as Python's strict encode does. */
export function encodeText(text: string, codec: Codec, file: string): Buffer {
  if (codec === "latin1" || codec === "ascii") {
    const max = codec === "latin1" ? 0xff : 0x7f;
    const i = [...text].findIndex((ch) => ch.codePointAt(0)! > max);
    if (i >= 0)
      throw new InputError(`${file}: the rendered template has a character ${codec} cannot encode (${JSON.stringify([...text][i])}, character ${i + 1})`);
    return Buffer.from(text, "latin1");
  }
  const le = Buffer.from(text, "utf16le");
  if (codec === "utf16le") return le;
  if (codec === "utf16be") return le.swap16();
  // Python's "utf-16" writes a byte-order mark, then little-endian on every host keel reaches
  return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
}
