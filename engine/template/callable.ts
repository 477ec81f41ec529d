// Values a template can call: Jinja macros, `caller()`, `loop.cycle(…)`, `loop(…)` of recursive
// loops, `namespace(…)`. The evaluator calls them when an expression calls a variable or an
// attribute holding one; nothing else in a template's data is ever callable.

export type CallFn = (pos: unknown[], kw: Record<string, unknown>) => unknown;

export class Callable {
  constructor(
    readonly callName: string,
    readonly fn: CallFn,
    /**
     * A macro (and a `{% call %}` block's caller) takes an undefined argument as Jinja does: bound
     * to its parameter, and undefined inside (`{% if override is defined %}`); it fails only when
     * used. Other callables get defined arguments only (the UNDEF marker never reaches them).
     */
    readonly takesUndefined = false,
  ) {}
}

/** Jinja's namespace(): the one kind of object `{% set ns.attr = … %}` may assign to. */
export class Namespace {
  constructor(init: Record<string, unknown>) {
    Object.assign(this, init);
  }
}
