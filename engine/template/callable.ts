// Values a template can call: Jinja macros, `caller()`, `loop.cycle(…)`, `loop(…)` of recursive
// loops, `namespace(…)`. The evaluator calls them when an expression calls a variable or an
// attribute holding one; nothing else in a template's data is ever callable.

export type CallFn = (pos: unknown[], kw: Record<string, unknown>) => unknown;

export class Callable {
  constructor(
    readonly callName: string,
    readonly fn: CallFn,
  ) {}
}

/** Jinja's namespace(): the one kind of object `{% set ns.attr = … %}` may assign to. */
export class Namespace {
  constructor(init: Record<string, unknown>) {
    Object.assign(this, init);
  }
}
