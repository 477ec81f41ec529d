// A JSON Schema (draft-07) for keel playbooks, built from the keyword tables and every module's
// argument schema, for editors (yaml-language-server: completion, hovers, validation).
import type { Registry } from "../core/registry.js";
import type { JSONSchema } from "../core/module.js";
import { PLAY_KEYWORDS, TASK_KEYWORDS, BLOCK_KEYWORDS, LOOP_CONTROL_KEYWORDS, ROLE_ENTRY_KEYWORDS, INCLUDE_KEYWORDS, META_ACTIONS } from "./keywords.js";

const str = (description: string): JSONSchema => ({ type: "string", description });
const bool = (description: string): JSONSchema => ({
  anyOf: [{ type: "boolean" }, { type: "string", enum: ["yes", "no", "true", "false", "on", "off"] }],
  description,
});
const cond = (description: string): JSONSchema => ({
  description,
  anyOf: [{ type: "string" }, { type: "boolean" }, { type: "array", items: { anyOf: [{ type: "string" }, { type: "boolean" }] } }],
});
const strOrList = (description: string): JSONSchema => ({ description, anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] });
const vars = (description: string): JSONSchema => ({ type: "object", description, propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" } });

function common(table: Record<string, string>): Record<string, JSONSchema> {
  const out: Record<string, JSONSchema> = {};
  for (const [k, d] of Object.entries(table)) {
    switch (k) {
      case "when":
      case "changed_when":
      case "failed_when":
        out[k] = cond(d);
        break;
      case "until":
        out[k] = { anyOf: [{ type: "string" }, { type: "boolean" }], description: d };
        break;
      case "become":
      case "ignore_errors":
      case "no_log":
      case "check_mode":
      case "gather_facts":
        out[k] = bool(d);
        break;
      case "gather_timeout":
        out[k] = {
          anyOf: [
            { type: "integer", minimum: 1 },
            { type: "string", pattern: "^\\s*[1-9]\\d*\\s*$" },
          ],
          description: d,
        };
        break;
      case "tags":
      case "notify":
      case "listen":
      case "gather_subset":
        out[k] = strOrList(d);
        break;
      case "vars":
        out[k] = vars(d);
        break;
      case "retries":
      case "delay":
        out[k] = {
          anyOf: [
            { type: "integer", minimum: 0 },
            { type: "string", pattern: "\\{\\{" },
          ],
          description: d,
        };
        break;
      case "loop":
      case "with_items":
      case "with_list":
        out[k] = { anyOf: [{ type: "array" }, { type: "string", pattern: "\\{\\{" }], description: d };
        break;
      case "with_dict":
        out[k] = { anyOf: [{ type: "object" }, { type: "string", pattern: "\\{\\{" }], description: d };
        break;
      default:
        out[k] = str(d);
    }
  }
  return out;
}

const TEMPLATE: JSONSchema = { type: "string", pattern: "\\{\\{", description: "A {{ template }}, checked after rendering." };

/** The module's schema where every argument may also be a `{{ template }}` (checked after rendering). */
function templatable(args: JSONSchema, aliases: Record<string, string> = {}): JSONSchema {
  const props = (args.properties ?? {}) as Record<string, JSONSchema>;
  const out: Record<string, JSONSchema> = {};
  for (const [k, p] of Object.entries(props)) {
    const t = new Set(Array.isArray(p.type) ? (p.type as string[]) : [p.type as string]);
    // The spellings the loader coerces, as Ansible does: "a,b" for a list, yes/no, numeric strings.
    const extra: JSONSchema[] = [];
    if (t.has("array")) extra.push({ type: "string" });
    if (t.has("boolean")) extra.push({ type: "string", enum: ["yes", "no", "true", "false", "on", "off", "True", "False"] });
    if (t.has("integer") || t.has("number")) extra.push({ type: "string", pattern: "^[-+]?\\d+(\\.\\d+)?$" });
    out[k] = { anyOf: [p, TEMPLATE, ...extra], ...(typeof p.description === "string" ? { description: p.description } : {}) };
  }
  for (const [a, c] of Object.entries(aliases)) if (out[c]) out[a] = { ...out[c], description: `Alias of ${c}.` };
  // Required-argument alternatives cannot see through templates; editors check names and types only.
  const { anyOf: _a, oneOf: _o, ...rest } = args;
  return { ...rest, properties: out };
}

/**
 * The JSON Schema of a playbook: a list of plays (or import_playbook entries); tasks with every
 * keyword and one property per module key (canonical name, Ansible alias and ansible.builtin.*),
 * whose value is the module's own argument schema (or key=value text).
 */
export function playbookSchema(registry: Registry): object {
  const definitions: Record<string, JSONSchema> = {};
  const moduleProps: Record<string, JSONSchema> = {};
  for (const m of [...registry.modules].sort((a, b) => a.name.localeCompare(b.name))) {
    const def = `module:${m.name}`;
    const hasRequired = Array.isArray(m.args.required) && (m.args.required as unknown[]).length > 0;
    definitions[def] = {
      description: m.description,
      anyOf: [
        templatable(m.args, m.argAliases),
        { type: "string", description: m.freeForm ? `Free form: ${m.freeForm}, then key=value arguments.` : "key=value arguments." },
        ...(hasRequired ? [] : [{ type: "null" }]),
      ],
    };
    for (const n of [m.name, ...(m.aliases ?? [])]) {
      for (const key of [n, `ansible.builtin.${n}`]) {
        if (registry.get(key) === m)
          moduleProps[key] = { $ref: `#/definitions/${encodeURIComponent(def).replace(/%3A/g, ":")}`, description: `${m.name}: ${m.description}` };
      }
    }
  }
  for (const key of ["meta", "ansible.builtin.meta", "ansible.legacy.meta"])
    moduleProps[key] = { type: "string", enum: META_ACTIONS, description: "flush_handlers: run notified handlers now." };

  const taskKeywords = common(TASK_KEYWORDS);
  taskKeywords.loop_control = {
    type: "object",
    additionalProperties: false,
    properties: common(LOOP_CONTROL_KEYWORDS),
    description: TASK_KEYWORDS.loop_control,
  };
  taskKeywords.args = { type: "object", description: TASK_KEYWORDS.args };
  const includeProp = (d: string): JSONSchema => ({
    anyOf: [{ type: "string" }, { type: "object", properties: { file: { type: "string" } }, required: ["file"], additionalProperties: false }],
    description: d,
  });
  const roleRef: JSONSchema = {
    anyOf: [
      { type: "string" },
      { type: "object", properties: { name: { type: "string" }, vars: vars("Variables for the role.") }, required: ["name"], additionalProperties: false },
    ],
  };

  definitions.task = {
    type: "object",
    description: "A task: one module key with its arguments, plus keywords.",
    properties: { ...taskKeywords, ...moduleProps },
    additionalProperties: false,
  };
  definitions.block = {
    type: "object",
    description: "A block of tasks, with optional rescue and always.",
    properties: {
      ...common(BLOCK_KEYWORDS),
      block: { type: "array", items: { $ref: "#/definitions/taskOrBlock" }, description: BLOCK_KEYWORDS.block },
      rescue: { type: "array", items: { $ref: "#/definitions/taskOrBlock" }, description: BLOCK_KEYWORDS.rescue },
      always: { type: "array", items: { $ref: "#/definitions/taskOrBlock" }, description: BLOCK_KEYWORDS.always },
    },
    required: ["block"],
    additionalProperties: false,
  };
  definitions.include = {
    type: "object",
    description: "Tasks from another file, inserted here when the playbook loads.",
    properties: {
      ...common(INCLUDE_KEYWORDS),
      include_tasks: includeProp("A task file, relative to this file (or the role's tasks/)."),
      import_tasks: includeProp("A task file, relative to this file (or the role's tasks/)."),
      import_role: roleRef,
      include_role: roleRef,
    },
    additionalProperties: false,
  };
  definitions.taskOrBlock = {
    anyOf: [{ $ref: "#/definitions/block" }, { $ref: "#/definitions/include" }, { $ref: "#/definitions/task" }],
  };
  const roleEntry: JSONSchema = {
    anyOf: [
      { type: "string", description: "Role name (a folder under roles/)." },
      { type: "object", properties: common(ROLE_ENTRY_KEYWORDS), description: "A role with variables, tags or conditions; other keys are role parameters." },
    ],
  };
  const tasks = (d: string): JSONSchema => ({ type: "array", items: { $ref: "#/definitions/taskOrBlock" }, description: d });
  const playProps: Record<string, JSONSchema> = {
    ...common(PLAY_KEYWORDS),
    hosts: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }], description: PLAY_KEYWORDS.hosts },
    vars_files: { type: "array", items: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] }, description: PLAY_KEYWORDS.vars_files },
    serial: {
      anyOf: [
        { type: "integer", minimum: 1 },
        { type: "string", pattern: "^(\\d+|\\d+(\\.\\d+)?%)$" },
        {
          type: "array",
          items: {
            anyOf: [
              { type: "integer", minimum: 1 },
              { type: "string", pattern: "^(\\d+|\\d+(\\.\\d+)?%)$" },
            ],
          },
        },
      ],
      description: PLAY_KEYWORDS.serial,
    },
    strategy: { type: "string", enum: ["free", "linear"], description: PLAY_KEYWORDS.strategy },
    tasks: tasks(PLAY_KEYWORDS.tasks!),
    pre_tasks: tasks(PLAY_KEYWORDS.pre_tasks!),
    post_tasks: tasks(PLAY_KEYWORDS.post_tasks!),
    handlers: { type: "array", items: { $ref: "#/definitions/task" }, description: PLAY_KEYWORDS.handlers },
    roles: { type: "array", items: roleEntry, description: PLAY_KEYWORDS.roles },
  };
  definitions.play = {
    type: "object",
    properties: playProps,
    required: ["hosts"],
    additionalProperties: false,
    description: "A play: which hosts, and what to do on them.",
  };
  definitions.import_playbook = {
    type: "object",
    properties: {
      import_playbook: { type: "string", description: "Another playbook, relative to this one." },
      name: { type: "string" },
      vars: vars("Variables for the imported plays."),
      tags: strOrList("Tags for the imported plays."),
    },
    required: ["import_playbook"],
    additionalProperties: false,
  };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://keel.invalid/schemas/playbook.json",
    title: "keel playbook",
    description: "A list of plays. Generated by `keel schema` from keel's keywords and module schemas.",
    type: "array",
    items: { anyOf: [{ $ref: "#/definitions/import_playbook" }, { $ref: "#/definitions/play" }] },
    definitions,
  };
}
