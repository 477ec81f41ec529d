// import_tasks (and the old `include`): a task file spliced in place when the playbook loads, with
// the entry's keywords (when, tags, vars, become…) inherited by every included task. include_tasks
// is Ansible's dynamic include (looped.ts): decided per host at run time.
import { dirname, join, resolve, isAbsolute, relative } from "node:path";
import { existsSync, readdirSync, statSync } from "node:fs";
import { isMap, isScalar, type YamlFile, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import { hasTemplate } from "../template/index.js";
import { INCLUDE_KEYWORDS } from "./keywords.js";
import { applySetting } from "./settings.js";
import type { Cursor, Scope } from "./context.js";
import { bareKey, keyOf, pairOf, unknownKeyword, stringValue, readYaml, uniq, checkTemplates } from "./readers.js";
import { splitWords } from "./args.js";
import { taskList } from "./tasklist.js";
import { loopPairOf, loopedInclude } from "./looped.js";

/** Task keys that splice a task file (also with the `ansible.builtin.` prefix); `include` is the old spelling. */
export const INCLUDE_KEYS = ["include_tasks", "import_tasks", "include"];

/** Common keywords on include/import/role-task entries: they become inherited settings. */
export function entryScope(y: YamlFile, node: YAMLMap, scope: Scope, skip: string[], allowed: Record<string, string>, what: string): Scope {
  const s: Scope = { ...scope, when: [...scope.when], tags: [...scope.tags], vars: { ...scope.vars } };
  for (const p of node.items as Pair[]) {
    const k = keyOf(y, p);
    const v = p.value as Node;
    if (skip.includes(k)) continue;
    if (applySetting(s, y, k, v, "include")) continue;
    switch (k) {
      case "name":
        stringValue(y, v, k);
        break;
      default:
        // loop_control without a loop has no effect, as in Ansible
        if (k === "loop_control") break;
        if (k === "loop" || k.startsWith("with_")) throw y.error(`${what} cannot loop with '${k}'`, p.key as Node, "use `loop:` or a with_<lookup> keel knows");
        if (k === "register" || k === "notify") throw y.error(`'${k}' does not apply to ${what}`, p.key as Node, "put it on the tasks inside");
        throw unknownKeyword(y, p, k, Object.keys(allowed), `keyword of ${what}`);
    }
  }
  return s;
}

/** An include_tasks/import_tasks/include entry (`key`, maybe `ansible.builtin.`-prefixed) at the cursor. */
export function include(c: Cursor, node: YAMLMap, key: string): void {
  const { y, scope } = c;
  const pair = pairOf(node, key)!;
  for (const p of node.items as Pair[]) {
    const other = keyOf(y, p);
    if (other !== key && INCLUDE_KEYS.includes(bareKey(other))) throw y.error(`a task cannot have both '${key}' and '${other}'`, p.key as Node);
  }
  let fileNode = pair.value as Node;
  let apply: Node | undefined;
  // `args: { apply: …, file: … }` is another way to write include_tasks' arguments
  const argsNode = pairOf(node, "args")?.value as Node | undefined;
  if (argsNode && isMap(argsNode)) {
    for (const p of argsNode.items as Pair[]) {
      const k = keyOf(y, p);
      if (k === "apply") apply = p.value as Node;
      else if (k === "file") fileNode = p.value as Node;
      else throw unknownKeyword(y, p, k, ["file", "apply"], `${key} args`);
    }
  }
  if (isMap(fileNode)) {
    const fp = pairOf(fileNode, "file");
    apply = pairOf(fileNode, "apply")?.value as Node | undefined;
    for (const p of fileNode.items as Pair[]) {
      const k = keyOf(y, p);
      if (k !== "file" && k !== "apply") throw unknownKeyword(y, p, k, ["file", "apply"], `${key} argument`);
    }
    if (!fp) throw y.error(`${key}: needs a file`, fileNode, `write \`${key}: other.yml\``);
    fileNode = fp.value as Node;
  }
  let name = stringValue(y, fileNode, key);
  const loop = literalLoop(c, node, key);
  // include_tasks is dynamic in Ansible: its `when` is decided once (per item when it loops) as the
  // host reaches it, and its keywords other than vars stay on the include. A loop over a variable
  // makes any include dynamic. In handlers keel splices the file (each task listens to the name).
  if ((bareKey(key) === "include_tasks" && !scope.inHandlers) || (!loop && loopPairOf(c, node))) {
    // the file is read once here and run (per item) by each host
    const inner = loopedInclude(c, node, key, name, ["args"], apply);
    return spliceNamed(inner, inner.scope, key, oldStyleVars(inner, key, name, fileNode), fileNode);
  }
  const s = entryScope(y, node, scope, [key, "args", ...(loop ? ["loop", "with_items", "with_list", "loop_control"] : [])], INCLUDE_KEYWORDS, key);
  // a handler that includes a task file: notifying it runs every task of the file, so each listens to its name
  const np = pairOf(node, "name");
  if (scope.inHandlers && np && isScalar(np.value)) s.handlerListen = [...(scope.handlerListen ?? []), String((np.value as { value: unknown }).value)];
  // include_tasks' `apply:` keywords go to every included task (keel's includes are inlined anyway)
  if (apply && isMap(apply)) {
    for (const p of apply.items as Pair[]) {
      const k = keyOf(y, p);
      if (!applySetting(s, y, k, p.value as Node, "include")) throw unknownKeyword(y, p, k, Object.keys(INCLUDE_KEYWORDS), "keyword of apply");
    }
  }
  name = oldStyleVars({ ...c, scope: s }, key, name, fileNode);
  if (!loop) return spliceNamed(c, s, key, name, fileNode);
  const file = findFile(c, key, name, fileNode);
  // a looped include over a list written in the playbook: the file once per item, with the loop
  // variable (and index_var) set as the included tasks' variables
  loop.items.forEach((item, i) => {
    const vars: Record<string, unknown> = { ...s.vars, [loop.loopVar]: item, ansible_loop_var: loop.loopVar };
    if (loop.indexVar) vars[loop.indexVar] = i;
    spliceFile(c, { ...s, vars }, file, fileNode);
  });
}

/** The old `include: file.yml a=1 b=2`: the words after the file name become variables of the scope; gives the file name. */
function oldStyleVars(c: Cursor, key: string, name: string, fileNode: Node): string {
  if (bareKey(key) !== "include") return name;
  const words = splitWords(name);
  for (const w of words.slice(1)) {
    const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(w.text);
    if (!m) throw c.y.error(`${key}: '${w.text}' is not name=value`, fileNode, "write the variables under vars:");
    c.scope.vars[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/s, "$2");
  }
  return words[0]?.text ?? name;
}

function searchDirsOf(scope: Scope): string[] {
  return uniq([scope.fileDir, ...(scope.roleTasksDir ? [scope.roleTasksDir] : []), ...scope.searchDirs]);
}

function findFile(c: Cursor, key: string, name: string, at: Node): string {
  const candidates = isAbsolute(name) ? [name] : searchDirsOf(c.scope).map((d) => join(d, name));
  const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) throw c.y.error(`${key}: file not found: ${name}`, at, `looked in: ${candidates.join(", ")}`);
  return file;
}

/** Splice the file `name` (maybe templated: every file it can name, each guarded) at the cursor with scope `s`. */
function spliceNamed(c: Cursor, s: Scope, key: string, name: string, at: Node): void {
  if (hasTemplate(name)) return dynamicInclude(c, s, key, name, at, searchDirsOf(c.scope));
  spliceFile(c, s, findFile(c, key, name, at), at);
}

/** The items of an include_tasks loop written as a literal list, with loop_control's loop_var/index_var. */
function literalLoop(c: Cursor, node: YAMLMap, key: string): { items: unknown[]; loopVar: string; indexVar?: string } | undefined {
  const { y } = c;
  const lp = pairOf(node, "loop") ?? pairOf(node, "with_items") ?? pairOf(node, "with_list");
  if (!lp) return undefined;
  if (bareKey(key) === "import_tasks") throw y.error("import_tasks cannot loop", lp.key as Node, "use include_tasks: with the loop");
  const v = y.js(lp.value as Node);
  // a loop over a variable, or a list with templated items: each host renders it (looped.ts)
  if (!Array.isArray(v)) return undefined;
  checkTemplates(y, lp.value as Node);
  if (keyOf(y, lp) === "with_items" && v.some((x) => typeof x === "string" && hasTemplate(x))) return undefined;
  const items = keyOf(y, lp) === "with_items" ? v.flatMap((x) => (Array.isArray(x) ? x : [x])) : v;
  let loopVar = "item";
  let indexVar: string | undefined;
  const lc = pairOf(node, "loop_control")?.value as Node | undefined;
  if (lc && isMap(lc)) {
    for (const p of lc.items as Pair[]) {
      const k = keyOf(y, p);
      if (k === "loop_var") loopVar = stringValue(y, p.value as Node, k);
      else if (k === "index_var") indexVar = stringValue(y, p.value as Node, k);
      else if (k !== "label" && k !== "pause" && k !== "extended") throw unknownKeyword(y, p, k, ["loop_var", "index_var", "label"], "loop_control keyword");
    }
  }
  return { items, loopVar, ...(indexVar ? { indexVar } : {}) };
}

function spliceFile(c: Cursor, s: Scope, file: string, at: Node): void {
  const { y, scope, ctx } = c;
  const abs = resolve(file);
  if (scope.includeStack.includes(abs)) {
    const chain = [...scope.includeStack.slice(scope.includeStack.indexOf(abs)), abs].map((f) => relative(resolve(ctx.playbookDir), f) || f);
    throw y.error(`include cycle: ${chain.join(" -> ")}`, at, "a file includes itself through this chain; remove one of the includes");
  }
  const inc = readYaml(file, y.pos(at));
  const root = inc.root;
  if (!root || (isScalar(root) && root.value === null)) return;
  taskList({ ...c, y: inc, scope: { ...s, fileDir: dirname(file), includeStack: [...scope.includeStack, abs] } }, root, "an included task file");
}

/**
 * A file name with templates (`setup-{{ ansible_os_family }}.yml`), as Ansible's dynamic includes
 * write them. keel's plan is static, so every file the name can give is loaded now, each guarded by
 * a condition that the rendered name is that file: a host runs exactly the file Ansible would.
 * A host whose rendered name matches no file fails that condition's check at run time instead of
 * Ansible's "file not found" (its tasks are skipped and the `when` says why).
 */
function dynamicInclude(c: Cursor, s: Scope, key: string, name: string, at: Node, dirs: string[]): void {
  const { y } = c;
  const parts = templateParts(name);
  if (!parts) throw y.error(`${key}: cannot read the template in '${name}'`, at, "write the file name as text with {{ expressions }}");
  // the folder part must be literal; the templated part is matched against file names there
  const lastSlash = name.lastIndexOf("/");
  const folder = lastSlash >= 0 && !hasTemplate(name.slice(0, lastSlash)) ? name.slice(0, lastSlash) : "";
  const re = new RegExp("^" + parts.map((p) => (typeof p === "string" ? escapeRe(p) : "(.+?)")).join("") + "$");
  const bases = isAbsolute(name) ? [folder] : dirs.map((d) => join(d, folder));
  const found = new Map<string, string>();
  for (const base of bases) {
    let entries: string[] = [];
    try {
      entries = readdirSync(base).filter((e) => statSync(join(base, e)).isFile());
    } catch {
      continue;
    }
    for (const e of entries.sort()) {
      const rel = folder ? `${folder}/${e}` : e;
      if (re.test(rel) && !found.has(rel)) found.set(rel, join(base, e));
    }
  }
  if (found.size === 0) throw y.error(`${key}: no file matches '${name}'`, at, `looked in: ${bases.join(", ")}`);
  const expr = parts.map((p) => (typeof p === "string" ? pyQuote(p) : `(${p.expr})`)).join(" ~ ");
  const pos = y.pos(at);
  for (const [rel, file] of found) {
    // a file that is including this one cannot be the one a host picks without a cycle
    if (c.scope.includeStack.includes(resolve(file))) continue;
    const guarded: Scope = { ...s, when: [...s.when, { text: `${expr} == ${pyQuote(rel)}`, pos }] };
    spliceFile(c, guarded, file, at);
  }
}

/** Literal text and `{{ expr }}` parts of a template, or undefined when it holds `{% %}`. */
function templateParts(t: string): (string | { expr: string })[] | undefined {
  if (t.includes("{%")) return undefined;
  const out: (string | { expr: string })[] = [];
  let i = 0;
  while (i < t.length) {
    const open = t.indexOf("{{", i);
    if (open === -1) {
      out.push(t.slice(i));
      break;
    }
    if (open > i) out.push(t.slice(i, open));
    const close = t.indexOf("}}", open + 2);
    if (close === -1) return undefined;
    out.push({ expr: t.slice(open + 2, close).trim() });
    i = close + 2;
  }
  return out;
}

function pyQuote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
