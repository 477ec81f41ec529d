// Lists of tasks: each entry is a task, a block, an include/import of a task file, or a role task.
import { isMap, isSeq, isScalar, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import { relative } from "node:path";
import type { InputError } from "../core/errors.js";
import type { Block, Expr, Task } from "../core/plan.js";
import { BLOCK_KEYWORDS } from "./keywords.js";
import { applySetting } from "./settings.js";
import { inherited, nextId, type Cursor, type Scope } from "./context.js";
import { bareKey, keyOf, pairOf, unknownKeyword, stringValue, stringList, exprList } from "./readers.js";
import { readTask, isDeferrable } from "./task.js";
import { include, INCLUDE_KEYS } from "./include.js";
import { roleTask, ROLE_TASK_KEYS } from "./roles.js";

/** Read a list of tasks at the cursor; `what` names the list in messages ("tasks", "rescue"…). */
export function taskList(c: Cursor, node: Node, what: string): void {
  const { y } = c;
  if (!node || (isScalar(node) && node.value === null)) return;
  if (!isSeq(node)) throw y.error(`${what}: must be a list of tasks`, node, `each task starts with '- ': \n${what}:\n  - name: …\n    command: …`);
  for (const item of node.items as Node[]) {
    c.ctx.errors.guard(() => {
      if (!isMap(item)) throw y.error(`each entry of ${what} must be a task (a mapping)`, item, "write `- name: …` followed by a module such as `command: …`");
      taskEntry(c, item);
    });
  }
}

function taskEntry(c: Cursor, node: YAMLMap): void {
  const keys = (node.items as Pair[]).map((p) => keyOf(c.y, p));
  if (keys.includes("block")) {
    const b = block(c, node, nextId(c));
    if (b) c.out.push(b);
    return;
  }
  const inc = keys.find((k) => INCLUDE_KEYS.includes(bareKey(k)));
  if (inc) return include(c, node, inc);
  const roleKey = keys.find((k) => ROLE_TASK_KEYS.includes(bareKey(k)));
  try {
    if (roleKey) return roleTask(c, node, roleKey);
    c.out.push(readTask(c, node, nextId(c)));
  } catch (e) {
    if (!isDeferrable(e)) throw e;
    const when = [...c.scope.when, ...(pairOf(node, "when") ? exprList(c.y, pairOf(node, "when")!.value as Node, "when") : [])];
    // a handler runs only when notified, a task of a guarded dynamic include only when the include's
    // `when` held: like a guarded task, it fails only if it runs
    if (when.length === 0 && !c.scope.inHandlers && !c.scope.guarded) throw e;
    c.out.push(deferredTask(c, node, e, when));
  }
}

/** A task keel cannot run, kept as a failure on the hosts where its `when` holds (see deferrable). */
function deferredTask(c: Cursor, node: YAMLMap, e: InputError, when: Expr[]): Task {
  const { y, scope } = c;
  const namePair = pairOf(node, "name");
  const name = namePair && isScalar(namePair.value) ? String((namePair.value as { value: unknown }).value) : undefined;
  const pos = e.pos ?? y.pos(node);
  const where = `${relative(c.ctx.playbookDir, pos.file) || pos.file}:${pos.line}:${pos.col}`;
  return {
    kind: "task",
    id: nextId(c),
    ...(name !== undefined ? { name } : {}),
    pos: y.pos(node),
    when,
    ...inherited(scope, { ...scope.vars }),
    module: "system.fail",
    moduleAs: "fail",
    args: { msg: `keel cannot run this task (${where}): ${e.message}${e.hint ? ` (${e.hint})` : ""}` },
    argsPos: pos,
    argPos: {},
    loopVar: "item",
    notify: [],
    retries: 0,
    delay: 0,
    listen: [],
  };
}

/** A block; under handlers its tasks go to the handler list themselves (returns undefined). */
function block(c: Cursor, node: YAMLMap, id: string): Block | undefined {
  const { y, scope, ctx } = c;
  const b: Block = {
    kind: "block",
    id,
    pos: y.pos(node),
    when: [...scope.when],
    ...inherited(scope, {}),
    block: [],
    rescue: [],
    always: [],
  };
  const lists: Partial<Record<"block" | "rescue" | "always", Node>> = {};
  let notify: string[] | undefined;
  for (const p of node.items as Pair[]) {
    const k = keyOf(y, p);
    const v = p.value as Node;
    if (applySetting(b, y, k, v, "block")) continue;
    switch (k) {
      case "name":
        b.name = stringValue(y, v, k);
        break;
      case "block":
      case "rescue":
      case "always":
        lists[k] = v;
        break;
      case "notify":
        notify = stringList(y, v, k).map(([name, n]) => {
          ctx.notifies.push({ name, pos: y.pos(n), file: y });
          return name;
        });
        break;
      default:
        if (k === "loop" || k === "with_items" || k === "with_list" || k === "with_dict")
          throw y.error("a block cannot loop", p.key as Node, "move the loop onto the tasks, or into an included file's tasks");
        if (ctx.registry.has(k)) throw y.error(`a block cannot also run a module ('${k}')`, p.key as Node, "move the module into a task inside block:");
        throw unknownKeyword(y, p, k, Object.keys(BLOCK_KEYWORDS), "block keyword");
    }
  }
  if (!lists.block || !isSeq(lists.block)) throw y.error("block: must be a list of tasks", lists.block ?? node);
  const inner: Scope = {
    ...scope,
    when: b.when,
    tags: b.tags,
    vars: scope.vars,
    become: b.become,
    becomeUser: b.becomeUser,
    ignoreErrors: b.ignoreErrors,
    ...(b.ignoreErrorsExpr ? { ignoreErrorsExpr: b.ignoreErrorsExpr } : {}),
    noLog: b.noLog,
    checkMode: b.checkMode,
    placement: b.placement,
    ...(notify ? { notify } : {}),
  };
  if (scope.inHandlers) {
    // ansible-core 2.14 loads a block under handlers as its tasks: each task of block, rescue and
    // always is a handler notified by its own name, with the block's keywords and vars; the block
    // itself is no handler, and its rescue does not run when one of them fails (measured with
    // ansible-playbook 2.14; robertdebock's rsyslog role writes its restart handler this way).
    const flat: Scope = { ...inner, vars: { ...scope.vars, ...b.vars } };
    for (const k of ["block", "rescue", "always"] as const) if (lists[k]) taskList({ y, scope: flat, ctx, out: c.out, prefix: id, kind: k[0]! }, lists[k], k);
    return undefined;
  }
  const at = (out: typeof b.block, kind: string): Cursor => ({ y, scope: inner, ctx, out, prefix: id, kind });
  taskList(at(b.block, "b"), lists.block, "block");
  if (lists.rescue) taskList(at(b.rescue, "r"), lists.rescue, "rescue");
  if (lists.always) taskList(at(b.always, "a"), lists.always, "always");
  return b;
}
