// Runs one corpus case (see test/unit/playbook/corpus.test.ts for the case format) and returns keel's formatted error message.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { registry } from "../../modules/index.js";
import { loadPlaybook, validateArgs, packageRoot } from "../../engine/playbook/index.js";
import { renderValue, renderText, isTrue } from "../../engine/template/index.js";
import { InputError } from "../../engine/core/errors.js";
import type { TaskNode, Task } from "../../engine/core/plan.js";

export interface CaseSpec {
  stage?: "load" | "render" | "when" | "template";
  vars?: Record<string, unknown>;
  template?: string;
  requires?: string[];
}

function tasksOf(nodes: TaskNode[]): Task[] {
  return nodes.flatMap((n) => (n.kind === "task" ? [n] : [...tasksOf(n.block), ...tasksOf(n.rescue), ...tasksOf(n.always)]));
}

/** Run a case and return the formatted error (or a note that nothing failed). */
export function runCase(dir: string): string {
  const spec: CaseSpec = existsSync(join(dir, "case.yml")) ? (parse(readFileSync(join(dir, "case.yml"), "utf8")) ?? {}) : {};
  const vars = spec.vars ?? {};
  try {
    if (spec.stage === "template") {
      renderText(readFileSync(join(dir, spec.template!), "utf8"), vars, join(dir, spec.template!));
      return "(no error)";
    }
    const plan = loadPlaybook(join(dir, "site.yml"), { registry });
    if (spec.stage === "render") {
      for (const t of plan.plays.flatMap((p) => tasksOf(p.tasks))) {
        const m = registry.get(t.module);
        if (!m) continue;
        const args: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(t.args)) args[k] = renderValue(v, vars, t.argPos[k] ?? t.argsPos);
        validateArgs(m, args, t.argPos, t.argsPos, t.moduleAs);
      }
    } else if (spec.stage === "when") {
      for (const t of plan.plays.flatMap((p) => tasksOf(p.tasks))) for (const w of t.when) isTrue(w, vars);
    }
    return "(no error)";
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return (
      e
        .format()
        .replaceAll(dir + "/", "")
        .replaceAll(packageRoot(), "<keel>") + "\n"
    );
  }
}
