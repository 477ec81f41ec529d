// engine/inventory: Ansible-compatible inventories (YAML, INI, scripts, directories, group_vars/ and
// host_vars/), host patterns, and the HostSpec of each host. The public API is this file.
import { join } from "node:path";
import { didYouMean, InputError, type SourcePos } from "../core/errors.js";
import { packageRoot } from "../core/paths.js";
import type { HostSpec } from "../core/host.js";
import { ansibleGraph, ansibleList, publicVars } from "./ansible-output.js";
import { CONNECTION_VARS, hostSpec } from "./hostspec.js";
import { loadSources } from "./load.js";
import { groupHosts, hostGroups, hostVarLayer, Host, type InventoryData } from "./model.js";
import { LOCALHOST_NAMES, matchPattern } from "./patterns.js";

export { pythonJson } from "./ansible-output.js";

export interface Inventory {
  /** All host names, inventory order, deduplicated. */
  hosts(): string[];
  groups(): string[];
  /** Merged vars (all < parent groups < child groups < host, Ansible's order incl. group_vars/host_vars)
      and connection settings; ansible_* aliases mapped. */
  host(name: string): HostSpec;
  /** Host patterns: all, *, group, glob (web*), a:b union, a:&b intersection, a:!b exclusion, ~regex,
      comma separators too. Unknown names/bad regex -> InputError at `pos` with did-you-mean; with
      `unknown`, unknown names are collected there instead and match nothing (a bad regex still throws). */
  match(pattern: string, pos?: SourcePos, unknown?: string[]): string[];
  /** Same JSON as `ansible-inventory -i X --list` (print it with pythonJson for identical text). */
  toAnsibleList(): Record<string, unknown>;
  /** Like `ansible-inventory --graph`. */
  graph(): string;
  /** Like `ansible-inventory --host NAME`: the host's merged variables. */
  hostVars(name: string): Record<string, unknown>;
}

/**
 * Loads and merges inventory sources: YAML or INI files, executable scripts, directories of those,
 * or a comma-separated host list (`web1,web2,`). Relative paths resolve against opts.cwd.
 */
export async function loadInventory(sources: string[], opts: { cwd?: string } = {}): Promise<Inventory> {
  const data = await loadSources(sources, opts.cwd ?? process.cwd());
  return new LoadedInventory(data);
}

/** inventories/localhost.yml of the keel package: the default inventory. */
export function defaultInventoryPath(): string {
  return join(packageRoot(), "inventories", "localhost.yml");
}

class LoadedInventory implements Inventory {
  private readonly specs = new Map<string, HostSpec>();
  private allHosts?: Host[];

  constructor(private readonly data: InventoryData) {}

  private ordered(): Host[] {
    return (this.allHosts ??= groupHosts(this.data.groups.get("all")!));
  }

  hosts(): string[] {
    return this.ordered().map((h) => h.name);
  }

  groups(): string[] {
    return [...this.data.groups.keys()];
  }

  host(name: string): HostSpec {
    const cached = this.specs.get(name);
    if (cached) return cached;
    const h = this.lookup(name);
    const layer = hostVarLayer(this.data, h);
    const implicit = !this.data.hosts.has(name);
    if (implicit) {
      layer.vars.ansible_connection = "local";
      layer.pos.delete("ansible_connection");
    }
    const v = layer.vars;
    const localName = LOCALHOST_NAMES.includes(name);
    const set = (names: readonly string[]) => names.some((k) => v[k] !== undefined && v[k] !== null);
    const implicitLocal = localName && !set(CONNECTION_VARS.connection) && !set(CONNECTION_VARS.address) && !set(CONNECTION_VARS.port);
    const groups = hostGroups(h)
      .map((g) => g.name)
      .filter((g) => g !== "all")
      .sort();
    const spec = hostSpec(name, layer, groups, implicitLocal);
    this.specs.set(name, spec);
    return spec;
  }

  hostVars(name: string): Record<string, unknown> {
    const h = this.lookup(name);
    const layer = hostVarLayer(this.data, h);
    return publicVars(layer.vars);
  }

  /** An inventory host, or the implicit localhost, or an error with a suggestion. */
  private lookup(name: string): Host {
    const h = this.data.hosts.get(name);
    if (h) return h;
    if (LOCALHOST_NAMES.includes(name)) return new Host(name);
    const close = didYouMean(name, this.data.hosts.keys());
    throw new InputError(
      `host '${name}' is not in the inventory`,
      undefined,
      close ? `did you mean '${close}'?` : "run `keel inventory --graph` to see the hosts",
    );
  }

  match(pattern: string, pos?: SourcePos, unknown?: string[]): string[] {
    return matchPattern(unknown ? { data: this.data, allHosts: this.ordered(), unknown } : { data: this.data, allHosts: this.ordered() }, pattern, pos);
  }

  toAnsibleList(): Record<string, unknown> {
    return ansibleList(this.data);
  }

  graph(): string {
    return ansibleGraph(this.data);
  }
}
