// Load-time checks of the controller-side files that tasks name (issue 10 #7): a literal `src:` of
// copy or template must exist, and a template must compile (syntax, known filters and tests,
// supported tags), before any host is touched. Values with `{{ }}` are known only per host and
// are checked when the task runs, as before. The lookup is the runner's (engine/run/pipeline.ts,
// readLocal): each search folder's files/ or templates/ first, then the folder itself.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { InputError } from "../core/errors.js";
import { readFileBytesCached } from "../core/filecache.js";
import type { Plan, Task, TaskNode } from "../core/plan.js";
import type { SourcePos } from "../core/errors.js";
import { errorAt } from "../core/yaml.js";
import { compileTemplate, hasTemplate, JinjaTemplateError, type TemplateOptions } from "../template/index.js";
import { compile, TemplateSyntaxError } from "../template/hbs.js";

/** Modules whose `src` is a controller file, and the folder it is looked up in. */
const LOCAL_SRC: Record<string, { sub: "files" | "templates"; template: boolean }> = {
  "files.copy": { sub: "files", template: false },
  "files.template": { sub: "templates", template: true },
};

export function checkLocalFiles(plan: Plan): void {
  const walk = (nodes: TaskNode[]) => {
    for (const n of nodes) {
      if (n.kind === "block") {
        walk(n.block);
        walk(n.rescue);
        walk(n.always);
      } else checkTask(plan, n);
    }
  };
  for (const play of plan.plays) {
    walk(play.tasks);
    walk(play.handlers);
  }
}

/**
 * A `src` that is a folder where the module reads one file: a template renders one file, and
 * unarchive and uri read one file from files/. copy's folder src is copied recursively (its prepare
 * asks for the folder with findLocal), so the load check lets it through.
 */
export function localDirError(sub: "files" | "templates", src: string, found: string, at: SourcePos): InputError {
  return sub === "files"
    ? errorAt(at, `src '${src}' is a folder (${found}); this module reads one file`, "name the file itself")
    : errorAt(at, `template: src '${src}' is a folder (${found}); a template task renders one file`, "name the template file itself");
}

function checkTask(plan: Plan, task: Task): void {
  const spec = LOCAL_SRC[task.module];
  const src = task.args?.src;
  if (!spec || typeof src !== "string" || hasTemplate(src)) return;
  // copy's remote_src (coerced at load, so "no" is false by now; a template may be true): src is a
  // file on the host, not the controller
  const remote = task.args?.remote_src;
  if (task.module === "files.copy" && remote !== undefined && remote !== false) return;
  const dirs = task.searchDirs.length ? task.searchDirs : [plan.dir];
  const candidates = isAbsolute(src) ? [src] : dirs.flatMap((d) => [join(d, spec.sub, src), join(d, src)]);
  const found = candidates.find((c) => existsSync(c));
  const at = task.argPos.src ?? task.argsPos;
  if (!found) {
    throw errorAt(
      at,
      `${spec.sub.replace(/s$/, "")} '${src}' not found (looked in ${candidates.join(", ")})`,
      `put it in ${isAbsolute(src) ? src : join(dirs[0] ?? ".", spec.sub, src)}`,
    );
  }
  if (statSync(found).isDirectory()) {
    // copy copies a folder recursively (modules/files/copy-walk.ts)
    if (task.module === "files.copy") return;
    throw localDirError(spec.sub, src, found, at);
  }
  if (!spec.template) return;
  const text = readFileBytesCached(found).toString("utf8");
  const lineOf = (n: number) => text.split(/\r\n|\r|\n/)[n - 1];
  if (!found.endsWith(".hbs")) {
    // Jinja, with the task's literal delimiter and whitespace options
    const opts = Object.fromEntries(
      Object.entries(task.args).filter(
        ([k, v]) => /^(trim_blocks|lstrip_blocks|newline_sequence|(block|variable|comment)_(start|end)_string)$/.test(k) && !hasTemplate(v),
      ),
    ) as TemplateOptions;
    try {
      compileTemplate(text, found, opts);
    } catch (e) {
      if (e instanceof JinjaTemplateError)
        throw new InputError(
          e.message,
          { file: found, line: e.line, col: e.col },
          `${e.hint ? `${e.hint}; ` : ""}used by the task at ${at.file}:${at.line}`,
          lineOf(e.line),
        );
      throw e;
    }
    return;
  }
  try {
    compile(text);
  } catch (e) {
    if (e instanceof TemplateSyntaxError)
      throw new InputError(e.message, { file: found, line: e.line, col: e.col }, `used by the task at ${at.file}:${at.line}`, text.split(/\r?\n/)[e.line - 1]);
    throw e;
  }
}
