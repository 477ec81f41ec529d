// Module lookup by canonical name or alias. The list itself is modules/index.ts (explicit, sorted).
import type { ModuleDef } from "./module.js";
import { didYouMean } from "./errors.js";

export class Registry {
  private readonly byName = new Map<string, ModuleDef>();

  constructor(readonly modules: readonly ModuleDef[]) {
    for (const m of modules) {
      for (const n of [m.name, ...(m.aliases ?? [])]) {
        for (const key of [n, `ansible.builtin.${n}`, `ansible.posix.${n}`]) {
          if (this.byName.has(key) && this.byName.get(key) !== m) {
            throw new Error(`module name ${key} registered twice`);
          }
          this.byName.set(key, m);
        }
      }
    }
  }

  get(name: string): ModuleDef | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Every accepted module key (canonical, aliases and ansible.builtin.* forms). */
  names(): string[] {
    return [...this.byName.keys()];
  }

  suggest(name: string): string | undefined {
    const short = [...new Set(this.modules.flatMap((m) => [m.name, ...(m.aliases ?? [])]))];
    return didYouMean(name.replace(/^ansible\.builtin\./, ""), short);
  }
}
