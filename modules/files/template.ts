// files.template — Ansible's `template`: a Jinja template from the role's or the playbook's
// templates/ folder, rendered on the controller as Ansible's template module renders it (byte for
// byte: trim_blocks, `#jinja2:` header, includes, template_* variables; a `.hbs` file is
// Handlebars), then handled like files.copy: compared by sha256 on the host, uploaded only when
// it differs.
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { defineModule, folderEntries } from "../../engine/core/module.js";
import { renderText, templateSearchPath, templateVars, withVars, type TemplateOptions } from "../../engine/template/index.js";
import { FS_ATTR_SCHEMAS, validateFsAttrs, BACKUP_SCHEMA, GROUP_SCHEMA, MODE_SCHEMA, OWNER_SCHEMA, VALIDATE_SCHEMA, type FileStat } from "./common.js";
import { contentApply, contentDiff, contentExplain, contentProbe, type ContentArgs, type ContentOp } from "./content.js";

type TemplateArgs = ContentArgs & TemplateOptions;

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
      backup: BACKUP_SCHEMA,
      validate: VALIDATE_SCHEMA,
      force: {
        type: "boolean",
        default: true,
        description: "Replace the content of a file that exists and differs. false only creates missing files. Default true.",
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
      content: { type: "string", description: "Set by keel: the rendered template. Any value given in a playbook is replaced by the rendering of src." },
    },
    required: ["src", "dest"],
  },
  resource: (a) => `file ${a.dest}`,
  footprint: (a) => ({
    reads: [`file:${a.dest}`, ...folderEntries(a.dest), "accounts"],
    writes: [a.follow ? "file:/" : `file:${a.dest}`, ...((a as { parents?: boolean }).parents ? folderEntries(a.dest) : [])],
  }),

  validate: validateFsAttrs,

  prepare(args, ctx) {
    const text = ctx.readLocal("templates", args.src!).toString("utf8");
    // the file readLocal found (same order): its path names errors and sets template_fullpath
    const rel = args.src!;
    const full = resolve(isAbsolute(rel) ? rel : (ctx.searchDirs.flatMap((d) => [join(d, "templates", rel), join(d, rel)]).find((c) => existsSync(c)) ?? rel));
    const vars = withVars(ctx.vars, templateVars(rel, full, args.dest));
    const { src: _s, dest: _d, mode: _m, owner: _o, group: _g, backup: _b, validate: _v, force: _f, follow: _fo, content: _c, ...options } = args;
    const content = renderText(text, vars, full, { ...options, searchPath: templateSearchPath(ctx.searchDirs, full) });
    return { ...args, content };
  },
  probe: (args) => contentProbe(args),
  diff: (state, args) => contentDiff(state, args, "template"),
  explain: (state, args) => contentExplain(state, args),
  apply: (host, args, changes, state) => contentApply(host, args, changes, state),
});
