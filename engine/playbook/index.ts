// engine/playbook: load a playbook into a validated Plan, validate module arguments, and describe
// playbooks as a JSON Schema for editors.
import type { Plan } from "../core/plan.js";
import type { Registry } from "../core/registry.js";
import { Loader } from "./load.js";
import { checkLocalFiles } from "./localfiles.js";

export { validateArgs, coerceArgs, parseKeyValue } from "./args.js";
export { playbookSchema } from "./schema.js";
export { packageRoot } from "../core/paths.js";

/**
 * Read a playbook (and its imports, includes, roles and vars_files) into a Plan.
 *
 * Everything is checked before anything runs: YAML syntax, keywords, module names (canonical,
 * Ansible short names and `ansible.builtin.*`, resolved through `registry`), module arguments
 * against each module's JSON Schema (values with `{{ }}` are checked after rendering, with
 * validateArgs), condition syntax, notify targets, include and role dependency cycles, literal
 * copy/template `src` files and the syntax of templates (localfiles.ts).
 *
 * Tasks in the Plan carry effective settings (see the header of load.ts): `when` and `tags`
 * include those of enclosing plays, roles, includes and blocks; become/ignore_errors/no_log/
 * check_mode are inherited when unset. Includes and roles are expanded in place.
 *
 * @throws InputError at the offending file:line:col, with the source line and a hint.
 */
export function loadPlaybook(file: string, opts: { registry: Registry; gathering?: "implicit" | "explicit" | "smart" }): Plan {
  const plan = new Loader(opts.registry, opts.gathering).load(file);
  checkLocalFiles(plan);
  return plan;
}
