// Python regular expressions in filters and tests (regex_search, match…): the one translation
// lives in engine/core/pyregex.ts; this adds the filter-named errors and re.sub replacements.
import { pyRegex as corePyRegex, PyRegexError } from "../core/pyregex.js";
import { ExprEvalError } from "./errors.js";
import { type Val, needStr } from "./values.js";

/** A filter's or test's pattern `f` as a JS RegExp (see engine/core/pyregex.ts). */
export function pyRegex(pattern: Val, f: string, flags: { ignorecase?: Val; multiline?: Val } = {}, global = false): RegExp {
  const src = needStr(pattern, f);
  try {
    return corePyRegex(src, f, { ...flags, global });
  } catch (e) {
    if (e instanceof PyRegexError) throw new ExprEvalError(`filter '${f}': invalid regular expression '${src}': ${e.reason}`);
    throw e;
  }
}

/** Python's re.sub replacement (\1, \g<1>, \g<name>) -> a JS replacement string. */
export function pyReplacement(r: string): string {
  return r.replace(/\$/g, "$$$$").replace(/\\(?:g<(\w+)>|(\d{1,2})|(\\))/g, (_m, g: string | undefined, d: string | undefined, bs: string | undefined) => {
    if (bs) return "\\";
    const ref = g ?? d!;
    return /^\d+$/.test(ref) ? `$${ref}` : `$<${ref}>`;
  });
}

export function groupRef(m: RegExpExecArray, ref: Val, f: string): Val {
  const r = needStr(ref, f);
  const g = /^\\(?:g<(\w+)>|(\d+))$/.exec(r);
  if (!g) throw new ExprEvalError(`filter '${f}': a group is written '\\1' or '\\g<name>', got '${r}'`);
  const key = g[1] ?? g[2]!;
  return /^\d+$/.test(key) ? (m[Number(key)] ?? null) : (m.groups?.[key] ?? null);
}
