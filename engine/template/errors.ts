// The errors of the expression language: syntax, undefined variables, evaluation.

/** A syntax error in an expression; the caller turns it into an InputError at the expression. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly index?: number,
    /** The message says what to do instead (an unsupported filter, test or function): no generic syntax hint. */
    readonly advised = false,
  ) {
    super(message);
    this.name = "ExprSyntaxError";
  }
}

/** A variable (or attribute) that does not exist; `name` is the full dotted path. */
export class UndefinedVarError extends Error {
  /**
   * `via` names the variables whose values were being rendered when `varName` was missing,
   * outermost first (`app_dir: "{{ base }}/app"` used as `{{ app_dir }}` gives via ["app_dir"]).
   */
  constructor(
    readonly varName: string,
    readonly via: readonly string[] = [],
  ) {
    super(`undefined variable '${varName}'${via.length ? ` (in the value of '${[...via].reverse().join("', used by '")}')` : ""}`);
    this.name = "UndefinedVarError";
  }
}

/** A type or value problem while evaluating (comparing a string with a number, unknown filter…). */
export class ExprEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExprEvalError";
  }
}
