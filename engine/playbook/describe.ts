// Describing a module's arguments from its JSON Schema, for `keel modules NAME` and docs/modules.md.
import type { ModuleDef, JSONSchema } from "../core/module.js";

export interface ArgRow {
  name: string;
  /** "string", "integer | string", "list of string", "mapping"… */
  type: string;
  required: boolean;
  default?: unknown;
  choices?: unknown[];
  description: string;
}

export function typeText(s: JSONSchema | undefined): string {
  if (!s) return "any";
  if (Array.isArray(s.enum) && !s.type)
    return (s.enum as unknown[])
      .map((e) => typeof e)
      .filter((t, i, a) => a.indexOf(t) === i)
      .join(" | ");
  const alts = (s.anyOf ?? s.oneOf) as JSONSchema[] | undefined;
  if (!s.type && Array.isArray(alts))
    return alts
      .map(typeText)
      .filter((t, i, a) => a.indexOf(t) === i)
      .join(" | ");
  const types = Array.isArray(s.type) ? (s.type as string[]) : s.type ? [s.type as string] : ["any"];
  return types
    .map((t) => {
      if (t === "array") {
        const items = s.items as JSONSchema | undefined;
        return items ? `list of ${typeText(items)}` : "list";
      }
      if (t === "object") return "mapping";
      if (t === "null") return "null";
      return t;
    })
    .join(" | ");
}

/**
 * One row per argument, in schema order; the fields of a nested mapping (or of a list of mappings)
 * follow their parent as `parent.field` (`parent[].field`), so structured arguments are documented too.
 */
export function argRows(m: ModuleDef): ArgRow[] {
  const rows = objectRows(m.args, "");
  for (const r of rows) {
    const al = Object.entries(m.argAliases ?? {})
      .filter(([, c]) => c === r.name)
      .map(([a]) => a);
    if (al.length) r.description = `${r.description}${r.description ? " " : ""}Alias: ${al.join(", ")}.`;
  }
  return rows;
}

function objectRows(schema: JSONSchema, prefix: string): ArgRow[] {
  const props = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).flatMap(([name, s]) => {
    const row: ArgRow = {
      name: `${prefix}${name}`,
      type: typeText(s),
      required: required.has(name),
      default: s.default,
      choices: Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined,
      description: typeof s.description === "string" ? s.description : "",
    };
    const items = s.items as JSONSchema | undefined;
    if (items?.properties) return [row, ...objectRows(items, `${prefix}${name}[].`)];
    if (s.properties) return [row, ...objectRows(s, `${prefix}${name}.`)];
    return [row];
  });
}

/** Constraints between arguments that the rows cannot show ("one of content, src"). */
export function argRules(m: ModuleDef): string[] {
  const out: string[] = [];
  const alt = (key: "anyOf" | "oneOf") => {
    const list = m.args[key] as JSONSchema[] | undefined;
    if (!Array.isArray(list)) return;
    const sets = list.map((s) => (Array.isArray(s.required) ? (s.required as string[]).join(" + ") : undefined));
    if (sets.every((x) => x !== undefined)) out.push(key === "anyOf" ? `At least one of: ${sets.join(", ")}.` : `Exactly one of: ${sets.join(", ")}.`);
  };
  alt("anyOf");
  alt("oneOf");
  if (m.args.additionalProperties && m.args.additionalProperties !== false) out.push("Other keys are accepted (each is a name: value pair).");
  return out;
}

/** Every name a playbook may use for the module. */
export function moduleNames(m: ModuleDef): string[] {
  return [m.name, ...(m.aliases ?? []), ...(m.aliases ?? []).map((a) => `ansible.builtin.${a}`)];
}
