// Ansible's dynamic includes: every include_tasks (outside handlers), and include_role over a loop
// whose items are not written in the playbook (`loop: "{{ users }}"`, with_items, with_dict,
// with_<lookup>, query(…)). The included file (or role) is read and validated once, here, into a
// block marked `include`; each host decides the include when it reaches the block and runs its
// tasks once (no loop) or once per item (engine/run/included.ts).
//
// As in Ansible (Task._get_parent_attribute skips a dynamic parent), the include's own keywords
// apply to the include itself: its `when` decides per item whether the file is included, its tags
// select the include, its ignore_errors covers a loop that cannot be rendered. Only its `vars:`
// (and the loop variable) reach the included tasks; `apply:` gives them keywords.
import { isMap, type Node, type Pair, type YAMLMap } from "../core/yaml.js";
import type { Block } from "../core/plan.js";
import { INCLUDE_KEYWORDS } from "./keywords.js";
import { applySetting } from "./settings.js";
import { nextId, type Cursor, type Scope } from "./context.js";
import { VAR_NAME, bareKey, keyOf, pairOf, stringValue, boolValue, unknownKeyword, checkTemplates } from "./readers.js";
import { entryScope } from "./include.js";
import { loopValue, withKey } from "./task.js";

/** The entry's loop (`loop:` or a `with_*:` keel knows), if any. */
export function loopPairOf(c: Cursor, node: YAMLMap): Pair | undefined {
  return (node.items as Pair[]).find((p) => {
    const k = keyOf(c.y, p);
    return k === "loop" || k === "with_items" || k === "with_list" || k === "with_dict" || withKey(k) !== "";
  });
}

/** The keys of an include entry that belong to its loop (skipped when reading its keywords). */
export function loopKeys(c: Cursor, node: YAMLMap): string[] {
  const lp = loopPairOf(c, node);
  return lp ? [keyOf(c.y, lp), "loop_control"] : ["loop_control"];
}

/**
 * A looped include entry (`key`, `what` it includes) at the cursor: appends the block that stands
 * for it and returns the cursor its included tasks are read at. `skip`: the entry's other keys the
 * caller reads itself; `apply`: include_tasks/include_role's `apply:` keywords for the included tasks.
 */
export function loopedInclude(c: Cursor, node: YAMLMap, key: string, what: string, skip: string[], apply?: Node): Cursor {
  const { y, scope } = c;
  // no loop: an include_tasks, decided once per host (its `when` is not copied onto the included tasks)
  const lp = loopPairOf(c, node);
  if (lp && scope.inHandlers) throw y.error(`keel cannot loop ${key} in handlers`, lp.key as Node, "loop over the tasks inside the included file instead");
  if (lp && (bareKey(key) === "import_tasks" || bareKey(key) === "import_role"))
    throw y.error(`${key} cannot loop`, lp.key as Node, `use ${key.replace("import_", "include_")}: with the loop`);
  const loop = lp ? loopValue(y, lp) : [];
  const b: Block = {
    kind: "block",
    id: nextId(c),
    pos: y.pos(node),
    when: [],
    tags: [],
    vars: {},
    ignoreErrors: false,
    noLog: false,
    role: scope.role,
    searchDirs: scope.searchDirs,
    block: [],
    rescue: [],
    always: [],
    include: {
      as: key,
      what,
      looped: !!lp,
      loop,
      loopPos: y.pos((lp?.value as Node | undefined) ?? node),
      loopVar: "item",
      extended: false,
      when: [],
      tags: [],
      ignoreErrors: false,
    },
  };
  const inc = b.include!;
  const np = pairOf(node, "name");
  if (np) b.name = stringValue(y, np.value as Node, "name");
  readLoopControl(c, node, inc);
  // the include's own keywords, read from nothing inherited: what they set belongs to the include
  const bare: Scope = { ...scope, when: [], tags: [], vars: {}, become: undefined, becomeUser: undefined, ignoreErrors: undefined, noLog: undefined };
  delete bare.ignoreErrorsExpr;
  const own = entryScope(y, node, bare, [key, ...skip, ...loopKeys(c, node)], INCLUDE_KEYWORDS, key);
  inc.when = [...scope.when, ...own.when];
  inc.tags = [...scope.tags, ...own.tags];
  inc.ignoreErrors = own.ignoreErrors ?? false;
  // the include's vars: for its loop and `when`, and for the included tasks (they also carry them)
  b.vars = own.vars;
  if (own.noLog) b.noLog = true;
  const inner: Scope = { ...scope, when: [...scope.when], tags: [...scope.tags], vars: { ...scope.vars, ...own.vars } };
  if (own.when.length) inner.guarded = true;
  if (apply && isMap(apply)) {
    for (const p of apply.items as Pair[]) {
      const k = keyOf(y, p);
      if (!applySetting(inner, y, k, p.value as Node, "include")) throw unknownKeyword(y, p, k, Object.keys(INCLUDE_KEYWORDS), "keyword of apply");
    }
  }
  c.out.push(b);
  return { ...c, scope: inner, out: b.block, prefix: b.id, kind: "b" };
}

function readLoopControl(c: Cursor, node: YAMLMap, inc: NonNullable<Block["include"]>): void {
  const { y } = c;
  const lc = pairOf(node, "loop_control")?.value as Node | undefined;
  if (!lc) return;
  if (!isMap(lc)) throw y.error("loop_control: must be a mapping (loop_var:, index_var:, label:, extended:)", lc);
  for (const p of lc.items as Pair[]) {
    const k = keyOf(y, p);
    const v = p.value as Node;
    if (k === "loop_var" || k === "index_var") {
      const s = stringValue(y, v, k);
      if (!VAR_NAME.test(s)) throw y.error(`${k}: '${s}' is not a valid variable name`, v, "use letters, digits and _");
      if (k === "loop_var") inc.loopVar = s;
      else inc.indexVar = s;
    } else if (k === "label") {
      checkTemplates(y, v);
      inc.label = stringValue(y, v, k);
    } else if (k === "extended") inc.extended = boolValue(y, v, k);
    else if (k !== "extended_allitems")
      throw unknownKeyword(y, p, k, ["loop_var", "index_var", "label", "extended", "extended_allitems"], "loop_control keyword of an include");
  }
}
