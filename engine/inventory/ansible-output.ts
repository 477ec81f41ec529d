// What `ansible-inventory --list` and `--graph` print, built from the same data. Pure.
import { groupHosts, hostVarLayer, type Group, type InventoryData } from "./model.js";

/** Variables ansible-inventory removes from its output (cli/inventory.py INTERNAL_VARS). */
export const INTERNAL_VARS = new Set([
  "ansible_diff_mode",
  "ansible_config_file",
  "ansible_facts",
  "ansible_forks",
  "ansible_inventory_sources",
  "ansible_limit",
  "ansible_playbook_python",
  "ansible_run_tags",
  "ansible_skip_tags",
  "ansible_verbosity",
  "ansible_version",
  "inventory_dir",
  "inventory_file",
  "inventory_hostname",
  "inventory_hostname_short",
  "groups",
  "group_names",
  "omit",
  "playbook_dir",
]);

export function publicVars(vars: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (!INTERNAL_VARS.has(k)) out[k] = v;
  return out;
}

export function ansibleList(data: InventoryData): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  const seen = new Set<string>();
  const format = (g: Group): void => {
    const entry: { hosts?: string[]; children?: string[] } = {};
    if (g.name !== "all") entry.hosts = g.hosts.map((h) => h.name);
    entry.children = [];
    results[g.name] = entry;
    for (const c of g.children) {
      entry.children.push(c.name);
      if (!seen.has(c.name)) {
        format(c);
        seen.add(c.name);
      }
    }
    if (entry.hosts && entry.hosts.length === 0) delete entry.hosts;
    if (entry.children.length === 0) delete entry.children;
    if (Object.keys(entry).length === 0) delete results[g.name];
  };
  format(data.groups.get("all")!);
  const hostvars: Record<string, unknown> = {};
  for (const h of groupHosts(data.groups.get("all")!)) {
    const vars = publicVars(hostVarLayer(data, h).vars);
    if (Object.keys(vars).length) hostvars[h.name] = vars;
  }
  results._meta = { hostvars };
  return results;
}

export function ansibleGraph(data: InventoryData, start = "all"): string {
  const lines: string[] = [];
  const name = (s: string, depth: number) => (depth ? "  |".repeat(depth) + "--" + s : s);
  const walk = (g: Group, depth: number) => {
    lines.push(name(`@${g.name}:`, depth));
    for (const c of g.children) walk(c, depth + 1);
    if (g.name !== "all") for (const h of g.hosts) lines.push(name(h.name, depth + 1));
  };
  walk(data.groups.get(start)!, 0);
  return lines.join("\n");
}

/**
 * Python's json.dumps(x, sort_keys=True, indent=4, ensure_ascii=False), which ansible-inventory
 * uses, so that the two outputs compare byte for byte.
 */
export function pythonJson(value: unknown, indent = 4): string {
  const pad = (n: number) => " ".repeat(n * indent);
  const enc = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
      if (Number.isNaN(v)) return "NaN";
      if (v === Infinity) return "Infinity";
      if (v === -Infinity) return "-Infinity";
      return JSON.stringify(v);
    }
    if (typeof v === "string") return JSON.stringify(v);
    if (v instanceof Date) return JSON.stringify(v.toISOString());
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      return "[\n" + v.map((x) => pad(level + 1) + enc(x, level + 1)).join(",\n") + "\n" + pad(level) + "]";
    }
    if (typeof v === "object") {
      const keys = Object.keys(v as object).sort(codePointCompare);
      if (keys.length === 0) return "{}";
      return (
        "{\n" +
        keys.map((k) => pad(level + 1) + JSON.stringify(k) + ": " + enc((v as Record<string, unknown>)[k], level + 1)).join(",\n") +
        "\n" +
        pad(level) +
        "}"
      );
    }
    return JSON.stringify(String(v));
  };
  return enc(value, 0);
}

/** Python compares str by code point; JS's default sort compares UTF-16 units. */
function codePointCompare(a: string, b: string): number {
  const ia = [...a];
  const ib = [...b];
  for (let i = 0; i < Math.min(ia.length, ib.length); i++) {
    const d = ia[i]!.codePointAt(0)! - ib[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return ia.length - ib.length;
}
