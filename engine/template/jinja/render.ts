// Rendering of a parsed Jinja template with Jinja's scoping: a `for` iteration, a macro call and a
// `with` block get their own frame, `if` does not; `{% set %}` writes to the innermost frame;
// includes see the including frame, imports do not (unless `with context`). Values are printed
// as Ansible prints them (None as "", lists and dicts as Python shows them).
import type jsep from "jsep";
import type { Node as Ast } from "../ast.js";
import { limitHint, limitOf, LIMITS } from "../../core/limits.js";
import { Callable, Namespace } from "../callable.js";
import { ExprEvalError, UndefinedVarError } from "../errors.js";
import { callArgs, evalNode } from "../eval.js";
import { pyStr, toText, truthy, typeName, UNDEF } from "../values.js";
import { BODY_VAR, type JNode, type Param } from "./parser.js";

/** A compiled template: its tree, its normalised source (for positions) and where it came from. */
export interface Compiled {
  nodes: JNode[];
  src: string;
  path: string;
  /** Lines before the normalised source (1 when a `#jinja2:` header was cut off). */
  lineBase: number;
}

/** What rendering needs from outside: the newline sequence and how to find included templates. */
export interface RenderEnv {
  newline: string;
  /** Compile the template an include/import names, relative to the including one; undefined when not found. */
  load(name: string, from: Compiled): Compiled | undefined;
  /** Where `load` looked, for the error when a template is not found. */
  searched(name: string, from: Compiled): string[];
}

/** An error while rendering, located in a template (1-based line and column). */
export class JinjaRenderError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly path: string,
    readonly line: number,
    readonly col: number,
    readonly exprText: string,
  ) {
    super(String((cause as Error)?.message ?? cause));
  }
}

export function position(c: Compiled, off: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = c.src.indexOf("\n"); k !== -1 && k < off; k = c.src.indexOf("\n", k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line: line + c.lineBase, col: off - lineStart + 1 };
}

/** One scope: own variables, then the parent's, then (at the root) the template's variables and globals. */
class Frame {
  readonly own: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  readonly view: Record<string, unknown>;
  constructor(
    readonly parent: Frame | undefined,
    readonly root: Record<string, unknown>,
  ) {
    const find = (k: string): { v: unknown } | undefined => {
      // walks the frame chain outwards from this frame; a macro parameter bound to an undefined
      // argument (UNDEF) is undefined there, not looked up further out
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      for (let f: Frame | undefined = this; f; f = f.parent) if (Object.hasOwn(f.own, k)) return f.own[k] === UNDEF ? undefined : { v: f.own[k] };
      if (Object.hasOwn(this.root, k)) return { v: this.root[k] };
      if (Object.hasOwn(GLOBALS, k)) return { v: GLOBALS[k] };
      return undefined;
    };
    this.view = new Proxy(Object.create(null) as Record<string, unknown>, {
      get: (_t, k) => (typeof k === "string" ? find(k)?.v : undefined),
      has: (_t, k) => typeof k === "string" && find(k) !== undefined,
      getOwnPropertyDescriptor: (_t, k) =>
        typeof k === "string" && find(k) !== undefined ? { value: undefined, writable: true, enumerable: true, configurable: true } : undefined,
    });
  }
  /** Every name visible here, innermost last (for `with context` includes that must not see through a proxy). */
  child(): Frame {
    return new Frame(this, this.root);
  }
}

function joiner(pos: unknown[], kw: Record<string, unknown>): Callable {
  const sep = pyStr(pos[0] ?? kw.sep ?? ", ");
  let used = false;
  return new Callable("joiner", () => {
    if (used) return sep;
    used = true;
    return "";
  });
}

function cycler(pos: unknown[]): Record<string, unknown> {
  if (!pos.length) throw new ExprEvalError("cycler() needs at least one item");
  const c: Record<string, unknown> = { current: pos[0] };
  let i = 0;
  c.next = new Callable("next", () => {
    const v = pos[i];
    i = (i + 1) % pos.length;
    c.current = pos[i];
    return v;
  });
  c.reset = new Callable("reset", () => {
    i = 0;
    c.current = pos[0];
    return null;
  });
  return c;
}

/** Jinja's global functions that keel's expression functions (range, dict, lookup…) do not already give. */
const GLOBALS: Record<string, unknown> = {
  namespace: new Callable(
    "namespace",
    (pos, kw) => new Namespace({ ...(pos[0] !== null && typeof pos[0] === "object" ? (pos[0] as Record<string, unknown>) : {}), ...kw }),
  ),
  joiner: new Callable("joiner", joiner),
  cycler: new Callable("cycler", (pos) => cycler(pos)),
};

/** The loop object of one iteration (loop.index…); callable when the loop is recursive. */
class Loop extends Callable {
  [k: string]: unknown;
}

const MAX_DEPTH = 200;

export class Renderer {
  private iterations = 0;
  private readonly maxIterations = limitOf(LIMITS.templateIterations);
  private readonly maxOutput = limitOf(LIMITS.templateOutput);
  private depth = 0;

  constructor(
    private readonly env: RenderEnv,
    private readonly vars: Record<string, unknown>,
  ) {}

  /** Blocks by name, the most derived template's first ({% extends %}). */
  private blocks = new Map<string, { body: JNode[]; c: Compiled }[]>();

  /** Render a whole template with the template's variables. */
  render(c: Compiled): string {
    return this.template(c, new Frame(undefined, this.vars));
  }

  /**
   * A template's top level. After `{% extends %}`, its own output is dropped (its sets, macros and
   * imports still run) and the parent renders with this template's blocks in front of its own.
   */
  private template(c: Compiled, f: Frame): string {
    const register = (nodes: JNode[]) => {
      for (const n of nodes) {
        if (n.t === "block") this.blocks.set(n.name, [...(this.blocks.get(n.name) ?? []), { body: n.body, c }]);
        if (n.t === "if") n.branches.forEach((b) => register(b.body));
        else if (n.t === "for") register([...n.body, ...n.orelse]);
        else if ("body" in n) register(n.body);
      }
    };
    register(c.nodes);
    let out = "";
    let parent: Compiled | undefined;
    for (const n of c.nodes) {
      if (n.t === "extends") {
        if (parent) this.fail(c, n.off, n.src, new ExprEvalError("a template extends only one other template"));
        const name = pyStr(this.eval(n.name, f, c, n.off, n.src));
        parent = this.load(name, c, n.off);
        if (!parent) this.fail(c, n.off, n.src, new ExprEvalError(`template '${name}' not found (looked in ${this.env.searched(name, c).join(", ")})`));
        continue;
      }
      if (!parent) out += this.node(n, f, c);
      // after extends only definitions run (as Jinja: output waits for `parent_template is None`)
      else if (n.t === "set" || n.t === "macro" || n.t === "import" || n.t === "from") this.node(n, f, c);
    }
    return parent ? this.nested(() => out + this.template(parent!, f), c, 0) : out;
  }

  /** `{% block %}`: the most derived definition, with super() rendering the next one. */
  private renderBlock(name: string, f: Frame, own: { body: JNode[]; c: Compiled }, level = 0): string {
    // a block of an included template is not registered: it renders as written
    const chain = this.blocks.get(name) ?? [own];
    const b = chain[level];
    if (!b) return "";
    const g = f.child();
    g.own.super = new Callable("super", () => {
      if (!chain[level + 1]) throw new ExprEvalError(`super(): block '${name}' has no parent block`);
      return this.renderBlock(name, f, own, level + 1);
    });
    return this.block(b.body, g, b.c);
  }

  private fail(c: Compiled, off: number, text: string, e: unknown): never {
    if (e instanceof JinjaRenderError) throw e;
    const { line, col } = position(c, off);
    throw new JinjaRenderError(e, c.path, line, col, text);
  }

  private eval(expr: Ast, f: Frame, c: Compiled, off: number, text: string): unknown {
    try {
      return evalNode(expr, f.view);
    } catch (e) {
      this.fail(c, off, text, e);
    }
  }

  private block(nodes: JNode[], f: Frame, c: Compiled): string {
    let out = "";
    for (const n of nodes) {
      out += this.node(n, f, c);
      if (out.length > this.maxOutput)
        throw new JinjaRenderError(
          new ExprEvalError(`the template's output exceeds ${this.maxOutput} characters; ${limitHint(LIMITS.templateOutput)}`),
          c.path,
          1,
          1,
          "",
        );
    }
    return out;
  }

  private node(n: JNode, f: Frame, c: Compiled): string {
    switch (n.t) {
      case "text":
        return this.env.newline === "\n" ? n.text : n.text.replace(/\n/g, this.env.newline);
      case "out":
        return toText(this.eval(n.expr, f, c, n.off, n.src));
      case "if":
        for (const b of n.branches) {
          if (b.cond === undefined || truthy(this.eval(b.cond, f, c, b.off, b.src))) return this.block(b.body, f, c);
        }
        return "";
      case "for":
        return this.loop(n, f, c, this.eval(n.iter, f, c, n.off, n.src), 1);
      case "set": {
        const v = this.eval(n.expr, f, c, n.off, n.src);
        this.assign(f, n.targets, n.attr, v, c, n.off, n.src);
        return "";
      }
      case "setblock": {
        let v: unknown = this.block(n.body, f.child(), c);
        if (n.filter) {
          const g = f.child();
          g.own[BODY_VAR] = v;
          v = this.eval(n.filter, g, c, n.off, n.src);
        }
        this.assign(f, [n.target], n.attr, v, c, n.off, n.src);
        return "";
      }
      case "macro":
        f.own[n.name] = this.macro(n.name, n.params, n.body, f, c);
        return "";
      case "call": {
        const caller = this.macro("caller", n.params, n.body, f, c);
        const call = n.expr as jsep.CallExpression;
        try {
          if (call.type !== "CallExpression") throw new ExprEvalError("'{% call %}' needs a macro call: {% call macro_name(args) %}");
          const target = evalNode(call.callee, f.view);
          if (!(target instanceof Callable)) throw new ExprEvalError(`'${n.src}' does not call a macro`);
          const { pos, kw } = callArgs(call, f.view);
          return toText(target.fn(pos, { ...kw, caller }));
        } catch (e) {
          return this.fail(c, n.off, n.src, e);
        }
      }
      case "filter": {
        const g = f.child();
        g.own[BODY_VAR] = this.block(n.body, f.child(), c);
        return toText(this.eval(n.filter, g, c, n.off, n.src));
      }
      case "block":
        return this.renderBlock(n.name, f, { body: n.body, c });
      case "extends":
        return this.fail(c, n.off, n.src, new ExprEvalError("'{% extends %}' belongs at the top level of a template"));
      case "with": {
        const g = f.child();
        for (const a of n.assigns) g.own[a.name] = this.eval(a.expr, f, c, n.off, n.src);
        return this.block(n.body, g, c);
      }
      case "include": {
        const names = this.eval(n.name, f, c, n.off, n.src);
        const list = Array.isArray(names) ? names : [names];
        for (const name of list) {
          const t = this.load(pyStr(name), c, n.off);
          if (t) return this.nested(() => this.block(t.nodes, n.withContext ? f.child() : new Frame(undefined, {}), t), c, n.off);
        }
        if (n.ignoreMissing) return "";
        return this.fail(
          c,
          n.off,
          n.src,
          new ExprEvalError(`template ${list.map((x) => `'${pyStr(x)}'`).join(", ")} not found (looked in ${this.env.searched(pyStr(list[0]), c).join(", ")})`),
        );
      }
      case "import":
      case "from": {
        const name = pyStr(this.eval(n.name, f, c, n.off, n.src));
        const t = this.load(name, c, n.off);
        if (!t) return this.fail(c, n.off, n.src, new ExprEvalError(`template '${name}' not found (looked in ${this.env.searched(name, c).join(", ")})`));
        const mod = this.nested(
          () => {
            const g = n.withContext ? f.child() : new Frame(undefined, {});
            this.block(t.nodes, g, t);
            return Object.fromEntries(Object.entries(g.own).filter(([k]) => !k.startsWith("_")));
          },
          c,
          n.off,
        );
        if (n.t === "import") f.own[n.alias] = mod;
        else {
          for (const { name: k, alias } of n.names) {
            if (!Object.hasOwn(mod, k)) this.fail(c, n.off, n.src, new ExprEvalError(`the template '${name}' does not export '${k}'`));
            f.own[alias] = mod[k];
          }
        }
        return "";
      }
    }
  }

  private load(name: string, c: Compiled, off: number): Compiled | undefined {
    try {
      return this.env.load(name, c);
    } catch (e) {
      if (e instanceof JinjaRenderError) throw e;
      // a syntax error in the included template carries its own position
      if (e instanceof Error && "path" in e) throw e;
      return this.fail(c, off, name, e);
    }
  }

  private nested<T>(run: () => T, c: Compiled, off: number): T {
    if (++this.depth > MAX_DEPTH) this.fail(c, off, "", new ExprEvalError(`templates include or call each other more than ${MAX_DEPTH} levels deep`));
    try {
      return run();
    } finally {
      this.depth--;
    }
  }

  private assign(f: Frame, targets: string[], attr: string | undefined, v: unknown, c: Compiled, off: number, text: string): void {
    if (attr !== undefined) {
      const ns = f.view[targets[0]!];
      if (!(ns instanceof Namespace))
        this.fail(
          c,
          off,
          text,
          new ExprEvalError(`cannot assign attribute on non-namespace object '${targets[0]}'; create it with {% set ${targets[0]} = namespace(${attr}=…) %}`),
        );
      (ns as unknown as Record<string, unknown>)[attr] = v;
      return;
    }
    if (targets.length === 1) {
      f.own[targets[0]!] = v;
      return;
    }
    const items = typeof v === "string" ? [...v] : v;
    if (!Array.isArray(items) || items.length !== targets.length) {
      this.fail(c, off, text, new ExprEvalError(`cannot unpack ${typeName(v)} into ${targets.length} names (${targets.join(", ")})`));
    }
    targets.forEach((t, k) => (f.own[t] = items[k]));
  }

  private macro(name: string, params: Param[], body: JNode[], def: Frame, c: Compiled): Callable {
    return new Callable(
      name,
      (pos, kw) =>
        this.nested(
          () => {
            const g = def.child();
            const rest = { ...kw };
            params.forEach((p, k) => {
              if (k < pos.length) g.own[p.name] = pos[k];
              else if (Object.hasOwn(rest, p.name)) g.own[p.name] = rest[p.name];
              else if (p.dflt) g.own[p.name] = this.eval(p.dflt, g, c, 0, p.name);
              delete rest[p.name];
            });
            g.own.varargs = pos.slice(params.length);
            if (Object.hasOwn(rest, "caller")) {
              g.own.caller = rest.caller;
              delete rest.caller;
            }
            g.own.kwargs = rest;
            return this.block(body, g, c);
          },
          c,
          0,
        ),
      true,
    );
  }

  private loop(n: Extract<JNode, { t: "for" }>, f: Frame, c: Compiled, seq: unknown, depth: number): string {
    let items: unknown[];
    if (Array.isArray(seq)) items = seq;
    else if (typeof seq === "string") items = [...seq];
    else if (seq !== null && typeof seq === "object" && !(seq instanceof Callable)) items = Object.keys(seq);
    else
      return this.fail(
        c,
        n.off,
        n.src,
        new ExprEvalError(
          `'${n.src}' is ${seq === null || seq === undefined ? "None" : typeName(seq)}, which a for loop cannot go through (it needs a list, a dict or a string)`,
        ),
      );
    const bind = (g: Frame, item: unknown) => {
      if (n.targets.length === 1) g.own[n.targets[0]!] = item;
      else this.assign(g, n.targets, undefined, item, c, n.off, n.src);
    };
    if (n.cond) {
      items = items.filter((item) => {
        const g = f.child();
        bind(g, item);
        return truthy(this.eval(n.cond!, g, c, n.off, n.src));
      });
    }
    if (!items.length) return this.block(n.orelse, f.child(), c);
    let out = "";
    let last: unknown[] | undefined;
    const len = items.length;
    items.forEach((item, k) => {
      if (++this.iterations > this.maxIterations)
        this.fail(c, n.off, n.src, new ExprEvalError(`loops ran more than ${this.maxIterations} iterations; ${limitHint(LIMITS.templateIterations)}`));
      const g = f.child();
      bind(g, item);
      const loop = new Loop("loop", (pos) => {
        if (!n.recursive) throw new ExprEvalError("loop() can only be called in a loop marked 'recursive': {% for x in xs recursive %}");
        return this.nested(() => this.loop(n, f, c, pos[0], depth + 1), c, n.off);
      });
      Object.assign(loop, {
        index: k + 1,
        index0: k,
        revindex: len - k,
        revindex0: len - k - 1,
        first: k === 0,
        last: k === len - 1,
        length: len,
        depth,
        depth0: depth - 1,
        previtem: k > 0 ? items[k - 1] : undefined,
        nextitem: k < len - 1 ? items[k + 1] : undefined,
        cycle: new Callable("cycle", (pos) => {
          if (!pos.length) throw new ExprEvalError("loop.cycle() needs at least one value");
          return pos[k % pos.length];
        }),
        changed: new Callable("changed", (pos) => {
          const changed = last === undefined || JSON.stringify(last) !== JSON.stringify(pos);
          last = pos;
          return changed;
        }),
      });
      if (k === 0) delete loop.previtem;
      if (k === len - 1) delete loop.nextitem;
      g.own.loop = loop;
      out += this.block(n.body, g, c);
      if (out.length > this.maxOutput)
        this.fail(c, n.off, n.src, new ExprEvalError(`the loop's output exceeds ${this.maxOutput} characters; ${limitHint(LIMITS.templateOutput)}`));
    });
    return out;
  }
}

export { UndefinedVarError };
