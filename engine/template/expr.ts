// The safe expression language of `when`, `changed_when`, `failed_when`, `until` and of `{{ … }}`
// bodies: one entry point over its parts.
//
// - parse.ts: jsep configured with Jinja's operators, and the checks run at load time;
// - eval.ts: the evaluator (an AST walker over plain data);
// - filters.ts, tests.ts, methods.ts: what `|`, `is` and `.method()` can call;
// - values.ts, format.ts, collections.ts, regex.ts: Python semantics of values.
import { FILTERS } from "./filters.js";
import { TESTS } from "./tests.js";

export { parseExpr, type StringMode } from "./parse.js";
export { ExprSyntaxError, UndefinedVarError, ExprEvalError } from "./errors.js";
export { evalNode } from "./eval.js";
export { truthy, typeName, deepEqual, toText, pyStr, toBool } from "./values.js";

/** Names of the supported filters and tests, for documentation and hints. */
export const FILTER_NAMES = Object.keys(FILTERS).sort();
export const TEST_NAMES = Object.keys(TESTS)
  .filter((t) => /^\w+$/.test(t))
  .sort();
