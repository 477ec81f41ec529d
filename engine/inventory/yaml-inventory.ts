// Ansible's YAML inventory format (`all:` / `hosts:` / `children:` / `vars:`), strictly: where
// Ansible warns and skips (an unknown key in a group, a group that is not a mapping), keel stops
// with an error at the offending line. Pure: a parsed YamlFile in, InventoryData updated.
import { didYouMean, type SourcePos } from "../core/errors.js";
import { isMap, isScalar, isSeq, type Node, type YamlFile } from "../core/yaml.js";
import type { InventoryData } from "./model.js";
import { expandHostPattern, RangeError_ } from "./ranges.js";
import { entries11, resolvePlain11, toJs11 } from "./yaml11.js";

const SECTIONS = ["hosts", "children", "vars"];

export function parseYamlInventory(yf: YamlFile, data: InventoryData): void {
  const root = yf.root;
  const js = (n: unknown) => toJs11(n, yf.doc);
  if (root === undefined || (isScalar(root) && js(root) === null)) return; // empty file: no hosts
  if (!isMap(root)) {
    throw yf.error(
      `a YAML inventory must be a mapping of group names, found ${kind(root)}`,
      root,
      "start with `all:` and put hosts under `hosts:`, e.g.\nall:\n  hosts:\n    web1:",
    );
  }
  for (const pair of root.items) {
    if (keyOf(pair.key) === "plugin") {
      throw yf.error("inventory plugin configuration files are not supported", pair, "list hosts and groups under `all:` instead");
    }
  }
  for (const pair of root.items) parseGroup(yf, data, pair.key as Node, pair.value as Node | null, js);
}

function parseGroup(yf: YamlFile, data: InventoryData, keyNode: Node, value: Node | null, js: (n: unknown) => unknown): string {
  const name = keyOf(keyNode);
  if (typeof name !== "string" || name === "") {
    throw yf.error("a group name must be a non-empty string", keyNode, "quote the group name");
  }
  const isNull = value === null || (isScalar(value) && js(value) === null);
  if (!isNull && !isMap(value)) {
    throw yf.error(
      `group '${name}' must be a mapping with hosts, children or vars, found ${kind(value)}`,
      value ?? keyNode,
      `write its hosts under \`hosts:\`, e.g.\n${name}:\n  hosts:\n    web1:`,
    );
  }
  const group = data.addGroup(name, yf.pos(keyNode));
  if (isNull || !isMap(value)) return group.name;

  for (const pair of value.items) {
    const key = keyOf(pair.key);
    if (typeof key !== "string" || !SECTIONS.includes(key)) {
      const close = typeof key === "string" ? didYouMean(key, SECTIONS) : undefined;
      throw yf.error(
        `unknown key '${String(key)}' in group '${name}'`,
        pair,
        close ? `did you mean '${close}'?` : `a group may only contain 'hosts', 'children' and 'vars'; to add host ${String(key)}, put it under 'hosts:'`,
      );
    }
    const sec = pair.value as Node | null;
    if (sec === null || (isScalar(sec) && js(sec) === null)) continue;
    // a string is allowed as a one-entry mapping (`hosts: web1`)
    const entries: { k: Node; v: Node | null }[] = [];
    if (isScalar(sec) && typeof js(sec) === "string") entries.push({ k: sec, v: null });
    else if (isMap(sec)) for (const p of sec.items) entries.push({ k: p.key as Node, v: p.value as Node | null });
    else {
      throw yf.error(
        `'${key}' of group '${name}' must be a mapping, found ${kind(sec)}`,
        sec,
        isSeq(sec) ? `write one entry per line with a colon, e.g.\n  ${key}:\n    ${key === "vars" ? "name: value" : "web1:"}` : undefined,
      );
    }
    if (key === "vars") {
      for (const e of entries11(sec, yf.doc)) data.setGroupVar(group, e.key, e.value, yf.pos(e.at));
    } else if (key === "children") {
      for (const { k, v } of entries) {
        const child = parseGroup(yf, data, k, v, js);
        data.addChild(group.name, child, yf.pos(k));
      }
    } else {
      for (const { k, v } of entries) addHosts(yf, data, group.name, k, v, js);
    }
  }
  return group.name;
}

function addHosts(yf: YamlFile, data: InventoryData, group: string, k: Node, v: Node | null, js: (n: unknown) => unknown): void {
  const pattern = keyOf(k);
  if (typeof pattern !== "string") {
    throw yf.error(`host name ${String(pattern)} must be a string`, k, `enclose numbers in quotes: "${String(pattern)}":`);
  }
  const isNull = v === null || (isScalar(v) && js(v) === null);
  if (!isNull && !isMap(v)) {
    throw yf.error(
      `host '${pattern}' must map to its variables, found ${kind(v)}`,
      v ?? k,
      `write variables as a mapping (\`${pattern}:\\n  ansible_host: 10.0.0.1\`), or leave the value empty`,
    );
  }
  let expanded: { hosts: string[]; port?: number };
  try {
    expanded = expandHostPattern(pattern);
  } catch (e) {
    if (e instanceof RangeError_) {
      throw yf.error(`bad host range in '${pattern}': ${e.message}`, k, e.hint ?? "a range is [01:20], [a:f] or [1:9:2], e.g. web[01:20].example.com");
    }
    throw e;
  }
  const vars: [string, unknown, SourcePos][] = [];
  if (!isNull && isMap(v)) for (const e of entries11(v, yf.doc)) vars.push([e.key, e.value, yf.pos(e.at)]);
  for (const h of expanded.hosts) {
    const host = data.addHost(h, group, expanded.port, yf.pos(k));
    for (const [name, value, pos] of vars) data.setHostVar(host, name, value, pos);
  }
}

function keyOf(n: unknown): unknown {
  if (isScalar(n)) {
    // PyYAML resolves keys too: `10:` is an integer, not a host name
    if (!n.tag && n.type === "PLAIN" && typeof n.source === "string") return resolvePlain11(n.source);
    return n.value;
  }
  return n === null || n === undefined ? null : "[complex key]";
}

function kind(n: unknown): string {
  if (n === null || n === undefined) return "nothing";
  if (isSeq(n)) return "a list";
  if (isMap(n)) return "a mapping";
  if (isScalar(n)) {
    const v = n.value;
    return typeof v === "string" ? `the string '${v}'` : `the ${typeof v} ${String(v)}`;
  }
  return "an unsupported value";
}
