// Small readers of YAML nodes shared by the playbook loader. Each throws an InputError at the node
// when the value has the wrong shape.
import { visit, isScalar as isScalarNode } from "yaml";
import { InputError, didYouMean, type SourcePos } from "../core/errors.js";
import { YamlFile, isMap, isSeq, isScalar, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import type { Expr, TaskNode } from "../core/plan.js";
import { checkExpr, checkTemplate, hasTemplate, literalText } from "../template/index.js";
import { UNSUPPORTED } from "./keywords.js";
import { GATHER_SUBSETS } from "../facts/probe.js";

export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A task key without Ansible's builtin collection prefix: `ansible.builtin.include_tasks` -> `include_tasks`. */
export function bareKey(k: string): string {
  return k.replace(/^ansible\.(?:builtin|legacy)\./, "");
}

const YAML11_BOOL = /^(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/;

/**
 * Read a YAML file the way Ansible users expect: unquoted yes/no/on/off values are booleans (YAML
 * 1.1, as in Ansible), not strings as YAML 1.2 says. Keys and quoted strings are left alone; the
 * scalar's source text is kept, so an argument that expects a string still gets "yes".
 */
export function readYaml(file: string, from?: SourcePos): YamlFile {
  const y = YamlFile.load(file, from);
  visit(y.doc, {
    Scalar(key, node) {
      // Ansible's `!unsafe`: the value is text, never a template
      if (isScalarNode(node) && node.tag === "!unsafe") {
        node.tag = undefined;
        if (typeof node.value === "string") node.value = literalText(node.value);
        return;
      }
      if (key !== "key" && isScalarNode(node) && node.type === "PLAIN" && typeof node.value === "string" && YAML11_BOOL.test(node.value)) {
        node.source = node.value;
        node.value = /^(yes|on)$/i.test(node.value);
      }
    },
  });
  return y;
}

export function keyOf(y: YamlFile, p: Pair): string {
  const k = p.key as Node;
  if (!isScalar(k) || (typeof k.value !== "string" && typeof k.value !== "number")) throw y.error("keys must be plain names", k);
  return String(k.value);
}

export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === key);
}

export function unknownKeyword(y: YamlFile, p: Pair, k: string, known: string[], what: string): InputError {
  if (Object.hasOwn(UNSUPPORTED, k)) return y.error(`'${k}' is not supported by keel`, p.key as Node, UNSUPPORTED[k]);
  const sug = didYouMean(k, known);
  return y.error(`unknown ${what} '${k}'${sug ? `, did you mean '${sug}'?` : ""}`, p.key as Node, sug ? undefined : `expected one of: ${known.join(", ")}`);
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function stringValue(y: YamlFile, n: Node, what: string): string {
  if (isScalar(n) && (typeof n.value === "string" || typeof n.value === "number")) return String(n.value);
  throw y.error(`${what}: must be a string, got ${describe(y.js(n))}`, n);
}

export function boolValue(y: YamlFile, n: Node, what: string): boolean {
  if (isScalar(n)) {
    if (typeof n.value === "boolean") return n.value;
    if (typeof n.value === "string") {
      const w = n.value.trim().toLowerCase();
      if (["yes", "true", "on"].includes(w)) return true;
      if (["no", "false", "off"].includes(w)) return false;
      if (hasTemplate(n.value))
        throw y.error(`${what}: must be true or false; templates are not supported here`, n, "keel decides this when the playbook loads");
    }
  }
  throw y.error(`${what}: must be true or false, got ${describe(y.js(n))}`, n);
}

export function intValue(y: YamlFile, n: Node, what: string): number {
  const v = y.js(n);
  const num = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(num) || num < 0) throw y.error(`${what}: must be a whole number, got ${describe(v)}`, n);
  return num;
}

export function hostsValue(y: YamlFile, n: Node): string {
  if (isSeq(n)) {
    const parts = (n.items as Node[]).map((i) => stringValue(y, i, "hosts"));
    if (!parts.length) throw y.error("hosts: is empty", n, "write `hosts: all` or a group name");
    return parts.join(":");
  }
  const s = stringValue(y, n, "hosts").trim();
  if (!s) throw y.error("hosts: is empty", n, "write `hosts: all` or a group name");
  return s;
}

export function serialValue(y: YamlFile, n: Node): (number | string)[] {
  const items: Node[] = isSeq(n) ? (n.items as Node[]) : [n];
  if (!items.length) throw y.error("serial: is an empty list", n);
  return items.map((i) => {
    const v = y.js(i);
    // a template (`serial: "{{ batch }}"`) is rendered with the play's and extra vars when the run starts
    if (typeof v === "string" && hasTemplate(v)) {
      checkTemplate(v, posOfScalarText(y, i));
      return v;
    }
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
    if (typeof v === "string") {
      const t = v.trim();
      if (/^\d+$/.test(t) && Number(t) > 0) return Number(t);
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
      if (pct && Number(pct[1]) > 0 && Number(pct[1]) <= 100) return t;
    }
    throw y.error(
      `serial: must be a positive number or a percentage like "30%", got ${describe(v)}`,
      i,
      'write `serial: 5`, `serial: "30%"` or `serial: [1, 5, "50%"]`',
    );
  });
}

/** A play's gather_subset: names separated by commas, or a list of them; each one Ansible knows. */
export function gatherSubsetValue(y: YamlFile, n: Node): string[] {
  const out: string[] = [];
  for (const [text, at] of stringList(y, n, "gather_subset")) {
    for (const name of text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!GATHER_SUBSETS.includes(name.replace(/^!/, ""))) {
        const sug = didYouMean(name.replace(/^!/, ""), [...GATHER_SUBSETS]);
        throw y.error(
          `gather_subset: unknown subset '${name}'${sug ? `, did you mean '${sug}'?` : ""}`,
          at,
          "use all, min, hardware, network or virtual (!name excludes)",
        );
      }
      out.push(name);
    }
  }
  return out;
}

/** A percentage 0..100: `30`, `30.5` or `"30%"` (Ansible's `percent` attribute). */
/**
 * A play's gather_timeout: a whole number of seconds, as Ansible's play takes it (an int, given to
 * setup). A template is refused: its value cannot change what is gathered, and keel would have to
 * render it only to check it is a number.
 */
export function gatherTimeoutValue(y: YamlFile, n: Node): number {
  const v = y.js(n);
  if (typeof v === "string" && hasTemplate(v))
    throw y.error(
      "gather_timeout: a template is not supported here",
      n,
      "give the number of seconds (e.g. `gather_timeout: 30`); on Linux it does not change what is gathered",
    );
  const num = intValue(y, n, "gather_timeout");
  if (num < 1) throw y.error(`gather_timeout: must be at least 1 second, got ${describe(v)}`, n, "e.g. `gather_timeout: 30`");
  return num;
}

export function percentValue(y: YamlFile, n: Node, what: string): number | string {
  const v = y.js(n);
  // a template (`max_fail_percentage: "{{ patch_max_fail }}"`) is rendered with the play's and
  // extra vars when the run starts, as Ansible templates play keywords
  if (typeof v === "string" && hasTemplate(v)) {
    checkTemplate(v, posOfScalarText(y, n));
    return v;
  }
  const num = typeof v === "number" ? v : typeof v === "string" && /^\d+(?:\.\d+)?%?$/.test(v.trim()) ? Number(v.trim().replace(/%$/, "")) : NaN;
  if (!Number.isFinite(num) || num < 0 || num > 100)
    throw y.error(`${what}: must be a percentage from 0 to 100, got ${describe(v)}`, n, 'e.g. `max_fail_percentage: 25` or `max_fail_percentage: "25%"`');
  return num;
}

export function tagList(y: YamlFile, n: Node): string[] {
  const v = y.js(n);
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const t of list) {
    if (typeof t === "string")
      out.push(
        ...t
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      );
    else if (typeof t === "number") out.push(String(t));
    else throw y.error(`tags: must be a name or a list of names, got ${describe(t)}`, n);
  }
  return out;
}

export function stringList(y: YamlFile, n: Node, what: string): [string, Node][] {
  if (isSeq(n)) return (n.items as Node[]).map((i) => [stringValue(y, i, what), i]);
  return [[stringValue(y, n, what), n]];
}

export function varsMap(y: YamlFile, n: Node, what: string): Record<string, unknown> {
  if (isScalar(n) && n.value === null) return {};
  if (!isMap(n)) throw y.error(`${what} must be a mapping of name: value, got ${describe(y.js(n))}`, n, "vars:\n  name: value");
  for (const p of n.items as Pair[]) {
    const k = keyOf(y, p);
    if (!VAR_NAME.test(k)) throw y.error(`'${k}' is not a valid variable name`, p.key as Node, "use letters, digits and _, not starting with a digit");
  }
  checkTemplates(y, n);
  return y.js(n) as Record<string, unknown>;
}

/** The expression of a value that is exactly one `{{ expr }}`, or undefined. */
export function stripTemplate(text: string): string | undefined {
  const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(text);
  return m && !m[1]!.includes("{{") ? m[1]!.trim() : undefined;
}

/** Check every `{{ }}` template under a node when the playbook loads, at the scalar that holds it. */
export function checkTemplates(y: YamlFile, n: Node | null | undefined): void {
  if (!n) return;
  if (isScalar(n)) {
    if (typeof n.value === "string" && (n.value.includes("{{") || n.value.includes("{%"))) checkTemplate(n.value, y.pos(n));
  } else if (isMap(n)) for (const p of n.items as Pair[]) checkTemplates(y, p.value as Node);
  else if (isSeq(n)) for (const item of n.items as Node[]) checkTemplates(y, item);
}

export function exprList(y: YamlFile, n: Node, what: string): Expr[] {
  const items: Node[] = isSeq(n) ? (n.items as Node[]) : [n];
  return items.map((i) => {
    if (!isScalar(i) || i.value === null || typeof i.value === "object")
      throw y.error(`${what}: must be a condition (text or true/false), got ${describe(y.js(i))}`, i);
    const text = typeof i.value === "boolean" ? (i.value ? "True" : "False") : String(i.value);
    const e: Expr = { text, pos: posOfScalarText(y, i) };
    try {
      checkExpr(e);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(err.message, err.pos, err.hint, y.lines[(err.pos?.line ?? 1) - 1]);
      throw err;
    }
    return e;
  });
}

/** become_user: a user name, or a template rendered per host and task (engine/run/keywords.ts). */
export function becomeUserValue(y: YamlFile, n: Node): string {
  const user = stringValue(y, n, "become_user");
  // a template (`"{{ app_user }}"`) is rendered per host when the task runs, as Ansible does
  if (hasTemplate(user)) checkTemplate(user, posOfScalarText(y, n));
  return user;
}

export function becomeMethod(y: YamlFile, n: Node): void {
  const m = stringValue(y, n, "become_method");
  if (m !== "sudo") throw y.error(`become_method '${m}' is not supported; keel becomes with sudo`, n);
}

/** Position of the first character of a scalar's text (after an opening quote). */
export function posOfScalarText(y: YamlFile, n: Node): SourcePos {
  return posInScalar(y, n, 0);
}

export function posInScalar(y: YamlFile, n: Node, offset: number): SourcePos {
  const p = y.pos(n);
  const t = (n as { type?: string }).type;
  const raw = n.range ? y.text.slice(n.range[0], n.range[1]) : "";
  if ((t === "PLAIN" || t === "QUOTE_DOUBLE" || t === "QUOTE_SINGLE") && !raw.includes("\n")) {
    return { ...p, col: p.col + offset + (t === "PLAIN" ? 0 : 1) };
  }
  return p;
}

export function errorInScalar(y: YamlFile, n: Node, offset: number, msg: string, hint?: string): InputError {
  const p = posInScalar(y, n, offset);
  return new InputError(msg, p, hint, y.lines[p.line - 1] ?? "");
}

export function offsetOf(y: YamlFile, pos: SourcePos): number {
  let off = 0;
  for (let i = 0; i < pos.line - 1; i++) off += (y.lines[i]?.length ?? 0) + 1;
  return off + pos.col - 1;
}

export function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

export function addTags(nodes: TaskNode[], tags: string[]): void {
  for (const n of nodes) {
    n.tags = uniq([...tags, ...n.tags]);
    if (n.kind === "block") {
      addTags(n.block, tags);
      addTags(n.rescue, tags);
      addTags(n.always, tags);
    }
  }
}
