// Variables as templates see them: Ansible's precedence layers, lazily rendered values and omit.
import { UndefinedVarError, ExprEvalError, ExprSyntaxError } from "./expr.js";
import { OMIT, TemplateSyntaxError, hasTemplate, renderDeep } from "./hbs.js";
import { isSecretName, noteSecretRead, registerSecretName, secretReads } from "../core/secrets.js";

/**
 * The variable layers of one task on one host. Each is a plain mapping; missing layers are empty.
 *
 * Precedence, low -> high (a later layer replaces a whole top-level variable of an earlier one;
 * mappings are not merged deeply, as with Ansible's default `hash_behaviour = replace`):
 *
 *   1. roleDefaults  — the role's defaults/main.yml
 *   2. inventory     — group vars (all < parent < child) then host vars, already merged by the inventory
 *   3. playVars      — the play's `vars:`
 *   4. varsFiles     — the play's `vars_files:`, in order
 *   5. roleVars      — the role's vars/main.yml, then the role entry's `vars:`/parameters
 *   6. blockVars     — enclosing blocks' `vars:`, outer to inner, merged by the runner
 *   7. taskVars      — the task's `vars:` (and vars given to an include)
 *   8. registered    — `register:` results and `set_fact`
 *   9. extraVars     — `-e` on the command line; always win
 */
export interface VarLayers {
  roleDefaults?: Record<string, unknown>;
  inventory?: Record<string, unknown>;
  playVars?: Record<string, unknown>;
  varsFiles?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
  blockVars?: Record<string, unknown>;
  taskVars?: Record<string, unknown>;
  registered?: Record<string, unknown>;
  extraVars?: Record<string, unknown>;
}

/** The layer order of VarLayers, low -> high. */
export const VAR_PRECEDENCE: readonly (keyof VarLayers)[] = [
  "roleDefaults",
  "inventory",
  "playVars",
  "varsFiles",
  "roleVars",
  "blockVars",
  "taskVars",
  "registered",
  "extraVars",
];

/**
 * Merge the layers into the variables a task sees (see VarLayers for the precedence).
 *
 * Values are templated when they are used, as in Ansible (`app_dir: "/opt/{{ app_name }}"`, then
 * `{{ app_dir }}/bin`): every entry point here (renderString, renderValue, renderText, evaluate,
 * isTrue) reads variables through lazyVars. Lists and mappings are rendered only when they come
 * from a layer written by people (so through this function), never `registered` results (a
 * command's stdout may hold `{{`), and `hostvars` is left as written (its templates belong to
 * the other hosts).
 */
export function layerVars(l: VarLayers): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of VAR_PRECEDENCE) {
    const layer = l[k];
    if (!layer) continue;
    Object.assign(out, layer);
    if (k === "registered") continue;
    for (const name in layer) {
      const v = layer[name];
      if (v !== null && typeof v === "object" && name !== "hostvars" && name !== "groups" && !UNSAFE_VALUES.has(v) && hasTemplateCached(v)) TEMPLATED.add(v);
    }
  }
  if (l.registered) {
    const reg = l.registered;
    const marks = WRITTEN_KEYS.get(reg);
    // still the value include_vars loaded (a later register or set_fact of the name replaced it otherwise)
    const written = (k: string) => marks !== undefined && marks.has(k) && Object.is(marks.get(k), reg[k]);
    const unsafe = new Set(Object.keys(reg).filter((k) => !(l.extraVars && Object.hasOwn(l.extraVars, k)) && !written(k)));
    if (unsafe.size) UNSAFE_KEYS.set(out, unsafe);
    if (marks)
      for (const name of marks.keys()) {
        const v = reg[name];
        if (written(name) && v !== null && typeof v === "object" && hasTemplateCached(v) && !(l.extraVars && Object.hasOwn(l.extraVars, name)))
          TEMPLATED.add(v);
      }
  }
  return out;
}

/**
 * For a host's `registered` store: the variables whose values were written by people rather than
 * produced by a task (include_vars loads them from a vars file), with the value loaded. Ansible
 * templates those when they are read, as any play or role variable (`line: "Listen {{ port }}"` in
 * vars/Debian.yml); register and set_fact results stay as they are. A name counts only while it
 * still holds the loaded value, so a later register or set_fact of the same name is never templated.
 */
const WRITTEN_KEYS = new WeakMap<object, Map<string, unknown>>();

/** Record (written true) or forget the variables of a registered store that come from a vars file. */
export function markWrittenVars(registered: Record<string, unknown>, names: Iterable<string>, written: boolean): void {
  let marks = WRITTEN_KEYS.get(registered);
  if (!marks) {
    if (!written) return;
    WRITTEN_KEYS.set(registered, (marks = new Map()));
  }
  for (const n of names) {
    if (written) marks.set(n, registered[n]);
    else marks.delete(n);
  }
}

/**
 * Values a task produced that the runner hands on through a layer written by people (a rescue's
 * `ansible_failed_result` and `ansible_failed_task` in its block vars): never templated, as Ansible
 * marks them unsafe. A failure message may quote a template (`{{ body_option("Include", x) -}}`).
 */
const UNSAFE_VALUES = new WeakSet<object>();

/** Mark a task's result (or another produced value) as data, never a template (see UNSAFE_VALUES). */
export function markUnsafe<T extends object>(v: T): T {
  UNSAFE_VALUES.add(v);
  return v;
}

/** `ansible_facts` of task results written by people (include_vars): hosts that adopt them (run_once) mark them too. */
const WRITTEN_RESULTS = new WeakSet<object>();

/** Note that a task result's `ansible_facts` object comes from a vars file (see markWrittenVars). */
export function markWrittenResult(reg: object): void {
  WRITTEN_RESULTS.add(reg);
}

export function isWrittenResult(reg: object): boolean {
  return WRITTEN_RESULTS.has(reg);
}

// ---------------------------------------------------------------------------------------------
// Lazy variables and omit

/**
 * Variables every template sees unless the playbook defines them: `omit`, and Ansible's default
 * `ansible_managed` text (the same words, so a file templated by Ansible does not drift under keel).
 */
export const BUILTIN_VARS: Record<string, unknown> = { omit: OMIT, ansible_managed: "Ansible managed" };

/** Lists and mappings from the variable layers that hold templates (see layerVars). */
export const TEMPLATED = new WeakSet<object>();
/** For a layerVars result: top-level keys whose value is a registered result or a set_fact. */
export const UNSAFE_KEYS = new WeakMap<object, Set<string>>();
export const HAS_TEMPLATE = new WeakMap<object, boolean>();
export const LAZY = new WeakSet<object>();

export function hasTemplateCached(v: object): boolean {
  let hit = HAS_TEMPLATE.get(v);
  if (hit === undefined) HAS_TEMPLATE.set(v, (hit = hasTemplate(v)));
  return hit;
}

export interface LazyState {
  cache: Map<string, unknown>;
  busy: string[];
  unsafe?: Set<string>;
}

/**
 * A view of `vars` that renders a variable's templates when the variable is read, once per view,
 * and knows `omit`. Reading a variable whose template uses an undefined variable throws
 * UndefinedVarError naming both (`via`); a variable that refers to itself is an ExprEvalError.
 */
export function lazyVars(vars: Record<string, unknown>): Record<string, unknown> {
  if (LAZY.has(vars)) return vars;
  const state: LazyState = { cache: new Map(), busy: [] };
  const unsafe = UNSAFE_KEYS.get(vars);
  if (unsafe) state.unsafe = unsafe;
  const proxy: Record<string, unknown> = new Proxy(vars, {
    get(t, k, r) {
      if (typeof k !== "string") return Reflect.get(t, k, r);
      // `vars`: Ansible's mapping of every variable (`vars['pkg_' + name]`), this view itself
      if (!Object.hasOwn(t, k)) return Object.hasOwn(BUILTIN_VARS, k) ? BUILTIN_VARS[k] : k === "vars" ? proxy : Reflect.get(t, k, r);
      const raw = t[k];
      const lazy =
        typeof raw === "string"
          ? raw.includes("{{") && !state.unsafe?.has(k)
          : raw !== null && typeof raw === "object" && TEMPLATED.has(raw) && k !== "hostvars";
      const v = lazy ? resolveVar(k, raw, proxy, state) : raw;
      if (isSecretName(k)) noteSecretRead(v);
      return v;
    },
    has: (t, k) => k in t || k === "vars" || (typeof k === "string" && Object.hasOwn(BUILTIN_VARS, k)),
    getOwnPropertyDescriptor(t, k) {
      const d = Reflect.getOwnPropertyDescriptor(t, k);
      if (!d && k === "vars") return { value: proxy, writable: true, enumerable: false, configurable: true };
      if (d || typeof k !== "string" || !Object.hasOwn(BUILTIN_VARS, k)) return d;
      return { value: BUILTIN_VARS[k], writable: true, enumerable: false, configurable: true };
    },
  });
  LAZY.add(proxy);
  return proxy;
}

export function resolveVar(name: string, raw: unknown, vars: Record<string, unknown>, state: LazyState): unknown {
  if (state.cache.has(name)) return state.cache.get(name);
  const at = state.busy.indexOf(name);
  if (at !== -1) throw new ExprEvalError(`recursive loop: variable '${name}' refers to itself (${[...state.busy.slice(at), name].join(" -> ")})`);
  state.busy.push(name);
  let v: unknown;
  const reads = secretReads();
  try {
    v = renderDeep(raw, vars);
    // `db_password: "{{ vault_db_password }}"`: a variable made from a vaulted one is one too (its
    // cached value is read later without reading the vaulted one again)
    if (secretReads() !== reads) registerSecretName(name);
  } catch (e) {
    if (e instanceof UndefinedVarError) throw new UndefinedVarError(e.varName, [name, ...e.via]);
    if (e instanceof ExprEvalError && e.message.startsWith("recursive loop")) throw e;
    if (e instanceof ExprEvalError || e instanceof ExprSyntaxError || e instanceof TemplateSyntaxError || e instanceof SyntaxError) {
      throw new ExprEvalError(`in the value of '${name}': ${e.message}`);
    }
    throw e;
  } finally {
    state.busy.pop();
  }
  state.cache.set(name, v);
  return v;
}

/**
 * A deep copy of a rendered value made of plain data: lists and mappings are copied key by key
 * through their views (the lazy variables, `vars`, `hostvars`), so each variable is rendered and each
 * read of a vaulted one is noted (engine/core/secrets.ts) while the caller watches; structuredClone
 * cannot copy those views at all. A variable that fails to render is copied as written, as Ansible
 * shows an unrendered value in `debug: var=vars`. Other objects go through structuredClone.
 */
export function plainCopy(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== "object") return value;
  const hit = seen.get(value);
  if (hit !== undefined) return hit;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(plainCopy(value[i], seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    let v: unknown;
    try {
      v = o[k];
    } catch {
      v = Object.getOwnPropertyDescriptor(o, k)?.value;
    }
    out[k] = plainCopy(v, seen);
  }
  return out;
}
