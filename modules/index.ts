// The explicit, sorted registry of every module keel ships. One import per module file.
// Add a module: create modules/<area>/<noun>.ts exporting `default defineModule({...})`, then one line here.
import { Registry } from "../engine/core/registry.js";
import type { ModuleDef } from "../engine/core/module.js";

export const MODULES: readonly ModuleDef[] = [
];

export const registry = new Registry(MODULES);
