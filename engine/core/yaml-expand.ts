// Aliases and merge keys, resolved once in the parsed tree, as PyYAML (and so Ansible) resolves
// them:
// - an alias `*a` becomes a copy of the node anchored `&a` most recently before it, so a consumer
//   that walks nodes (the playbook loader) sees the value and not an Alias object;
// - `<<: *m` and `<<: [*a, *b]` (YAML 1.1 merge keys) are flattened into their mapping, as
//   PyYAML's flatten_mapping does: explicit keys win over merged ones wherever they appear; in a
//   list of sources the earlier source wins; with several `<<` keys the later one wins; a merged
//   mapping that itself merges is flattened first.
// Expansion is bounded (billion laughs): the nodes that copies add are counted, and the nesting
// depth is checked, both against limits that the caller passes. Copies keep the source ranges of
// the anchored nodes, except the copy's root, which takes the alias's range so that an error about
// the value points at the place that used it.
import { limitHint, LIMITS } from "./limits.js";
import { isAlias, isMap, isPair, isScalar, isSeq, visit, Pair, Scalar, YAMLMap, YAMLSeq, type Document, type Node } from "yaml";

export interface ExpandLimits {
  maxAliasNodes: number;
  maxDepth: number;
}

/** A problem found while expanding; YamlFile turns it into an InputError at `at`. */
export class ExpandError extends Error {
  constructor(
    message: string,
    readonly at: Node | Pair,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface Info {
  size: number;
  height: number;
}

export function expandDocument(doc: Document.Parsed, limits: ExpandLimits): void {
  const anchors = new Map<string, Node>();
  const info = new WeakMap<Node, Info>();
  const open = new Set<Node>();
  let added = 0;

  const tooDeep = (at: Node | Pair) =>
    new ExpandError(`YAML nesting deeper than ${limits.maxDepth} levels (aliases included)`, at, limitHint(LIMITS.yamlDepth));

  // Returns the node to keep in place of `node` (a copy for an alias), with its size and height.
  function walk(node: unknown, depth: number): { node: unknown; size: number; height: number } {
    if (!node || typeof node !== "object") return { node, size: 0, height: 0 };
    const n = node as Node;
    if (isAlias(n)) {
      const target = anchors.get(n.source);
      if (!target) throw new ExpandError(`unknown alias *${n.source}: no anchor &${n.source} before it`, n, `define the anchor (&${n.source}) before using it`);
      if (open.has(target))
        throw new ExpandError(
          `alias *${n.source} is inside the node it refers to (a recursive alias)`,
          n,
          "an alias can only refer to a node that is complete before it",
        );
      const t = info.get(target)!;
      if (depth + t.height > limits.maxDepth) throw tooDeep(n);
      added += t.size;
      if (added > limits.maxAliasNodes) {
        throw new ExpandError(`YAML aliases expand to more than ${limits.maxAliasNodes} nodes (at *${n.source})`, n, limitHint(LIMITS.aliasNodes));
      }
      const copy = copyNode(target);
      if (n.range) copy.range = [...n.range] as typeof copy.range;
      return { node: copy, size: t.size, height: t.height };
    }
    if (depth > limits.maxDepth) throw tooDeep(n);
    if (n.anchor) anchors.set(n.anchor, n);
    let size = 1;
    let height = 1;
    open.add(n);
    if (isMap(n) || isSeq(n)) {
      const items = n.items as unknown[];
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (isPair(it)) {
          const k = walk(it.key, depth + 1);
          const v = walk(it.value, depth + 1);
          it.key = k.node;
          it.value = v.node;
          size += k.size + v.size;
          height = Math.max(height, 1 + k.height, 1 + v.height);
        } else {
          const r = walk(it, depth + 1);
          items[i] = r.node;
          size += r.size;
          height = Math.max(height, 1 + r.height);
        }
      }
      if (isMap(n)) size = flattenMerges(n as YAMLMap, size);
    }
    open.delete(n);
    info.set(n, { size, height });
    return { node: n, size, height };
  }

  doc.contents = walk(doc.contents, 0).node as typeof doc.contents;
}

function isMergeKey(k: unknown): boolean {
  if (!isScalar(k)) return false;
  if (k.tag === "tag:yaml.org,2002:merge") return true;
  return !k.tag && k.type === "PLAIN" && (k.source === "<<" || (typeof k.value === "symbol" && k.value.description === "<<"));
}

// PyYAML's flatten_mapping on a mapping whose values are already expanded. Returns the new size.
function flattenMerges(map: YAMLMap, size: number): number {
  const pairs = map.items as Pair[];
  if (!pairs.some((p) => isMergeKey(p.key))) return size;
  const merged: Pair[] = [];
  const explicit: Pair[] = [];
  for (const p of pairs) {
    if (!isMergeKey(p.key)) {
      explicit.push(p);
      continue;
    }
    const v = p.value as Node | null;
    if (isMap(v)) merged.push(...(v.items as Pair[]));
    else if (isSeq(v)) {
      const sub: Pair[][] = [];
      for (const s of v.items) {
        if (!isMap(s))
          throw new ExpandError(
            "each entry of a `<<` merge list must be a mapping",
            (s ?? v) as Node,
            "write `<<: [*defaults, *more]` where each alias names a mapping",
          );
        sub.push(s.items as Pair[]);
      }
      for (const s of sub.reverse()) merged.push(...s);
    } else {
      throw new ExpandError(
        "a `<<` merge key takes a mapping or a list of mappings",
        (v ?? p.key) as Node,
        "write `<<: *defaults` where &defaults anchors a mapping",
      );
    }
  }
  // later assignments win, as in the dict PyYAML builds: merged first, explicit keys last; a key
  // keeps the place where it first appeared
  const out = new Map<unknown, Pair>();
  for (const p of [...merged, ...explicit]) {
    const id = keyId(p.key);
    const first = out.get(id);
    if (first) {
      first.key = p.key;
      first.value = p.value;
    } else out.set(id, p.clone() as Pair);
  }
  map.items = [...out.values()] as typeof map.items;
  let n = 1;
  for (const p of map.items as Pair[]) n += nodeCount(p.key) + nodeCount(p.value);
  return Math.max(n, 1);
}

// Identity of a key for "the same key": the scalar's type and value; any other key is unique.
function keyId(k: unknown): unknown {
  if (isScalar(k)) return `${typeof k.value}:${String(k.value)}`;
  return k;
}

function nodeCount(n: unknown): number {
  if (!n || typeof n !== "object") return 0;
  let c = 0;
  visit(n as Node, {
    Node() {
      c++;
    },
  });
  return c;
}

/**
 * A deep copy without anchors (the copy must not redefine them). Node.clone() copies property
 * descriptors one by one, which made a million-node expansion take seconds; this copies the
 * enumerable fields into a fresh node of the same class.
 */
function copyNode(n: Node): Node {
  let c: Node;
  if (isScalar(n)) c = Object.assign(new Scalar(n.value), n);
  else if (isMap(n) || isSeq(n)) {
    const coll = Object.assign(isMap(n) ? new YAMLMap(n.schema) : new YAMLSeq(n.schema), n);
    coll.items = (n.items as unknown[]).map((it) => (isPair(it) ? new Pair(copyAny(it.key), copyAny(it.value)) : copyAny(it))) as typeof coll.items;
    c = coll;
  } else c = n.clone() as Node;
  if (c.anchor) delete (c as { anchor?: string }).anchor;
  return c;
}

function copyAny(x: unknown): unknown {
  return x && typeof x === "object" ? copyNode(x as Node) : x;
}
