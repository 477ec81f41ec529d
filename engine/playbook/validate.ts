// The module's own argument rules (ModuleMeta.validate) and the generic refusals that hold for
// every host module, run right after the JSON-Schema check: at load for arguments without
// templates, and again after rendering (once per host, per loop item) before the probe. An error
// is an InputError at the argument's file:line:col, or the task's when no argument is named.
import { ArgError, InputError, type SourcePos } from "../core/errors.js";
import type { ModuleDef } from "../core/module.js";
import { errorAt } from "../core/yaml.js";

/** Text that the runner renders: the arguments holding it are checked only after rendering. */
export function maybeTemplated(v: unknown): boolean {
  if (typeof v === "string") return v.includes("{{") || v.includes("{%") || v.includes("{#");
  if (Array.isArray(v)) return v.some(maybeTemplated);
  if (v !== null && typeof v === "object") return Object.values(v).some(maybeTemplated);
  return false;
}

/**
 * NUL cannot pass through a shell command line or a path: sh drops it silently ("a\0b" becomes
 * "ab"), so a host module refuses it in every argument value and key (issue 10 #11).
 */
function refuseNul(m: ModuleDef, args: Record<string, unknown>, argPos: Record<string, SourcePos>, taskPos: SourcePos, lines?: string[]): void {
  if (m.kind === "controller") return;
  const walk = (v: unknown, top: string, label: string): void => {
    if (typeof v === "string") {
      if (v.includes("\0"))
        throw errorAt(
          argPos[top] ?? taskPos,
          `argument '${label}' contains a NUL byte`,
          "a NUL byte cannot reach a host intact (a shell drops it); remove it",
          lines,
        );
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, top, `${label}[${i}]`));
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes("\0")) throw errorAt(argPos[top] ?? taskPos, `a key in argument '${label}' contains a NUL byte`, "remove it", lines);
        walk(x, top, `${label}.${k}`);
      }
    }
  };
  for (const [k, v] of Object.entries(args)) walk(v, k, k);
}

/**
 * Run the generic refusals, then the module's validate when `complete` (every argument is known:
 * rendered, or without templates at load).
 */
export function validateModuleArgs(
  m: ModuleDef,
  args: Record<string, unknown>,
  argPos: Record<string, SourcePos>,
  taskPos: SourcePos,
  lines: string[] | undefined,
  complete: boolean,
): void {
  refuseNul(m, args, argPos, taskPos, lines);
  if (!complete || !m.validate) return;
  try {
    m.validate(args);
  } catch (e) {
    if (e instanceof InputError && !e.pos) {
      const pos = (e instanceof ArgError && argPos[e.arg]) || taskPos;
      throw errorAt(pos, e.message, e.hint, lines);
    }
    throw e;
  }
}
