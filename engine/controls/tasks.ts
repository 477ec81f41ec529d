// The link between the role's tasks and the catalog's controls: every task of roles/hardening/tasks
// carries exactly one control id among its tags (its own or its block's) and is gated on
// `'<id>' in hardening_controls`, so a profile's selection decides what runs and `keel audit` can
// name the control of every task result. Setup tasks (the profile task) are tagged `always`.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { didYouMean, type SourcePos } from "../core/errors.js";
import { YamlFile, isMap, isPair, isScalar, isSeq, type Node, type YAMLMap } from "../core/yaml.js";
import { BLOCK_KEYWORDS, TASK_KEYWORDS, INCLUDE_KEYWORDS } from "../playbook/keywords.js";

export interface TaskRef {
  /** The task's name (or its module when unnamed). */
  name: string;
  module: string;
  pos: SourcePos;
}

const INCLUDES = ["include_tasks", "import_tasks", "include_role", "import_role"];
const BLOCK_PARTS = ["block", "rescue", "always"];

interface Inherited {
  tags: string[];
  when: string[];
}

/** Index the tasks of every tasks/*.yml by control id; throws InputError for an ungated or untagged task. */
export function indexTasks(tasksDir: string, controls: ReadonlyMap<string, unknown>, gateVar: string): Map<string, TaskRef[]> {
  const out = new Map<string, TaskRef[]>();
  for (const f of readdirSync(tasksDir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const y = YamlFile.load(join(tasksDir, f));
    if (!y.root) continue;
    if (!isSeq(y.root)) throw y.error("a tasks file must be a list of tasks", y.root);
    walk(y, y.root.items as Node[], { tags: [], when: [] }, controls, gateVar, out);
  }
  return out;
}

function walk(y: YamlFile, items: Node[], inh: Inherited, controls: ReadonlyMap<string, unknown>, gateVar: string, out: Map<string, TaskRef[]>): void {
  for (const item of items) {
    if (!isMap(item)) throw y.error("a task must be a mapping", item);
    const keys = item.items.filter(isPair).map((p) => String((p.key as { value?: unknown })?.value));
    const here: Inherited = { tags: [...inh.tags, ...listOf(y, item, "tags")], when: [...inh.when, ...listOf(y, item, "when")] };
    if (keys.includes("block")) {
      for (const part of BLOCK_PARTS) {
        const seq = valueOf(item, part);
        if (isSeq(seq)) walk(y, seq.items as Node[], here, controls, gateVar, out);
      }
      continue;
    }
    if (keys.some((k) => INCLUDES.includes(k)) || keys.includes("meta")) continue;
    const module = keys.find((k) => !(k in TASK_KEYWORDS) && !(k in BLOCK_KEYWORDS) && !(k in INCLUDE_KEYWORDS)) ?? "?";
    const name = String(y.js(valueOf(item, "name")) ?? module);
    for (const t of here.tags) {
      if (t.includes(".") && !controls.has(t)) {
        const sug = didYouMean(t, controls.keys());
        throw y.error(
          `task '${name}' is tagged '${t}', which is not a control of the catalog${sug ? `; did you mean '${sug}'?` : ""}`,
          valueOf(item, "tags") ?? item,
          "tags with a dot are control ids; define the control in controls/<area>.yml",
        );
      }
    }
    if (here.tags.includes("always")) continue; // setup (the profile task): runs for every selection
    const ids = [...new Set(here.tags.filter((t) => controls.has(t)))];
    if (ids.length !== 1) {
      throw y.error(
        ids.length
          ? `task '${name}' belongs to ${ids.length} controls (${ids.join(", ")}); a task belongs to exactly one`
          : `task '${name}' carries no control id among its tags`,
        item,
        "tag each task (or its block) with the id of its control, e.g. tags: [ssh.permit-root-login]",
      );
    }
    const id = ids[0]!;
    const gate = norm(`'${id}' in ${gateVar}`);
    if (!here.when.some((w) => norm(w) === gate)) {
      throw y.error(
        `task '${name}' of control ${id} is not gated on its control`,
        item,
        `add \`when: "'${id}' in ${gateVar}"\` to the task or its block, so profiles decide whether it runs`,
      );
    }
    const list = out.get(id) ?? [];
    list.push({ name, module, pos: y.pos(item) });
    out.set(id, list);
  }
}

function norm(expr: string): string {
  return expr
    .replace(/^\s*\{\{|\}\}\s*$/g, "")
    .replace(/"/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

function valueOf(m: YAMLMap, key: string): Node | undefined {
  const p = m.items.find((i) => isPair(i) && isScalar(i.key) && String(i.key.value) === key);
  return (p?.value as Node | undefined) ?? undefined;
}

/** tags/when as a list of strings (a string, a comma list for tags, or a YAML list). */
function listOf(y: YamlFile, m: YAMLMap, key: string): string[] {
  const v = y.js(valueOf(m, key));
  if (v === null || v === undefined) return [];
  const arr = Array.isArray(v) ? v : [v];
  const strs = arr.map((x) => String(x));
  return key === "tags" ? strs.flatMap((s) => s.split(",").map((t) => t.trim())).filter(Boolean) : strs;
}
