// The JSON an executable inventory script prints for `--list` (Ansible's `script` plugin format):
// { "group": { "hosts": [...], "vars": {...}, "children": [...] }, "_meta": { "hostvars": {...} } }.
// Pure: the parsed JSON in, InventoryData updated. Running the script is load.ts's job.
import { InputError, type SourcePos } from "../core/errors.js";
import { errorAt } from "../core/yaml.js";
import type { InventoryData } from "./model.js";

export interface ScriptResult {
  /** Hosts the script listed, in order; when `hostvars` is undefined their vars come from `--host`. */
  hosts: string[];
  hostvars?: Record<string, unknown>;
}

/**
 * Parse `--list` output. Bad JSON is an InputError whose position is in the output, labelled
 * `<script> --list (output)`.
 */
export function parseScriptJson(stdout: string, script: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch (e) {
    const label = `${script} --list (output)`;
    const msg = (e as Error).message;
    const { line, col } = jsonErrorPos(stdout, msg);
    const lines = stdout.split("\n");
    throw new InputError(
      `inventory script printed invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, "").replace(/\s*\(line \d+ column \d+\)$/, "")}`,
      { file: label, line, col },
      "an inventory script must print one JSON object for --list (see Ansible's script inventory format)",
      lines[line - 1] ?? "",
    );
  }
}

/** Where JSON.parse failed: Node 22 says "(line L column C)", Node 20 gives no position, so scan. */
export function jsonErrorPos(text: string, msg: string): { line: number; col: number } {
  const m = /\(line (\d+) column (\d+)\)/.exec(msg);
  if (m) return { line: Number(m[1]), col: Number(m[2]) };
  const off = jsonErrorOffset(text);
  const before = text.slice(0, off).split("\n");
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** Offset of the first character that makes `text` invalid JSON (text.length if it ends too early). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  class Bad extends Error {
    constructor(readonly at: number) {
      super();
    }
  }
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Bad(i);
        string();
        ws();
        if (text[i] !== ":") throw new Bad(i);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        throw new Bad(i);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") return void i++;
        throw new Bad(i);
      }
    }
    if (c === '"') return string();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(text.slice(i));
    if (lit) {
      i += lit[0].length;
      return;
    }
    throw new Bad(i);
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c < " ") throw new Bad(i);
      if (c === "\\") {
        const e = text[i + 1] ?? "";
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Bad(i);
          i += 6;
        } else if ('"\\/bfnrt'.includes(e) && e) i += 2;
        else throw new Bad(i);
        continue;
      }
      i++;
    }
    throw new Bad(i);
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (e) {
    if (e instanceof Bad) return Math.min(e.at, text.length);
    throw e;
  }
}

export function applyScriptOutput(data: InventoryData, processed: unknown, script: string): ScriptResult {
  const pos: SourcePos = { file: script, line: 1, col: 1 };
  const fail = (message: string, hint = 'see Ansible\'s script inventory format: {"group": {"hosts": [...], "vars": {...}, "children": [...]}}'): never => {
    throw errorAt(pos, message, hint);
  };
  if (!processed || typeof processed !== "object" || Array.isArray(processed)) {
    fail("inventory script output must be a JSON object of groups", 'print e.g. {"web": {"hosts": ["web1"]}, "_meta": {"hostvars": {}}}');
  }
  const seen = new Set<string>();
  const hosts: string[] = [];
  let hostvars: Record<string, unknown> | undefined;
  for (const [gname, graw] of Object.entries(processed as Record<string, unknown>)) {
    if (gname === "_meta") {
      if (graw && typeof graw === "object" && "hostvars" in graw) {
        const hv = (graw as { hostvars: unknown }).hostvars;
        if (!hv || typeof hv !== "object" || Array.isArray(hv)) fail("_meta.hostvars must be an object of host name to variables");
        hostvars = hv as Record<string, unknown>;
      }
      continue;
    }
    const group = data.addGroup(gname, pos);
    let g: Record<string, unknown>;
    if (!graw || typeof graw !== "object" || Array.isArray(graw)) g = { hosts: graw };
    else if (!("hosts" in graw) && !("vars" in graw) && !("children" in graw)) g = { hosts: [gname], vars: graw };
    else g = graw as Record<string, unknown>;
    if ("hosts" in g) {
      if (!Array.isArray(g.hosts)) fail(`group '${gname}' has bad data for its host list: expected a list of host names`);
      for (const h of g.hosts as unknown[]) {
        if (typeof h !== "string" || !h) fail(`group '${gname}' lists a host that is not a non-empty string: ${JSON.stringify(h)}`);
        if (!seen.has(h as string)) {
          seen.add(h as string);
          hosts.push(h as string);
        }
        data.addHost(h as string, group.name, undefined, pos);
      }
    }
    if ("vars" in g) {
      if (!g.vars || typeof g.vars !== "object" || Array.isArray(g.vars)) fail(`group '${gname}' has bad data for its variables: expected an object`);
      for (const [k, v] of Object.entries(g.vars as Record<string, unknown>)) data.setGroupVar(group, k, v, pos);
    }
    if ("children" in g) {
      const ch = g.children;
      if (!Array.isArray(ch)) fail(`group '${gname}' has bad data for its children: expected a list of group names`);
      for (const c of ch as unknown[]) {
        if (typeof c !== "string" || !c) fail(`group '${gname}' lists a child that is not a non-empty string: ${JSON.stringify(c)}`);
        data.addGroup(c as string, pos);
        data.addChild(group.name, c as string, pos);
      }
    }
  }
  if (hostvars) applyHostvars(data, hosts, hostvars, script);
  return { hosts, hostvars };
}

/** Sets each listed host's variables from `_meta.hostvars` or from `--host` answers. */
export function applyHostvars(data: InventoryData, hosts: string[], hostvars: Record<string, unknown>, script: string): void {
  const pos: SourcePos = { file: script, line: 1, col: 1 };
  for (const h of hosts) {
    const vars = hostvars[h] ?? {};
    if (!vars || typeof vars !== "object" || Array.isArray(vars)) {
      throw errorAt(pos, `variables of host '${h}' must be a JSON object`, 'print {"var": value, ...} for each host');
    }
    const host = data.addHost(h, undefined, undefined, pos);
    for (const [k, v] of Object.entries(vars as Record<string, unknown>)) data.setHostVar(host, k, v, pos);
  }
}
