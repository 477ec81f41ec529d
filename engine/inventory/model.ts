// The inventory as Ansible models it: groups form a DAG under `all`, hosts belong to groups, and
// every variable keeps the place where it was defined so that type errors can point at it.
// Pure: no I/O. The parsers (ini.ts, yaml-inventory.ts, script.ts) fill it; load.ts drives them.
import { InputError, type SourcePos } from "../core/errors.js";
import { errorAt } from "../core/yaml.js";

/** Variables with the position of each definition. */
export interface VarLayer {
  vars: Record<string, unknown>;
  pos: Map<string, SourcePos>;
}

export function emptyLayer(): VarLayer {
  return { vars: Object.create(null) as Record<string, unknown>, pos: new Map() };
}

export function setVar(layer: VarLayer, key: string, value: unknown, pos?: SourcePos): void {
  layer.vars[key] = value;
  if (pos) layer.pos.set(key, pos);
  else layer.pos.delete(key);
}

/** `a | b` of Python dicts: keys of b replace keys of a (Ansible's default hash_behaviour=replace). */
export function mergeLayer(into: VarLayer, from: VarLayer): void {
  for (const [k, v] of Object.entries(from.vars)) setVar(into, k, v, from.pos.get(k));
}

export class Group {
  /** Longest path from `all`; with priority and name it orders group vars (Ansible's sort_groups). */
  depth = 0;
  priority = 1;
  readonly inline: VarLayer = emptyLayer();
  /** group_vars/ files, merged in source order. */
  readonly files: VarLayer = emptyLayer();
  readonly children: Group[] = [];
  readonly parents: Group[] = [];
  readonly hosts: Host[] = [];
  /** Membership index of `hosts`. */
  readonly hostSet = new Set<Host>();
  constructor(
    readonly name: string,
    readonly pos?: SourcePos,
  ) {}
}

export class Host {
  readonly inline: VarLayer = emptyLayer();
  /** host_vars/ files, merged in source order. */
  readonly files: VarLayer = emptyLayer();
  /** Groups the host was added to directly, in order. */
  readonly groups: Group[] = [];
  constructor(
    readonly name: string,
    readonly pos?: SourcePos,
  ) {}
}

export class InventoryData {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();

  constructor() {
    this.addGroup("all");
    this.addGroup("ungrouped");
    this.addChild("all", "ungrouped");
  }

  addGroup(name: string, pos?: SourcePos): Group {
    if (!name) throw errorOrPlain("empty group name", pos, "give the group a name");
    let g = this.groups.get(name);
    if (!g) {
      g = new Group(name, pos);
      this.groups.set(name, g);
    }
    return g;
  }

  group(name: string): Group | undefined {
    return this.groups.get(name);
  }

  addHost(name: string, group?: string, port?: number, pos?: SourcePos): Host {
    if (!name) throw errorOrPlain("empty host name", pos, "give the host a name");
    let h = this.hosts.get(name);
    if (!h) {
      h = new Host(name, pos);
      this.hosts.set(name, h);
      // Ansible's Host(name, port) sets ansible_port when a port was given with the name
      if (port) setVar(h.inline, "ansible_port", port, pos);
    }
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) throw errorOrPlain(`group '${group}' is not defined`, pos);
      if (!g.hostSet.has(h)) {
        g.hosts.push(h);
        g.hostSet.add(h);
        h.groups.push(g);
      }
    }
    return h;
  }

  /** Adds child group `child` under `parent`; a loop is an error at `pos`. */
  addChild(parent: string, child: string, pos?: SourcePos): void {
    const p = this.groups.get(parent);
    if (!p) throw errorOrPlain(`group '${parent}' is not defined`, pos);
    const c = this.groups.get(child);
    if (!c) {
      const h = this.hosts.get(child);
      if (!h) throw errorOrPlain(`'${child}' is not a known host or group`, pos);
      this.addHost(child, parent, undefined, pos);
      return;
    }
    if (p === c) throw errorOrPlain(`group '${parent}' cannot be a child of itself`, pos, "remove it from its own children");
    if (p.children.includes(c)) return;
    if (ancestors(p).has(c)) {
      throw errorOrPlain(
        `adding group '${child}' as a child of '${parent}' creates a loop`,
        pos,
        `'${parent}' is already a descendant of '${child}'; remove one of the two relations`,
      );
    }
    p.children.push(c);
    if (!c.parents.includes(p)) c.parents.push(p);
  }

  /** Sets a variable of a group (ansible_group_priority is the group's priority, not a variable). */
  setGroupVar(g: Group, key: string, value: unknown, pos?: SourcePos): void {
    if (key === "ansible_group_priority") {
      const n = typeof value === "number" ? value : typeof value === "string" && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n))
        throw errorOrPlain(`ansible_group_priority of group '${g.name}' must be an integer`, pos, "write e.g. ansible_group_priority: 10");
      g.priority = n;
      return;
    }
    setVar(g.inline, key, value, pos);
  }

  setHostVar(h: Host, key: string, value: unknown, pos?: SourcePos): void {
    setVar(h.inline, key, value, pos);
  }

  /** Ansible's reconcile_inventory: orphan groups go under `all`, hosts without a group into `ungrouped`. */
  reconcile(): void {
    const all = this.groups.get("all")!;
    const ungrouped = this.groups.get("ungrouped")!;
    for (const g of this.groups.values()) {
      if (g !== all && g.parents.length === 0) this.addChild("all", g.name);
    }
    for (const h of this.hosts.values()) {
      const mine = hostGroups(h);
      if (mine.includes(ungrouped)) {
        if (mine.some((g) => g !== all && g !== ungrouped)) {
          ungrouped.hosts.splice(ungrouped.hosts.indexOf(h), 1);
          ungrouped.hostSet.delete(h);
          h.groups.splice(h.groups.indexOf(ungrouped), 1);
        }
      } else if (mine.length === 0 || (mine.length === 1 && mine[0] === all)) {
        ungrouped.hosts.push(h);
        ungrouped.hostSet.add(h);
        h.groups.push(ungrouped);
      }
    }
    // depth: longest path from `all`
    const memo = new Map<Group, number>();
    const depth = (g: Group): number => {
      const m = memo.get(g);
      if (m !== undefined) return m;
      const d = g.parents.length === 0 ? 0 : Math.max(...g.parents.map((p) => depth(p) + 1));
      memo.set(g, d);
      return d;
    };
    for (const g of this.groups.values()) g.depth = depth(g);
  }
}

export function ancestors(g: Group): Set<Group> {
  const seen = new Set<Group>();
  const todo = [...g.parents];
  while (todo.length) {
    const x = todo.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    todo.push(...x.parents);
  }
  return seen;
}

/** Group itself then descendants breadth first (Ansible's get_descendants(preserve_ordering=True)). */
export function descendants(g: Group, includeSelf: boolean): Group[] {
  const out: Group[] = includeSelf ? [g] : [];
  const seen = new Set<Group>(out);
  let level = [g];
  while (level.length) {
    const next: Group[] = [];
    for (const x of level) {
      for (const c of x.children) {
        if (seen.has(c)) continue;
        seen.add(c);
        out.push(c);
        next.push(c);
      }
    }
    level = next;
  }
  return out;
}

/** Hosts of a group and of its descendants, deduplicated, in Ansible's order. */
export function groupHosts(g: Group): Host[] {
  const out: Host[] = [];
  const seen = new Set<Host>();
  for (const k of descendants(g, true)) {
    for (const h of k.hosts) {
      if (!seen.has(h)) {
        seen.add(h);
        out.push(h);
      }
    }
  }
  return out;
}

/** Direct groups of a host plus all their ancestors. */
export function hostGroups(h: Host): Group[] {
  const out: Group[] = [];
  const add = (g: Group) => {
    if (!out.includes(g)) out.push(g);
  };
  for (const g of h.groups) {
    for (const a of ancestors(g)) add(a);
    add(g);
  }
  return out;
}

/** Ansible's sort_groups: by depth, then priority, then name. */
export function sortGroups(groups: Group[]): Group[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Merged variables of a host in Ansible's order (VARIABLE_PRECEDENCE default):
 * all (inventory, incl. its group_vars) < other groups by depth/priority/name (inventory, incl. group_vars)
 * < group_vars/all < group_vars/<group> < host inventory vars < host_vars/<host>.
 */
export function hostVarLayer(data: InventoryData, h: Host): VarLayer {
  const all = data.groups.get("all")!;
  const groups = sortGroups(hostGroups(h).filter((g) => g !== all));
  const out = emptyLayer();
  mergeLayer(out, all.inline);
  mergeLayer(out, all.files);
  for (const g of groups) {
    mergeLayer(out, g.inline);
    mergeLayer(out, g.files);
  }
  mergeLayer(out, all.files);
  for (const g of groups) mergeLayer(out, g.files);
  mergeLayer(out, h.inline);
  mergeLayer(out, h.files);
  return out;
}

function errorOrPlain(message: string, pos?: SourcePos, hint?: string): InputError {
  return pos ? errorAt(pos, message, hint) : new InputError(message, undefined, hint);
}
