// Text formats of values: Python's json.dumps and PyYAML as Ansible calls them, `%` formatting
// and str.format.
import YAML from "yaml";
import { ExprEvalError } from "./errors.js";
import { type Val, hasOwn, isDict, num, pyRepr, pyStr } from "./values.js";

/** Python's json.dumps as Ansible calls it: ", " and ": " separators, non-ASCII escaped. */
export function pyJson(v: Val, o: { indent?: number; sortKeys?: boolean; ascii?: boolean }, level = 0): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : String(v);
  if (typeof v === "string") {
    const s = JSON.stringify(v);
    return o.ascii === false ? s : s.replace(/[\u007f-\uffff]/g, (c) => (c === "\u007f" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  }
  const pad = o.indent === undefined ? "" : "\n" + " ".repeat(o.indent * (level + 1));
  const end = o.indent === undefined ? "" : "\n" + " ".repeat(o.indent * level);
  const sep = o.indent === undefined ? ", " : ",";
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => pad + pyJson(x, o, level + 1)).join(sep)}${end}]` : "[]";
  if (typeof v === "object") {
    let entries = Object.entries(v as object);
    if (o.sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? `{${entries.map(([k, x]) => `${pad}${pyJson(k, o)}: ${pyJson(x, o, level + 1)}`).join(sep)}${end}}` : "{}";
  }
  return JSON.stringify(String(v));
}

/**
 * YAML as Ansible writes it with PyYAML: to_yaml (leaf collections in flow style, indent 2) and
 * to_nice_yaml (block style, indent 4); keys sorted; lists under a key not indented; allow_unicode.
 * Long strings are not folded at 80 columns as PyYAML does (same value, different layout).
 */
export function toYaml(v: Val, nice: boolean, n: number): string {
  const scalar = (x: Val): string => {
    if (x === null || x === undefined) return "null";
    if (typeof x === "string") {
      if (x.includes("\n") || /[\u0000-\u0008\u000b-\u001f]/.test(x)) return JSON.stringify(x);
      return YAML.stringify(x, { version: "1.1", singleQuote: true, lineWidth: 0 }).replace(/\n$/, "");
    }
    return pyJson(x, { ascii: false });
  };
  const isLeaf = (x: Val) => (Array.isArray(x) ? x : isDict(x) ? Object.values(x) : [0]).every((y) => y === null || typeof y !== "object");
  const entries = (d: Record<string, unknown>) => Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const flow = (x: Val): string =>
    Array.isArray(x)
      ? `[${x.map(flow).join(", ")}]`
      : isDict(x)
        ? `{${entries(x)
            .map(([k, y]) => `${scalar(k)}: ${flow(y)}`)
            .join(", ")}}`
        : scalar(x);
  const inline = (x: Val) => x === null || typeof x !== "object" || (Array.isArray(x) ? x.length === 0 : Object.keys(x).length === 0) || (!nice && isLeaf(x));
  // The lines of a block collection at `ind` spaces; lists under a key are not indented (PyYAML's style).
  const emit = (x: Val, ind: number): string[] => {
    const pad = " ".repeat(ind);
    const out: string[] = [];
    if (Array.isArray(x)) {
      for (const item of x) {
        if (inline(item)) out.push(`${pad}- ${flow(item)}`);
        else {
          const inner = emit(item, ind + n);
          out.push(`${pad}-${" ".repeat(n - 1)}${inner[0]!.slice(ind + n)}`, ...inner.slice(1));
        }
      }
    } else {
      for (const [k, y] of entries(x as Record<string, unknown>)) {
        if (inline(y)) out.push(`${pad}${scalar(k)}: ${flow(y)}`);
        else out.push(`${pad}${scalar(k)}:`, ...emit(y, Array.isArray(y) ? ind : ind + n));
      }
    }
    return out;
  };
  if (inline(v)) return typeof v === "object" && v !== null ? flow(v) + "\n" : scalar(v) + "\n...\n";
  return emit(v, 0).join("\n") + "\n";
}

/** Python's `format % args`: %s %r %d %i %f %e %g %x %o %c %% with flags, width and precision; %(name)s with a dict. */
export function printf(fmt: string, arg: Val): string {
  const list = Array.isArray(arg) ? arg : [arg];
  let i = 0;
  const out = fmt.replace(
    /%(\([^)]*\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([sridfFeEgGxXoc%])/g,
    (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
      if (conv === "%") return "%";
      let v: Val;
      if (key) {
        if (arg === null || typeof arg !== "object" || Array.isArray(arg)) throw new ExprEvalError("format requires a mapping for %(name)s");
        const k = key.slice(1, -1);
        if (!hasOwn(arg, k)) throw new ExprEvalError(`format: no key '${k}'`);
        v = (arg as Record<string, unknown>)[k];
      } else {
        if (i >= list.length) throw new ExprEvalError("not enough arguments for format string");
        v = list[i++];
      }
      const p = prec === undefined ? undefined : Number(prec);
      let s: string;
      switch (conv) {
        case "s":
          s = pyStr(v);
          if (p !== undefined) s = s.slice(0, p);
          break;
        case "r":
          s = pyRepr(v);
          break;
        case "d":
        case "i":
          s = String(Math.trunc(num(v, "%d")));
          break;
        case "f":
        case "F":
          s = num(v, "%f").toFixed(p ?? 6);
          break;
        case "e":
        case "E": {
          s = num(v, "%e")
            .toExponential(p ?? 6)
            .replace(/e([+-])(\d)$/, "e$10$2");
          if (conv === "E") s = s.toUpperCase();
          break;
        }
        case "g":
        case "G":
          s = String(Number(num(v, "%g").toPrecision(p || 6)));
          break;
        case "x":
        case "X":
          s = Math.trunc(num(v, "%x")).toString(16);
          if (flags.includes("#")) s = "0x" + s;
          if (conv === "X") s = s.toUpperCase();
          break;
        case "o":
          s = Math.trunc(num(v, "%o")).toString(8);
          if (flags.includes("#")) s = "0o" + s;
          break;
        default: // c
          s = typeof v === "number" ? String.fromCodePoint(v) : pyStr(v);
      }
      if ("dfFeEgGxXo".includes(conv) || conv === "i") {
        if (flags.includes("+") && !s.startsWith("-")) s = "+" + s;
        else if (flags.includes(" ") && !s.startsWith("-")) s = " " + s;
      }
      const w = width === undefined ? 0 : width === "*" ? 0 : Number(width);
      if (s.length < w) {
        if (flags.includes("-")) s = s.padEnd(w);
        else if (flags.includes("0") && conv !== "s" && conv !== "r" && conv !== "c") {
          const sign = /^[-+ ]/.test(s) ? s[0]! : "";
          s = sign + s.slice(sign.length).padStart(w - sign.length, "0");
        } else s = s.padStart(w);
      }
      return s;
    },
  );
  if (i < list.length && !isDict(arg)) throw new ExprEvalError("not all arguments converted during string formatting");
  return out;
}

/** Python's str.format with {} / {0} / {name} fields (no format specs beyond plain fields). */
export function pyFormat(fmt: string, a: Val[], kw: Record<string, Val>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const name = (field ?? "").split(/[!:]/)[0]!;
    let v: Val;
    if (name === "") v = a[auto++];
    else if (/^\d+$/.test(name)) v = a[Number(name)];
    else {
      if (!hasOwn(kw, name)) throw new ExprEvalError(`format(): no argument named '${name}'`);
      v = kw[name];
    }
    if (v === undefined) throw new ExprEvalError("format(): not enough arguments");
    return pyStr(v);
  });
}
