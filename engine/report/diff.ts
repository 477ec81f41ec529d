// Rendering of a task's changes for `--diff`, shared by every reporter: a unified diff (the `diff`
// package) for text content, and "field: before → after" for everything else.
import { createTwoFilesPatch } from "diff";
import type { Change } from "../core/module.js";

export interface DiffStyle {
  color: boolean;
}

/** What the runner puts in place of no_log values. */
const SECRET = "(secret)";

const C = { red: "\x1b[31m", green: "\x1b[32m", cyan: "\x1b[36m", bold: "\x1b[1m", reset: "\x1b[0m" };

/** A unified diff of one file: `--- path (before)` / `+++ path (after)` and 3 lines of context. */
export function unifiedDiff(path: string, before: string, after: string, style: DiffStyle = { color: false }): string {
  const text = createTwoFilesPatch(`${path} (before)`, `${path} (after)`, before, after, undefined, undefined, { context: 3 });
  const lines = text
    .split("\n")
    .filter((l) => !l.startsWith("====="))
    .filter((l, i, all) => !(i === all.length - 1 && l === ""));
  if (!style.color) return lines.join("\n") + "\n";
  return (
    lines
      .map((l) => {
        if (l.startsWith("+++") || l.startsWith("---")) return C.bold + l + C.reset;
        if (l.startsWith("@@")) return C.cyan + l + C.reset;
        if (l.startsWith("+")) return C.green + l + C.reset;
        if (l.startsWith("-")) return C.red + l + C.reset;
        return l;
      })
      .join("\n") + "\n"
  );
}

/** Short text of a before/after value. */
export function showValue(v: unknown): string {
  if (v === undefined) return "(none)";
  if (v === null) return "null";
  if (typeof v === "string") return v === "" ? '""' : JSON.stringify(v).length > v.length + 2 ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** The `--diff` view of one change. Every line ends with a newline. */
export function renderChange(c: Change, style: DiffStyle = { color: false }): string {
  // no_log: the path may come from a secret too, so it is masked; the field name is the module's
  if (c.diff && c.diff.before === SECRET && c.diff.after === SECRET) return `${c.diff.path === SECRET ? (c.field ?? "content") : c.diff.path}: ${SECRET}\n`;
  if (c.diff) return unifiedDiff(c.diff.path, c.diff.before, c.diff.after, style);
  if ("before" in c || "after" in c) {
    const field = c.field ?? "value";
    const b = showValue(c.before);
    const a = showValue(c.after);
    if (!style.color) return `${field}: ${b} → ${a}\n`;
    return `${field}: ${C.red}${b}${C.reset} → ${C.green}${a}${C.reset}\n`;
  }
  return `${c.summary}\n`;
}

/** Every change of a result, indented by `indent` spaces. */
export function renderChanges(changes: readonly Change[], style: DiffStyle = { color: false }, indent = 4): string {
  const pad = " ".repeat(indent);
  return changes
    .map((c) => renderChange(c, style))
    .join("")
    .split("\n")
    .map((l) => (l === "" ? l : pad + l))
    .join("\n");
}
