// include_tasks / import_tasks: a task file spliced in place when the playbook loads, with the
// entry's keywords (when, tags, vars, become…) inherited by every included task.
import { dirname, join, resolve, isAbsolute, relative } from "node:path";
import { existsSync, statSync } from "node:fs";
import { isMap, isScalar, type YamlFile, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import { hasTemplate } from "../template/index.js";
import { INCLUDE_KEYWORDS } from "./keywords.js";
import { applySetting } from "./settings.js";
import type { Cursor, Scope } from "./context.js";
import { keyOf, pairOf, unknownKeyword, stringValue, readYaml, uniq } from "./readers.js";
import { taskList } from "./tasklist.js";

export const INCLUDE_KEYS = ["include_tasks", "import_tasks"];

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
        if (k === "loop" || k === "with_items" || k === "with_list" || k === "with_dict" || k === "loop_control") {
          throw y.error(`keel's ${what} is static and cannot loop`, p.key as Node, "put the loop on the tasks inside the included file");
        }
        if (k === "register" || k === "notify") throw y.error(`'${k}' does not apply to ${what}`, p.key as Node, "put it on the tasks inside");
        throw unknownKeyword(y, p, k, Object.keys(allowed), `keyword of ${what}`);
    }
  }
  return s;
}

/** An include_tasks/import_tasks entry (`key`) at the cursor: its tasks go into the cursor's list. */
export function include(c: Cursor, node: YAMLMap, key: string): void {
  const { y, scope, ctx } = c;
  const pair = pairOf(node, key)!;
  for (const other of INCLUDE_KEYS) {
    if (other !== key && pairOf(node, other)) throw y.error(`a task cannot have both '${key}' and '${other}'`, pairOf(node, other)!.key as Node);
  }
  let fileNode = pair.value as Node;
  if (isMap(fileNode)) {
    const fp = pairOf(fileNode, "file");
    for (const p of fileNode.items as Pair[]) {
      const k = keyOf(y, p);
      if (k !== "file") throw unknownKeyword(y, p, k, ["file"], `${key} argument`);
    }
    if (!fp) throw y.error(`${key}: needs a file`, fileNode, `write \`${key}: other.yml\``);
    fileNode = fp.value as Node;
  }
  const name = stringValue(y, fileNode, key);
  if (hasTemplate(name)) throw y.error(`${key} takes a file name, not a template ('${name}')`, fileNode, "includes are resolved when the playbook loads; use `when:` on the include to choose between files");
  const s = entryScope(y, node, scope, [key], INCLUDE_KEYWORDS, key);
  const dirs = uniq([scope.fileDir, ...(scope.roleTasksDir ? [scope.roleTasksDir] : []), ...scope.searchDirs]);
  const candidates = isAbsolute(name) ? [name] : dirs.map((d) => join(d, name));
  const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) throw y.error(`${key}: file not found: ${name}`, fileNode, `looked in: ${candidates.join(", ")}`);
  const abs = resolve(file);
  if (scope.includeStack.includes(abs)) {
    const chain = [...scope.includeStack.slice(scope.includeStack.indexOf(abs)), abs].map((f) => relative(resolve(ctx.playbookDir), f) || f);
    throw y.error(`include cycle: ${chain.join(" -> ")}`, fileNode, "a file includes itself through this chain; remove one of the includes");
  }
  const inc = readYaml(file, y.pos(fileNode));
  const root = inc.root;
  if (!root || (isScalar(root) && root.value === null)) return;
  taskList({ ...c, y: inc, scope: { ...s, fileDir: dirname(file), includeStack: [...scope.includeStack, abs] } }, root, "an included task file");
}
