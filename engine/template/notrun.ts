// Check mode runs no command, so the result a command task registers there has no rc/stdout/
// stdout_lines (Ansible fills them with 0 and "" and goes on as if the command printed nothing;
// keel reports what reads them as `unknown`, engine/run/predict.ts). That rule finds the register
// by the name an expression uses (`ver.stdout`). A result reached under another name (a loop's
// `item` over `ver.results`, subelements' pairs, map(attribute=…)) carries its register's path
// here, so its missing field is still named from the register.
import { UndefinedVarError } from "./errors.js";

const NOT_RUN = new WeakMap<object, string>();

/** Mark a result check mode did not run, under its path (`ver`, `ver.results[2]`). */
export function markNotRun(result: object, path: string): void {
  NOT_RUN.set(result, path);
}

/** The register path of a result check mode did not run (undefined for anything else). */
export function notRunPath(v: unknown): string | undefined {
  return v !== null && typeof v === "object" ? NOT_RUN.get(v) : undefined;
}

/** The error for a missing `key` of `obj`: named from its register when check mode did not run it, else `path()`. */
export function missingField(obj: unknown, key: string, path: () => string): UndefinedVarError {
  const at = notRunPath(obj);
  return new UndefinedVarError(at === undefined ? path() : `${at}.${key}`);
}
