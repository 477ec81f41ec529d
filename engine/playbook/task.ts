// One task: its module, arguments (checked against the module's schema), loop and keywords.
import { InputError, didYouMean, type SourcePos } from "../core/errors.js";
import { isMap, isScalar, type YamlFile, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import type { Task } from "../core/plan.js";
import type { Registry } from "../core/registry.js";
import type { ModuleDef } from "../core/module.js";
import { checkTemplate, hasTemplate, LOOKUP_NAMES } from "../template/index.js";
import { checkArgs, coerceArgs, foldArgAliases, parseKeyValue, KvError } from "./args.js";
import { TASK_KEYWORDS, LOOP_CONTROL_KEYWORDS, META_ACTIONS, UNSUPPORTED } from "./keywords.js";
import { applySetting } from "./settings.js";
import { applyAnsibleNameDefaults } from "./ansible-defaults.js";
import { inherited, type Cursor } from "./context.js";
import {
  VAR_NAME,
  keyOf,
  unknownKeyword,
  describe,
  stringValue,
  intValue,
  stringList,
  stripTemplate,
  checkTemplates,
  exprList,
  posInScalar,
  errorInScalar,
} from "./readers.js";

/** A task (a module with its keywords) at the cursor. */
export function readTask(c: Cursor, node: YAMLMap, id: string): Task {
  const { y, scope, ctx } = c;
  const pos = y.pos(node);
  const task: Task = {
    kind: "task",
    id,
    pos,
    when: [...scope.when],
    ...inherited(scope, { ...scope.vars }),
    module: "",
    moduleAs: "",
    args: {},
    argsPos: pos,
    argPos: {},
    loopVar: "item",
    notify: [],
    retries: 0,
    delay: 0,
    listen: [],
  };
  let modulePair: Pair | undefined;
  let moduleDef: ModuleDef | undefined;
  let argsKeyword: Pair | undefined;
  let loopPair: Pair | undefined;
  let loopControl: Pair | undefined;
  let untilSeen = false;
  let retries: number | undefined;
  let delay: number | undefined;
  const unknown: [Pair, string][] = [];
  for (const p of node.items as Pair[]) {
    const k = keyOf(y, p);
    const v = p.value as Node;
    if (applySetting(task, y, k, v, "task")) continue;
    switch (k) {
      case "name":
        task.name = stringValue(y, v, k);
        checkTemplates(y, v);
        break;
      case "loop":
      case "with_items":
      case "with_list":
      case "with_dict":
      case withKey(k):
        if (loopPair) throw y.error(`'${k}' and '${keyOf(y, loopPair)}' both given; a task has one loop`, p.key as Node, "keep `loop:`");
        loopPair = p;
        break;
      case "loop_control":
        loopControl = p;
        break;
      case "register": {
        const r = stringValue(y, v, k);
        if (!VAR_NAME.test(r)) throw y.error(`register: '${r}' is not a valid variable name`, v, "use letters, digits and _, not starting with a digit");
        task.register = r;
        break;
      }
      case "notify":
        for (const [name, n] of stringList(y, v, k)) {
          task.notify.push(name);
          ctx.notifies.push({ name, pos: y.pos(n), file: y });
        }
        break;
      case "changed_when":
        task.changedWhen = exprList(y, v, k);
        break;
      case "failed_when":
        task.failedWhen = exprList(y, v, k);
        break;
      case "until": {
        const list = exprList(y, v, k);
        if (list.length !== 1) throw y.error("until: takes one condition", v, "join conditions with `and`");
        task.until = list[0];
        untilSeen = true;
        break;
      }
      case "retries":
      case "delay": {
        // a template (`"{{ jenkins_connection_retries }}"`) is rendered per host when the task runs
        const text = isScalar(v) && typeof v.value === "string" && hasTemplate(v.value) ? exprList(y, v, k)[0] : undefined;
        if (text) task[k === "retries" ? "retriesExpr" : "delayExpr"] = text;
        if (k === "retries") retries = text ? 3 : intValue(y, v, k);
        else delay = text ? 5 : intValue(y, v, k);
        break;
      }
      case "args":
        if (!isMap(v)) throw y.error("args: must be a mapping of module arguments", v);
        argsKeyword = p;
        break;
      case "listen":
        if (!scope.inHandlers)
          throw y.error("'listen' is only valid in handlers", p.key as Node, "move this task under handlers:, or use notify: on the task that triggers it");
        task.listen = stringList(y, v, k).map(([s]) => s);
        break;
      default:
        if (META_NAMES.has(k) || ctx.registry.has(k)) {
          if (modulePair) {
            throw y.error(
              `a task runs one module, but this one has two: '${keyOf(y, modulePair)}' and '${k}'`,
              p.key as Node,
              "split it into two tasks, each with its own `- name:`",
            );
          }
          modulePair = p;
          moduleDef = ctx.registry.get(k);
        } else unknown.push([p, k]);
    }
  }
  for (const [p, k] of unknown) throw unknownTaskKey(ctx.registry, y, p, k, !!modulePair);
  if (!modulePair) {
    throw y.error(
      task.name ? `task '${task.name}' has no module` : "this task has no module",
      node,
      "add one module key, such as `command: /bin/true` or `copy: {dest: …, content: …}`; `keel modules` lists them",
    );
  }
  const mk = keyOf(y, modulePair);
  task.moduleAs = mk;
  task.argsPos = y.pos(modulePair.key as Node);
  if (META_NAMES.has(mk)) {
    const action = stringValue(y, modulePair.value as Node, "meta");
    if (!META_ACTIONS.includes(action)) {
      const sug = didYouMean(action, META_ACTIONS);
      throw y.error(
        `unknown meta action '${action}'${sug ? `, did you mean '${sug}'?` : ""}`,
        modulePair.value as Node,
        `keel supports: ${META_ACTIONS.join(", ")}`,
      );
    }
    task.module = "meta";
    task.args = { action };
    task.argPos = { action: y.pos(modulePair.value as Node) };
  } else {
    const m = moduleDef!;
    task.module = m.name;
    moduleArgs(y, task, m, modulePair, argsKeyword);
  }
  if (loopPair) task.loop = loopValue(y, loopPair);
  // loop_control without a loop is accepted (and has no effect), as Ansible does
  if (loopControl) readLoopControl(y, task, loopControl.value as Node);
  if ((retries !== undefined || delay !== undefined) && !untilSeen) {
    throw y.error("retries/delay need an until: condition", node, "add `until: result is succeeded` (with register: result)");
  }
  task.retries = retries ?? (untilSeen ? 3 : 0);
  task.delay = delay ?? (untilSeen ? 5 : 0);
  // a block's notify: the tasks inside that have none of their own notify its handlers
  if (task.notify.length === 0 && scope.notify?.length) task.notify = [...scope.notify];
  if (scope.inHandlers && scope.handlerListen) task.listen = [...task.listen, ...scope.handlerListen];
  return task;
}

/** meta, by its short name and Ansible's FQCNs. */
const META_NAMES = new Set(["meta", "ansible.builtin.meta", "ansible.legacy.meta"]);

function unknownTaskKey(registry: Registry, y: YamlFile, p: Pair, k: string, haveModule: boolean): InputError {
  if (Object.hasOwn(UNSUPPORTED, k)) return deferrable(y.error(`'${k}' is not supported by keel`, p.key as Node, UNSUPPORTED[k]));
  if (k === "block" || k === "rescue" || k === "always")
    return y.error(`'${k}' belongs to a block`, p.key as Node, "a block is `- block: [tasks]` with optional rescue:/always:");
  if (k.startsWith("with_")) {
    const sug = didYouMean(k.slice(5), LOOKUP_NAMES);
    return y.error(
      `'${k}': keel has no lookup '${k.slice(5)}'${sug ? `, did you mean 'with_${sug}'?` : ""}`,
      p.key as Node,
      `keel's with_ loops: with_${LOOKUP_NAMES.join(", with_")}; or use loop:`,
    );
  }
  const kw = didYouMean(k, Object.keys(TASK_KEYWORDS));
  if (kw) return y.error(`unknown task keyword '${k}', did you mean '${kw}'?`, p.key as Node);
  const mod = closeModule(registry, k);
  if (mod && !haveModule) return deferrable(y.error(`unknown module '${k}', did you mean '${mod}'?`, p.key as Node, "`keel modules` lists the modules"));
  if (haveModule) return y.error(`unknown task keyword '${k}'`, p.key as Node, `task keywords: ${Object.keys(TASK_KEYWORDS).join(", ")}`);
  return deferrable(y.error(`unknown module '${k}'`, p.key as Node, "`keel modules` lists the modules"));
}

function moduleArgs(y: YamlFile, task: Task, m: ModuleDef, modulePair: Pair, argsKeyword: Pair | undefined): void {
  const args: Record<string, unknown> = {};
  const argPos: Record<string, SourcePos> = {};
  const sources: Record<string, string | undefined> = {};
  const fromMap = (map: YAMLMap) => {
    for (const p of map.items as Pair[]) {
      const k = keyOf(y, p);
      const v = p.value as Node;
      args[k] = y.js(v);
      argPos[k] = y.pos(p.key as Node);
      checkTemplates(y, v);
      sources[k] = isScalar(v) && (typeof v.value === "number" || typeof v.value === "boolean") ? (v as { source?: string }).source : undefined;
    }
  };
  if (argsKeyword) fromMap(argsKeyword.value as YAMLMap);
  const v = modulePair.value as Node;
  if (isMap(v)) fromMap(v);
  else if (isScalar(v) && v.value !== null && (typeof v.value === "string" || typeof v.value === "number")) {
    const text = String(v.value);
    let parsed;
    try {
      parsed = parseKeyValue(m, text, task.moduleAs);
    } catch (e) {
      if (e instanceof KvError) throw errorInScalar(y, v, e.offset, e.message, m.freeForm ? undefined : "write `key=value` pairs, or use the mapping form");
      throw e;
    }
    for (const [k, val] of Object.entries(parsed.args)) {
      args[k] = val;
      argPos[k] = posInScalar(y, v, parsed.offsets[k] ?? 0);
      if (typeof val === "string") checkTemplate(val, argPos[k]!);
    }
  } else if (!(isScalar(v) && v.value === null)) {
    throw y.error(
      `arguments of '${task.moduleAs}' must be a mapping or key=value text, got ${describe(y.js(v))}`,
      v,
      `write \n  ${task.moduleAs}:\n    arg: value`,
    );
  }
  foldArgAliases(m, args, argPos, y.lines);
  applyAnsibleNameDefaults(m, task.moduleAs, args);
  for (const [a, c] of Object.entries(m.argAliases ?? {})) if (Object.hasOwn(sources, a)) sources[c] ??= sources[a];
  coerceArgs(m, args, sources);
  const known = (m.args as { properties?: Record<string, unknown>; additionalProperties?: unknown }).properties ?? {};
  const strange = (m.args as { additionalProperties?: unknown }).additionalProperties === false && Object.keys(args).some((k) => !Object.hasOwn(known, k));
  try {
    checkArgs(m, args, argPos, task.argsPos, { as: task.moduleAs, deferTemplated: true, lines: y.lines });
  } catch (e) {
    // an argument keel's module does not know (yum's enablerepo on `package`): see deferrable
    throw strange && e instanceof InputError ? deferrable(e) : e;
  }
  task.args = args;
  task.argPos = argPos;
}

function readLoopControl(y: YamlFile, task: Task, v: Node): void {
  if (!isMap(v)) throw y.error("loop_control: must be a mapping (loop_var:, label:)", v);
  for (const p of v.items as Pair[]) {
    const k = keyOf(y, p);
    const val = p.value as Node;
    if (k === "loop_var") {
      const s = stringValue(y, val, k);
      if (!VAR_NAME.test(s)) throw y.error(`loop_var: '${s}' is not a valid variable name`, val, "use letters, digits and _");
      task.loopVar = s;
    } else if (k === "label") {
      task.loopLabel = stringValue(y, val, k);
    } else throw unknownKeyword(y, p, k, Object.keys(LOOP_CONTROL_KEYWORDS), "loop_control keyword");
  }
}

/** `with_<lookup>` for the lookups keel has (with_first_found, with_nested, with_subelements…); "" otherwise. */
export function withKey(k: string): string {
  return k.startsWith("with_") && LOOKUP_NAMES.includes(lookupOf(k)) ? k : "";
}

/** The lookup of a `with_` key, without a collection prefix (with_community.general.flattened). */
function lookupOf(k: string): string {
  return k.slice(5).replace(/^(ansible\.builtin|community\.general)\./, "");
}

/**
 * The loop of `loop:`/`with_*:` as the runner takes it: a list, or one template giving a list.
 * `with_<lookup>: terms` is Ansible's `loop: "{{ query('<lookup>', terms…) }}"`: a list of terms is
 * passed as separate terms (with_nested: [a, b] -> query('nested', a, b)).
 */
export function loopValue(y: YamlFile, p: Pair): unknown {
  const k = keyOf(y, p);
  const v = p.value as Node;
  checkTemplates(y, v);
  const lv = y.js(v);
  if (k === "with_dict") {
    // Ansible's with_dict is a loop over `dict | dict2items` ({key, value} items)
    const expr = typeof lv === "string" ? stripTemplate(lv) : undefined;
    if (isMap(v)) return Object.entries(lv as Record<string, unknown>).map(([key, value]) => ({ key, value }));
    if (expr !== undefined) return `{{ (${expr}) | dict2items }}`;
    throw y.error(
      `with_dict: must be a mapping or a template that gives one, got ${describe(lv)}`,
      v,
      'write `with_dict: "{{ my_dict }}"`, or `loop: "{{ my_dict | dict2items }}"`',
    );
  }
  if (k === "loop" || k === "with_list" || k === "with_items") {
    // with_items flattens one level, also the lists its templated entries give (`- "{{ paths | flatten }}"`)
    if (Array.isArray(lv) && k === "with_items" && lv.some((x) => typeof x === "string" && hasTemplate(x))) return `{{ query('items', ${exprLiteral(lv)}) }}`;
    if (Array.isArray(lv)) return k === "with_items" ? lv.flatMap((x) => (Array.isArray(x) ? x : [x])) : lv;
    if (typeof lv === "string" && hasTemplate(lv)) {
      const expr = stripTemplate(lv);
      return k === "with_items" && expr !== undefined ? `{{ query('items', ${expr}) }}` : lv;
    }
    // Ansible 2.x reads a bare word (`with_items: pkgs`) as a one-item list of that text
    if (k === "with_items" && (typeof lv === "string" || typeof lv === "number")) return [lv];
    throw y.error(`${k}: must be a list or a template that gives one, got ${describe(lv)}`, v, 'write `loop: [a, b]` or `loop: "{{ my_list }}"`');
  }
  const plugin = lookupOf(k);
  const args = Array.isArray(lv) ? lv.map(exprLiteral) : [exprLiteral(lv)];
  return `{{ query(${[pyQuote(plugin), ...args].join(", ")}) }}`;
}

/** A YAML value as a Jinja expression; strings with `{{ }}` become concatenations of their parts. */
function exprLiteral(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return `[${v.map(exprLiteral).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyQuote(k)}: ${exprLiteral(x)}`)
      .join(", ")}}`;
  const s = String(v);
  const whole = stripTemplate(s);
  if (whole !== undefined) return `(${whole})`;
  if (!s.includes("{{")) return pyQuote(s);
  const parts: string[] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf("{{", i);
    const close = open === -1 ? -1 : s.indexOf("}}", open + 2);
    if (open === -1 || close === -1) {
      parts.push(pyQuote(s.slice(i)));
      break;
    }
    if (open > i) parts.push(pyQuote(s.slice(i, open)));
    parts.push(`(${s.slice(open + 2, close).trim()})`);
    i = close + 2;
  }
  return parts.join(" ~ ");
}

function pyQuote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

const DEFERRABLE = new WeakSet<InputError>();

/**
 * Marks an error that only matters if the task runs: an unknown module or an argument keel's module
 * does not take. When the task has a `when` (its own or inherited), the loader keeps it as a task
 * that fails with this error on the hosts where the condition holds, as Ansible (which checks
 * modules and arguments when a task runs) would; on the others it is skipped like any task.
 */
export function deferrable(e: InputError): InputError {
  DEFERRABLE.add(e);
  return e;
}

export function isDeferrable(e: unknown): e is InputError {
  return e instanceof InputError && DEFERRABLE.has(e);
}

/**
 * A module name close to `k`, for "did you mean". Only the last part of a dotted name is compared
 * (community.general.ini_file is not "close" to community.general.sudoers), and only within two edits.
 */
function closeModule(registry: Registry, k: string): string | undefined {
  const last = (n: string) => n.split(".").pop()!;
  const names = registry.modules.flatMap((m) => [m.name, ...(m.aliases ?? [])]);
  const byLast = new Map<string, string>();
  for (const n of names) if (!byLast.has(last(n))) byLast.set(last(n), n);
  const want = last(k);
  const best = didYouMean(want, byLast.keys());
  if (best === undefined || editDistance(want, best) > 2) return undefined;
  return k.includes(".") && !k.startsWith("ansible.builtin.") ? byLast.get(best) : best;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}
