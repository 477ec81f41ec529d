// Ansible's INI inventory format, parsed the way its `ini` plugin does, with line and column
// numbers for every error. Pure: text in, InventoryData updated.
import type { SourcePos } from "../core/errors.js";
import { InputError, didYouMean } from "../core/errors.js";
import type { InventoryData } from "./model.js";
import { iniValue } from "./pyliteral.js";
import { expandHostPattern, RangeError_ } from "./ranges.js";
import { shlexSplit, ShlexError } from "./shlex.js";

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUPNAME = /^([^:\]\s]+)\s*(?:#.*)?$/;
// Python's str.splitlines() boundaries
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

type Section = "hosts" | "vars" | "children";

interface Pending {
  line: number;
  col: number;
  state: "vars" | "children";
  name: string;
  parents: { name: string; line: number; col: number }[];
}

export function parseIni(text: string, file: string, data: InventoryData): void {
  const lines = text.split(LINE_BREAKS);
  const fail = (message: string, line: number, col: number, hint?: string): never => {
    throw new InputError(message, { file, line, col }, hint, lines[line - 1] ?? "");
  };
  const pending = new Map<string, Pending>();
  let group = "ungrouped";
  let state = "hosts" as Section;

  const addPendingChildren = (g: string) => {
    const p = pending.get(g)!;
    for (const parent of p.parents) {
      data.addChild(parent.name, g, { file, line: parent.line, col: parent.col });
      const pp = pending.get(parent.name);
      if (pp && pp.state === "children") addPendingChildren(parent.name);
    }
    pending.delete(g);
  };

  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const raw = lines[n]!;
    const line = raw.trim();
    const col0 = raw.length - raw.trimStart().length + 1;
    const pos = (offset = 0): SourcePos => ({ file, line: lineNo, col: col0 + offset });
    if (!line || line[0] === "#" || line[0] === ";") continue;

    const m = SECTION.exec(line);
    if (m) {
      // Ansible only warns about characters such as '-' in group names (TRANSFORM_INVALID_GROUP_CHARS=never)
      const name = m[1]!;
      const kind = m[2] ?? "hosts";
      if (kind !== "hosts" && kind !== "children" && kind !== "vars") {
        fail(`section [${m[1]}:${kind}] has unknown type '${kind}'`, lineNo, col0 + m[1]!.length + 2, "a section is [group], [group:children] or [group:vars]");
      }
      group = name;
      state = kind as Section;
      if (!data.group(name)) {
        if (state === "vars" && !pending.has(name)) {
          pending.set(name, { line: lineNo, col: col0, state: "vars", name, parents: [] });
        }
        data.addGroup(name, pos(1));
      }
      const p = pending.get(name);
      if (p && state !== "vars") {
        if (p.state === "children") addPendingChildren(name);
        else pending.delete(name);
      }
      continue;
    }
    if (line.startsWith("[") && line.endsWith("]")) {
      fail(`invalid section '${line}'`, lineNo, col0, "a section header has no spaces: [group], [group:children] or [group:vars]");
    }

    if (state === "hosts") {
      let tokens;
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        if (e instanceof ShlexError)
          fail(`cannot parse host line: ${e.message.toLowerCase()}`, lineNo, col0, "close every quote; escape a literal quote with a backslash");
        throw e;
      }
      if (tokens.length === 0) continue;
      const first = tokens[0]!;
      let expanded: { hosts: string[]; port?: number };
      try {
        expanded = expandHostPattern(first.text);
      } catch (e) {
        if (e instanceof RangeError_) {
          fail(
            `bad host range in '${first.text}': ${e.message}`,
            lineNo,
            col0 + first.start,
            e.hint ?? "a range is [01:20], [a:f] or [1:9:2], e.g. web[01:20].example.com",
          );
        }
        throw e;
      }
      if (first.text.trim().endsWith(":") && expanded.port === undefined) {
        fail(`host '${first.text}' ends in ':'`, lineNo, col0 + first.start, "':' introduces a port, e.g. db1:2222");
      }
      if (expanded.hosts.some((h) => h.trim() === "---")) {
        fail("'---' is not a host name", lineNo, col0 + first.start, "this looks like a YAML file; give it a .yml extension");
      }
      const vars: [string, unknown, SourcePos][] = [];
      for (const t of tokens.slice(1)) {
        const eq = t.text.indexOf("=");
        if (eq < 0) {
          fail(
            `expected key=value after the host name, got '${t.text}'`,
            lineNo,
            col0 + t.start,
            'host variables are written key=value; quote values with spaces: key="a b"',
          );
        }
        vars.push([t.text.slice(0, eq), iniValue(t.text.slice(eq + 1)), pos(t.start)]);
      }
      for (const h of expanded.hosts) {
        const host = data.addHost(h, group, expanded.port, pos(first.start));
        for (const [k, v, p] of vars) data.setHostVar(host, k, v, p);
      }
    } else if (state === "vars") {
      const eq = line.indexOf("=");
      if (eq < 0) fail(`expected key=value in [${group}:vars], got '${line}'`, lineNo, col0, "write one variable per line: name=value");
      const key = line.slice(0, eq).trim();
      const value = iniValue(line.slice(eq + 1).trim());
      data.setGroupVar(data.group(group)!, key, value, pos());
    } else {
      const gm = GROUPNAME.exec(line);
      if (!gm) fail(`expected a group name in [${group}:children], got '${line}'`, lineNo, col0, "list one child group per line");
      const child = gm![1]!;
      if (!data.group(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineNo, col: col0, state: "children", name: child, parents: [{ name: group, line: lineNo, col: col0 }] });
        else p.parents.push({ name: group, line: lineNo, col: col0 });
      } else {
        data.addChild(group, child, pos());
      }
    }
  }

  for (const p of pending.values()) {
    if (p.state === "vars") {
      fail(`section [${p.name}:vars] is for a group that is not defined`, p.line, p.col, `define the group with a [${p.name}] section, or fix the name`);
    } else {
      const parent = p.parents[p.parents.length - 1]!;
      const close = didYouMean(p.name, [...data.groups.keys()]);
      fail(
        `[${parent.name}:children] includes undefined group '${p.name}'`,
        parent.line,
        parent.col,
        close ? `did you mean '${close}'?` : `define it with a [${p.name}] section`,
      );
    }
  }
}
