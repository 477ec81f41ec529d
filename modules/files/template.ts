// files.template — Ansible's `template`: a Handlebars template from the playbook's templates/
// folder, rendered on the controller with the task's variables (strict, no HTML escaping), then
// handled like files.copy: compared by sha256 on the host, uploaded only when it differs.
import { defineModule } from "../../engine/core/module.js";
import { BACKUP_SCHEMA, GROUP_SCHEMA, MODE_SCHEMA, OWNER_SCHEMA, VALIDATE_SCHEMA, type FileStat } from "./common.js";
import { contentApply, contentDiff, contentExplain, contentProbe, type ContentArgs } from "./content.js";

export default defineModule<ContentArgs, FileStat>({
  name: "files.template",
  aliases: ["template"],
  description: "Render a template (Handlebars, or Jinja-style {% if %}/{% for %}/{% set %} as Ansible writes them) from the playbook's templates/ folder into a file on the host, with mode, owner and group.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      src: { type: "string", minLength: 1, description: "The template, looked up in the role's then the playbook's templates/ folder (or an absolute path)." },
      dest: { type: "string", minLength: 1, description: "Path of the file on the host. A directory (or a path ending in /) receives the file under src's name." },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      backup: BACKUP_SCHEMA,
      validate: VALIDATE_SCHEMA,
      force: { type: "boolean", default: true, description: "Replace the content of a file that exists and differs. false only creates missing files. Default true." },
      follow: { type: "boolean", default: false, description: "When dest is a symlink, write the file it points to instead of replacing the link. Default false." },
      content: { type: "string", description: "Set by keel: the rendered template. Any value given in a playbook is replaced by the rendering of src." },
    },
    required: ["src", "dest"],
  },
  resource: (a) => `file ${a.dest}`,
  footprint: (a) => ({ reads: [`file:${a.dest}`, "accounts"], writes: [a.follow ? "file:/" : `file:${a.dest}`] }),

  prepare(args, ctx) {
    const text = ctx.readLocal("templates", args.src!).toString("utf8");
    return { ...args, content: ctx.render(text, args.src!) };
  },
  probe: (args) => contentProbe(args),
  diff: (state, args) => contentDiff(state, args, "template"),
  explain: (state, args) => contentExplain(state, args),
  apply: (host, args, changes, state) => contentApply(host, args, changes, state),
});
