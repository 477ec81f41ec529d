// Ansible reads YAML with PyYAML, which implements YAML 1.1: `yes`/`no`/`on`/`off` are booleans,
// `0755` is octal, `1:30` is sexagesimal. The `yaml` package parses YAML 1.2, so plain (unquoted,
// untagged) scalars are re-resolved here from their source text. Pure.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from "yaml";

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

/** PyYAML's implicit resolution of a plain scalar. */
export function resolvePlain11(src: string): unknown {
  if (NULL.test(src)) return null;
  if (BOOL.test(src)) return /^(?:yes|true|on)$/i.test(src);
  if (INT.test(src)) {
    let v = src.replace(/_/g, "");
    let sign = 1;
    if (v[0] === "-") sign = -1;
    if (v[0] === "-" || v[0] === "+") v = v.slice(1);
    if (v === "0") return 0;
    if (v.startsWith("0b")) return sign * parseInt(v.slice(2), 2);
    if (v.startsWith("0x")) return sign * parseInt(v.slice(2), 16);
    if (v[0] === "0") return sign * parseInt(v, 8);
    if (v.includes(":")) return sign * sexagesimal(v);
    return sign * Number(v);
  }
  if (FLOAT.test(src)) {
    let v = src.replace(/_/g, "").toLowerCase();
    let sign = 1;
    if (v[0] === "-") sign = -1;
    if (v[0] === "-" || v[0] === "+") v = v.slice(1);
    if (v === ".inf") return sign * Infinity;
    if (v === ".nan") return NaN;
    if (v.includes(":")) return sign * sexagesimal(v);
    return sign * parseFloat(v);
  }
  return src;
}

function sexagesimal(v: string): number {
  let base = 1;
  let value = 0;
  for (const part of v.split(":").reverse()) {
    value += Number(part) * base;
    base *= 60;
  }
  return value;
}

/** How Python's json module writes a non-string dict key. */
export function keyString(k: unknown): string {
  if (k === null || k === undefined) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  if (typeof k === "string") return k;
  if (typeof k === "number") return String(k);
  return JSON.stringify(k);
}

/** The plain JS value of a node, with YAML 1.1 scalars and `<<` merge keys. */
export function toJs11(node: unknown, doc: Document.Parsed, depth = 0): unknown {
  if (depth > 200) return null;
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toJs11(node.resolve(doc), doc, depth + 1);
  if (isScalar(node)) {
    if (!node.tag && node.type === "PLAIN" && typeof node.source === "string") return resolvePlain11(node.source);
    const v = node.value;
    return typeof v === "bigint" ? Number(v) : v;
  }
  if (isSeq(node)) return node.items.map((i) => toJs11(i, doc, depth + 1));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const merged: Record<string, unknown>[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (isScalar(keyNode) && !keyNode.tag && keyNode.type === "PLAIN" && (keyNode.source === "<<" || keyNode.value === "<<")) {
        const v = toJs11(pair.value, doc, depth + 1);
        for (const m of Array.isArray(v) ? v : [v]) if (m && typeof m === "object" && !Array.isArray(m)) merged.push(m as Record<string, unknown>);
        continue;
      }
      out[keyString(toJs11(keyNode, doc, depth + 1))] = toJs11(pair.value, doc, depth + 1);
    }
    if (merged.length === 0) return out;
    // explicit keys win over merged ones; earlier merge sources win over later ones
    const result: Record<string, unknown> = {};
    for (const m of [...merged].reverse()) Object.assign(result, m);
    return Object.assign(result, out);
  }
  return (node as { toJSON?: () => unknown }).toJSON?.() ?? null;
}

export interface Entry11 {
  key: string;
  value: unknown;
  /** Node to point at in errors: the value, or the key when the value is empty. */
  at: Node;
}

/** The entries of a mapping node as toJs11 would produce them, each with a node for positions. */
export function entries11(map: Node, doc: Document.Parsed): Entry11[] {
  if (!isMap(map)) return [];
  const explicit: Entry11[] = [];
  const merged = new Map<string, Entry11>();
  const mergeSources: Node[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const valueNode = pair.value as Node | null;
    if (isScalar(keyNode) && !keyNode.tag && keyNode.type === "PLAIN" && keyNode.source === "<<") {
      const v = isAlias(valueNode) ? valueNode.resolve(doc) : valueNode;
      if (isSeq(v)) for (const it of v.items) mergeSources.push((isAlias(it) ? it.resolve(doc) : it) as Node);
      else if (v) mergeSources.push(v as Node);
      continue;
    }
    explicit.push({ key: keyString(toJs11(keyNode, doc)), value: toJs11(valueNode, doc), at: (valueNode ?? keyNode) as Node });
  }
  // earlier merge sources win over later ones, explicit keys over all
  for (const src of mergeSources.reverse()) for (const e of entries11(src, doc)) merged.set(e.key, e);
  const keys = new Set(explicit.map((e) => e.key));
  return [...[...merged.values()].filter((e) => !keys.has(e.key)), ...explicit];
}
