// Module arguments: the `key=value` string form, Ansible-style coercion of strings ("yes" for a
// boolean, "a,b" for a list), and validation with ajv against the module's JSON Schema, with every
// error at the argument's own file:line:col.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { InputError, didYouMean, type SourcePos } from "../core/errors.js";
import { errorAt } from "../core/yaml.js";
import { maybeTemplated, validateModuleArgs } from "./validate.js";
import type { ModuleDef, JSONSchema } from "../core/module.js";
import { hasTemplate } from "../template/index.js";
import { ARGS_AJV_OPTIONS, precompiledValidator } from "./validators.js";

const ajv = new Ajv(ARGS_AJV_OPTIONS);
const validators = new WeakMap<ModuleDef, ValidateFunction>();

/** The module's validator: the one `npm run build` compiled from this schema (validators.ts), else ajv compiles it. */
function validatorOf(m: ModuleDef): ValidateFunction {
  let v = validators.get(m);
  if (!v) {
    v = precompiledValidator(m) ?? ajv.compile(m.args);
    validators.set(m, v);
  }
  return v;
}

/** The schema of one top-level argument, if the module declares it. */
export function propSchema(m: ModuleDef, key: string): JSONSchema | undefined {
  const props = (m.args.properties ?? {}) as Record<string, JSONSchema>;
  return Object.hasOwn(props, key) ? props[key] : undefined;
}

function typesOf(s: JSONSchema | undefined): Set<string> {
  const t = s?.type;
  if (Array.isArray(t)) return new Set(t as string[]);
  if (typeof t === "string") return new Set([t]);
  return new Set();
}

const TRUE_WORDS = new Set(["yes", "true", "on", "y", "1"]);
const FALSE_WORDS = new Set(["no", "false", "off", "n", "0"]);

/**
 * Convert a value the way Ansible does for the argument's declared type: "yes"/"no"/"on"/"off"
 * for booleans, numeric strings for numbers, "a,b" for lists. `source` is the YAML source text of a
 * plain scalar, used to keep `0644` as written when the argument is a string. Templated values are
 * left alone (they are coerced after rendering).
 */
export function coerceArg(schema: JSONSchema | undefined, value: unknown, source?: string): unknown {
  const types = typesOf(schema);
  if (types.size === 0 || hasTemplate(value)) return value;
  if (typeof value === "string") {
    const w = value.trim().toLowerCase();
    if (types.has("boolean") && !types.has("string")) {
      if (TRUE_WORDS.has(w)) return true;
      if (FALSE_WORDS.has(w)) return false;
    }
    if ((types.has("integer") || types.has("number")) && !types.has("string") && /^[-+]?\d+(\.\d+)?$/.test(value.trim())) {
      const n = Number(value);
      if (types.has("number") || Number.isInteger(n)) return n;
    }
    if (types.has("array") && !types.has("string")) {
      return value === "" ? [] : value.split(",").map((s) => s.trim());
    }
    return value;
  }
  if (typeof value === "number" && types.has("string") && !types.has("number") && !types.has("integer")) {
    return source !== undefined && /^[-+]?[0-9][0-9_.eExXoO+-]*$/.test(source) ? source : String(value);
  }
  if (typeof value === "boolean" && types.has("string") && !types.has("boolean") && source !== undefined) {
    // `line: yes` unquoted: YAML 1.1 made it a boolean, but the argument wants the text as written.
    return source;
  }
  return value;
}

/** Coerce each top-level argument in place; returns the same object. */
export function coerceArgs(m: ModuleDef, args: Record<string, unknown>, sources: Record<string, string | undefined> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(args)) {
    const s =
      propSchema(m, k) ??
      (m.args.additionalProperties && typeof m.args.additionalProperties === "object" ? (m.args.additionalProperties as JSONSchema) : undefined);
    args[k] = coerceArg(s, v, sources[k]);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// key=value

export interface KvToken {
  text: string;
  start: number;
}

/** Split `a=1 b="x y" {{ t | default('p q') }}` into words; quotes and {{ }} keep spaces inside. */
export function splitWords(s: string): KvToken[] {
  const out: KvToken[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    const start = i;
    while (i < s.length && !/\s/.test(s[i]!)) {
      if (s.startsWith("{{", i)) {
        const k = s.indexOf("}}", i + 2);
        i = k === -1 ? s.length : k + 2;
      } else if (s[i] === '"' || s[i] === "'") {
        const q = s[i]!;
        i++;
        while (i < s.length && s[i] !== q) i += s[i] === "\\" && q === '"' ? 2 : 1;
        if (i >= s.length) throw new KvError(`unterminated ${q === '"' ? "double" : "single"} quote`, start);
        i++;
      } else i++;
    }
    out.push({ text: s.slice(start, i), start });
  }
  return out;
}

export class KvError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "'" && v.endsWith("'")))) {
    const inner = v.slice(1, -1);
    return v[0] === '"' ? inner.replace(/\\(["\\])/g, "$1") : inner;
  }
  return v;
}

export interface FreeFormResult {
  args: Record<string, unknown>;
  /** Offset in the text of each argument. */
  offsets: Record<string, number>;
}

/**
 * Fold Ansible's alias spellings of arguments (ModuleMeta.argAliases) into their canonical names,
 * in place, positions included. The alias and its canonical name both given with different values
 * is an error at the alias (Ansible would silently keep one of them).
 */
export function foldArgAliases(m: ModuleDef, args: Record<string, unknown>, argPos: Record<string, SourcePos>, lines?: string[]): void {
  for (const [a, c] of Object.entries(m.argAliases ?? {})) {
    if (!Object.hasOwn(args, a)) continue;
    if (Object.hasOwn(args, c) && JSON.stringify(coerceArg(propSchema(m, c), args[c])) !== JSON.stringify(coerceArg(propSchema(m, c), args[a]))) {
      const msg = `'${a}' is an alias of '${c}', and both are given with different values`;
      const pos = argPos[a];
      throw pos ? errorAt(pos, msg, "keep one of them", lines) : new InputError(msg, undefined, "keep one of them");
    }
    args[c] = args[a];
    if (argPos[a]) argPos[c] ??= argPos[a];
    delete args[a];
    delete argPos[a];
  }
}

/**
 * Parse the `key=value` string form of a task's arguments. For a module with `freeForm`, words
 * that are not `known_arg=value` form the free text (e.g. command's `cmd`), as in Ansible.
 * Throws KvError with the offset of the offending word.
 */
export function parseKeyValue(m: ModuleDef, text: string, as: string = m.name): FreeFormResult {
  const args: Record<string, unknown> = {};
  const offsets: Record<string, number> = {};
  const words = splitWords(text);
  const props = (m.args.properties ?? {}) as Record<string, unknown>;
  const free: KvToken[] = [];
  let freeStart = -1;
  for (const w of words) {
    // Ansible's parse_kv takes any key before the first `=` (`daemon-reload=true`, an alias with a dash)
    const kv = /^([A-Za-z_][\w-]*)=([\s\S]*)$/.exec(w.text);
    // With a free form, only declared arguments are taken out (`echo a=b` stays text), as in Ansible.
    if (kv && (!m.freeForm || Object.hasOwn(props, kv[1]!) || Object.hasOwn(m.argAliases ?? {}, kv[1]!))) {
      if (Object.hasOwn(args, kv[1]!)) throw new KvError(`argument '${kv[1]}' is given twice`, w.start);
      args[kv[1]!] = unquote(kv[2]!);
      offsets[kv[1]!] = w.start;
    } else if (m.freeForm) {
      if (freeStart < 0) freeStart = w.start;
      free.push(w);
    } else {
      throw new KvError(`'${as}' takes key=value arguments, not free text ('${w.text}')`, w.start);
    }
  }
  if (free.length && m.freeForm) {
    // Keep the free text as written (quotes included), minus the key=value words taken out.
    let s = "";
    let last = -1;
    for (const w of free) {
      if (last >= 0) s += text.slice(last, w.start).includes("\n") ? "\n" : text.slice(last, w.start);
      s += w.text;
      last = w.start + w.text.length;
    }
    args[m.freeForm] = s;
    offsets[m.freeForm] = freeStart;
  }
  return { args, offsets };
}

// ---------------------------------------------------------------------------------------------
// Validation

interface ArgError {
  pos: SourcePos;
  message: string;
  hint?: string;
  rank: number;
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `string '${v.length > 40 ? v.slice(0, 40) + "…" : v}'`;
  return `${typeof v} ${String(v)}`;
}

function wantType(t: unknown): string {
  const list = Array.isArray(t) ? (t as string[]) : [String(t)];
  return list.map((x) => (x === "object" ? "a mapping" : x === "array" ? "a list" : x)).join(" or ");
}

/** Split "/a/0/b" into ["a", "0", "b"] (JSON Pointer). */
function pointer(p: string): string[] {
  return p === ""
    ? []
    : p
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function groupAlternatives(sub: unknown): string[][] | undefined {
  if (!Array.isArray(sub)) return undefined;
  const sets: string[][] = [];
  for (const s of sub) {
    if (!s || typeof s !== "object") return undefined;
    const keys = Object.keys(s);
    if (keys.length !== 1 || keys[0] !== "required" || !Array.isArray((s as { required: unknown }).required)) return undefined;
    sets.push((s as { required: string[] }).required);
  }
  return sets;
}

/** The argument sets a `not` schema forbids together: `{ required: [...] }` or `{ anyOf: [{ required }, …] }`. */
function exclusiveGroups(sub: unknown): string[][] | undefined {
  if (!sub || typeof sub !== "object") return undefined;
  const s = sub as { required?: unknown; anyOf?: unknown };
  if (Array.isArray(s.required)) return [s.required as string[]];
  return groupAlternatives(s.anyOf);
}

/**
 * Validate arguments against the module's schema. At load time (`deferTemplated`), arguments
 * whose value contains `{{ }}` are not type-checked (they are checked again after rendering);
 * unknown argument names are always errors. Throws the first error as an InputError.
 */
export function checkArgs(
  m: ModuleDef,
  args: Record<string, unknown>,
  argPos: Record<string, SourcePos>,
  taskPos: SourcePos,
  opts: { as?: string; deferTemplated?: boolean; lines?: string[] } = {},
): void {
  const as = opts.as ?? m.name;
  const templated = new Set(opts.deferTemplated ? Object.keys(args).filter((k) => hasTemplate(args[k])) : []);
  const subject: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (!templated.has(k)) subject[k] = v;
  const validate = validatorOf(m);
  if (validate(subject)) {
    // The module's own rules need every argument: at load, only when nothing is templated.
    validateModuleArgs(m, args, argPos, taskPos, opts.lines, !opts.deferTemplated || !maybeTemplated(args));
    return;
  }
  const errs: ArgError[] = [];
  const ref = `see \`keel modules ${m.name}\` for its arguments`;
  const props = Object.keys((m.args.properties ?? {}) as object);
  for (const e of validate.errors as ErrorObject[]) {
    const path = pointer(e.instancePath);
    const top = path[0];
    const at = (top !== undefined && argPos[top]) || taskPos;
    const label = path.length ? path.map((p, i) => (i === 0 ? p : /^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("") : "";
    const inAlternative = /\/(anyOf|oneOf)\//.test(e.schemaPath);
    if (inAlternative) continue; // reported by the anyOf/oneOf error itself
    switch (e.keyword) {
      case "additionalProperties": {
        const name = String((e.params as { additionalProperty: string }).additionalProperty);
        const pos = path.length === 0 ? (argPos[name] ?? taskPos) : at;
        const candidates =
          path.length === 0
            ? props
            : Object.keys(((valueAt(m.args, ["properties", ...path.filter((p) => !/^\d+$/.test(p))]) as JSONSchema)?.properties ?? {}) as object);
        const refused = path.length === 0 && m.refusedArgs && Object.hasOwn(m.refusedArgs, name) ? m.refusedArgs[name] : undefined;
        if (refused !== undefined) {
          errs.push({ pos, rank: 0, message: `argument '${name}' of module '${as}' is not implemented by keel: ${refused}`, hint: `remove '${name}'; ${ref}` });
          break;
        }
        const sug = didYouMean(name, candidates);
        const where = path.length ? ` in '${label}'` : "";
        errs.push({
          pos,
          rank: 0,
          message: `unknown argument '${name}'${where} for module '${as}'${sug ? `, did you mean '${sug}'?` : ""}`,
          hint: sug ? undefined : `'${as}' takes: ${candidates.join(", ")}`,
        });
        break;
      }
      case "required": {
        const miss = String((e.params as { missingProperty: string }).missingProperty);
        if (templated.has(miss) && path.length === 0) break;
        const where = path.length ? ` in '${label}'` : "";
        errs.push({
          pos: path.length ? at : taskPos,
          rank: 1,
          message: `module '${as}' requires argument '${miss}'${where}`,
          hint: `add \`${miss}: …\`; ${ref}`,
        });
        break;
      }
      case "type": {
        const got = valueAt(subject, path);
        errs.push({
          pos: at,
          rank: 2,
          message: `argument '${label}' of module '${as}' must be ${wantType((e.params as { type: unknown }).type)}, got ${describeType(got)}`,
          hint: ref,
        });
        break;
      }
      case "enum": {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const got = valueAt(subject, path);
        const sug = typeof got === "string" ? didYouMean(got, allowed.map(String)) : undefined;
        errs.push({
          pos: at,
          rank: 2,
          message: `argument '${label}' of module '${as}' must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${JSON.stringify(got)}${sug ? `, did you mean '${sug}'?` : ""}`,
        });
        break;
      }
      case "anyOf":
      case "oneOf": {
        const sub = valueAt(m.args, pointer(e.schemaPath.replace(/^#/, "")));
        const alts = groupAlternatives(sub);
        const here = valueAt(subject, path) as Record<string, unknown> | undefined;
        if (templated.size && path.length === 0) break; // decided after rendering
        if (alts && here && typeof here === "object") {
          const met = alts.filter((req) => req.every((k) => Object.hasOwn(here, k)));
          const names = alts.map((req) => req.join(" + "));
          if (met.length === 0) {
            errs.push({ pos: at, rank: 1, message: `module '${as}' needs one of: ${names.join(", ")}`, hint: ref });
          } else {
            errs.push({ pos: at, rank: 1, message: `module '${as}' takes only one of: ${names.join(", ")}`, hint: `remove all but one; ${ref}` });
          }
        } else {
          errs.push({ pos: at, rank: 3, message: `${label ? `argument '${label}'` : "arguments"} of module '${as}' ${e.message ?? "are invalid"}`, hint: ref });
        }
        break;
      }
      case "not": {
        // `not: { required: [a, b] }` (or an anyOf of such): arguments that exclude each other.
        const here = valueAt(subject, path) as Record<string, unknown> | undefined;
        const both = exclusiveGroups(valueAt(m.args, pointer(e.schemaPath.replace(/^#/, ""))))?.find(
          (g) => here && typeof here === "object" && g.every((k) => Object.hasOwn(here, k)),
        );
        if (!both) {
          errs.push({ pos: at, rank: 3, message: `${label ? `argument '${label}'` : "arguments"} of module '${as}' are invalid (${e.message})`, hint: ref });
          break;
        }
        const where = path.length ? ` in '${label}'` : "";
        errs.push({
          pos: path.length ? at : (argPos[both[1]!] ?? taskPos),
          rank: 1,
          message: `parameters are mutually exclusive: ${both.join("|")}${where} (module '${as}')`,
          hint: `give only one of ${both.map((k) => `'${k}'`).join(" or ")}; ${ref}`,
        });
        break;
      }
      case "propertyNames":
        break; // reported together with the failing name below
      default: {
        if (e.keyword === "pattern" && e.propertyName !== undefined) {
          errs.push({ pos: argPos[e.propertyName] ?? at, rank: 2, message: `'${e.propertyName}' is not a valid name for module '${as}' (${e.message})` });
          break;
        }
        const desc = (valueAt(m.args, ["properties", ...path.filter((p) => !/^\d+$/.test(p))]) as JSONSchema | undefined)?.description;
        errs.push({
          pos: at,
          rank: 3,
          message: `${label ? `argument '${label}'` : "arguments"} of module '${as}' ${e.message ?? "is invalid"}`,
          hint: typeof desc === "string" ? `${label}: ${desc}` : ref,
        });
      }
    }
  }
  if (!errs.length) return;
  errs.sort((a, b) => a.rank - b.rank || a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  const first = errs[0]!;
  throw errorAt(first.pos, first.message, first.hint, opts.lines);
}

/**
 * Validate a task's arguments after templating (the runner calls this once values are rendered).
 * Coerces Ansible-style strings in place ("yes" -> true for a boolean, "8080" -> 8080 for an
 * integer, "a,b" -> ["a","b"] for a list) and returns the same object. Throws InputError at the
 * argument's position (`argPos`), or at `taskPos` for a missing argument.
 */
export function validateArgs(
  module: ModuleDef,
  args: Record<string, unknown>,
  argPos: Record<string, SourcePos>,
  taskPos: SourcePos,
  as?: string,
): Record<string, unknown> {
  coerceArgs(module, args);
  checkArgs(module, args, argPos, taskPos, { as });
  return args;
}

export { InputError };
