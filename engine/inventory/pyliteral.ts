// Python's ast.literal_eval for INI inventory values, as Ansible's INI plugin applies it:
// `x=1` is the integer 1, `x=True` a boolean, `x="[1, 2]"` a list, `x=yes` stays the string "yes".
// Anything literal_eval rejects stays the original string. Pure.

type Tok = { t: "num"; v: number; imag?: boolean } | { t: "str"; v: string; bytes: boolean } | { t: "name"; v: string } | { t: "op"; v: string } | { t: "end" };

class Reject extends Error {}

/** The value literal_eval gives, or `undefined` if it raises (then Ansible keeps the string). */
export function literalEval(src: string): { value: unknown } | undefined {
  try {
    const p = new Parser(tokenize(src.replace(/^[ \t]+/, "")));
    const v = p.expr();
    p.expectEnd();
    return { value: v };
  } catch (e) {
    if (e instanceof Reject) return undefined;
    throw e;
  }
}

/** Ansible's INI _parse_value: literal_eval, falling back to the raw text. */
export function iniValue(src: string): unknown {
  const r = literalEval(src);
  return r === undefined ? src : r.value;
}

const STR_PREFIX = /^(?:[rR]|[uU]|[bB]|[bB][rR]|[rR][bB])?(?=['"])/;

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  // brackets let newlines through, as in Python
  let depth = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "\\" && s[i + 1] === "\n") {
      i += 2;
      continue;
    }
    if (c === "\n" || c === "\r") {
      if (depth === 0) {
        // trailing newlines are fine; a second logical line is a syntax error for mode='eval'
        const rest = s.slice(i).replace(/^(?:\s|#[^\n]*)*/, "");
        if (rest) throw new Reject();
        break;
      }
      i++;
      continue;
    }
    if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
      continue;
    }
    const pre = STR_PREFIX.exec(s.slice(i));
    if (pre) {
      const prefix = pre[0].toLowerCase();
      i += pre[0].length;
      const r = readString(s, i, prefix.includes("r"), prefix.includes("b"));
      out.push({ t: "str", v: r.value, bytes: prefix.includes("b") });
      i = r.end;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(s[i + 1] ?? ""))) {
      const r = readNumber(s, i);
      out.push(r.tok);
      i = r.end;
      continue;
    }
    if (/[\p{L}_]/u.test(c)) {
      let j = i + 1;
      while (j < s.length && /[\p{L}\p{N}_]/u.test(s[j]!)) j++;
      const word = s.slice(i, j);
      // f-strings and other prefixes followed by a quote are not literals
      if (s[j] === "'" || s[j] === '"') throw new Reject();
      out.push({ t: "name", v: word });
      i = j;
      continue;
    }
    if ("([{".includes(c)) depth++;
    if (")]}".includes(c)) depth = Math.max(0, depth - 1);
    if ("()[]{},:+-".includes(c)) {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    // any other operator or character: either a syntax error or a non-literal node
    throw new Reject();
  }
  out.push({ t: "end" });
  return out;
}

function readString(s: string, i: number, raw: boolean, bytes: boolean): { value: string; end: number } {
  const q = s[i]!;
  const triple = s.startsWith(q.repeat(3), i);
  const close = triple ? q.repeat(3) : q;
  i += close.length;
  let v = "";
  for (;;) {
    if (i >= s.length) throw new Reject();
    if (s.startsWith(close, i)) return { value: v, end: i + close.length };
    const c = s[i]!;
    if (!triple && c === "\n") throw new Reject();
    if (c === "\\") {
      const n = s[i + 1];
      if (n === undefined) throw new Reject();
      if (raw) {
        v += c + n;
        i += 2;
        continue;
      }
      i += 2;
      switch (n) {
        case "\n":
          break;
        case "\\":
        case "'":
        case '"':
          v += n;
          break;
        case "a":
          v += "\x07";
          break;
        case "b":
          v += "\b";
          break;
        case "f":
          v += "\f";
          break;
        case "n":
          v += "\n";
          break;
        case "r":
          v += "\r";
          break;
        case "t":
          v += "\t";
          break;
        case "v":
          v += "\v";
          break;
        case "x": {
          const h = s.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Reject();
          v += String.fromCharCode(parseInt(h, 16));
          i += 2;
          break;
        }
        case "u":
        case "U": {
          if (bytes) {
            v += "\\" + n;
            break;
          }
          const len = n === "u" ? 4 : 8;
          const h = s.slice(i, i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw new Reject();
          const cp = parseInt(h, 16);
          if (cp > 0x10ffff) throw new Reject();
          v += String.fromCodePoint(cp);
          i += len;
          break;
        }
        default:
          if (/[0-7]/.test(n)) {
            let o = n;
            while (o.length < 3 && /[0-7]/.test(s[i] ?? "")) o += s[i++];
            v += String.fromCharCode(parseInt(o, 8));
          } else if (n === "N" && !bytes) {
            throw new Reject(); // \N{NAME}: no Unicode name table here
          } else v += "\\" + n;
      }
      continue;
    }
    v += c;
    i++;
  }
}

const DIGITS = String.raw`[0-9](?:_?[0-9])*`;
const FLOAT_RE = new RegExp(String.raw`^(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.)(?:[eE][-+]?${DIGITS})?|^${DIGITS}[eE][-+]?${DIGITS}`);
const INT_RE = new RegExp(`^${DIGITS}`);

function readNumber(s: string, i: number): { tok: Tok; end: number } {
  const rest = s.slice(i);
  let m: RegExpExecArray | null;
  const after = (len: number) => {
    const n = rest[len];
    // `1abc`, `0x1g`: Python's tokenizer makes that a syntax error
    if (n !== undefined && /[\p{L}\p{N}_.]/u.test(n)) throw new Reject();
  };
  if ((m = /^0[xX](?:_?[0-9a-fA-F])+/.exec(rest))) {
    after(m[0].length);
    return { tok: { t: "num", v: parseInt(m[0].slice(2).replace(/_/g, ""), 16) }, end: i + m[0].length };
  }
  if ((m = /^0[oO](?:_?[0-7])+/.exec(rest))) {
    after(m[0].length);
    return { tok: { t: "num", v: parseInt(m[0].slice(2).replace(/_/g, ""), 8) }, end: i + m[0].length };
  }
  if ((m = /^0[bB](?:_?[01])+/.exec(rest))) {
    after(m[0].length);
    return { tok: { t: "num", v: parseInt(m[0].slice(2).replace(/_/g, ""), 2) }, end: i + m[0].length };
  }
  if ((m = FLOAT_RE.exec(rest))) {
    let len = m[0].length;
    const imag = /^[jJ]/.test(rest.slice(len));
    if (imag) len++;
    after(len);
    return { tok: { t: "num", v: parseFloat(m[0].replace(/_/g, "")), imag }, end: i + len };
  }
  m = INT_RE.exec(rest)!;
  let len = m[0].length;
  const imag = /^[jJ]/.test(rest.slice(len));
  if (imag) len++;
  after(len);
  const text = m[0].replace(/_/g, "");
  // leading zeros are a syntax error in Python 3 except for 0, 00, 000...
  if (!imag && text.length > 1 && text[0] === "0" && /[1-9]/.test(text)) throw new Reject();
  return { tok: { t: "num", v: Number(text), imag }, end: i + len };
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }
  private eat(v: string): void {
    if (!this.isOp(v)) throw new Reject();
    this.i++;
  }

  expectEnd(): void {
    if (this.peek().t !== "end") throw new Reject();
  }

  /** A top-level expression: a bare tuple `1, 2` is allowed too. */
  expr(): unknown {
    const first = this.sum();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.isOp(",")) {
      this.i++;
      if (this.peek().t === "end" || this.isOp(")")) break;
      items.push(this.sum());
    }
    return items;
  }

  /** `a + bj` / `a - bj`: literal_eval's only binary operation (complex numbers, not representable). */
  private sum(): unknown {
    const left = this.unary();
    if (this.isOp("+") || this.isOp("-")) throw new Reject();
    return left;
  }

  private unary(): unknown {
    if (this.isOp("+") || this.isOp("-")) {
      const neg = (this.next() as { v: string }).v === "-";
      // literal_eval allows one sign directly on a number; parentheses create no node
      let parens = 0;
      while (this.isOp("(")) {
        this.i++;
        parens++;
      }
      const t = this.next();
      if (t.t !== "num" || t.imag) throw new Reject();
      for (; parens > 0; parens--) this.eat(")");
      return neg ? -t.v : t.v;
    }
    return this.atom();
  }

  private atom(): unknown {
    const t = this.next();
    switch (t.t) {
      case "num":
        if (t.imag) throw new Reject(); // complex numbers have no JSON form
        return t.v;
      case "str": {
        let v = t.v;
        // adjacent literals concatenate; mixing bytes and str is a syntax error
        while (this.peek().t === "str") {
          const n = this.next() as { v: string; bytes: boolean };
          if (n.bytes !== t.bytes) throw new Reject();
          v += n.v;
        }
        if (t.bytes) throw new Reject(); // bytes are not text; keep the raw string
        return v;
      }
      case "name":
        if (t.v === "True") return true;
        if (t.v === "False") return false;
        if (t.v === "None") return null;
        throw new Reject();
      case "op":
        if (t.v === "(") {
          if (this.isOp(")")) {
            this.i++;
            return [];
          }
          const first = this.sum();
          if (this.isOp(")")) {
            this.i++;
            return first;
          }
          const items = [first];
          while (this.isOp(",")) {
            this.i++;
            if (this.isOp(")")) break;
            items.push(this.sum());
          }
          this.eat(")");
          return items;
        }
        if (t.v === "[") {
          const items: unknown[] = [];
          while (!this.isOp("]")) {
            items.push(this.sum());
            if (!this.isOp(",")) break;
            this.i++;
          }
          this.eat("]");
          return items;
        }
        if (t.v === "{") {
          if (this.isOp("}")) {
            this.i++;
            return {};
          }
          const first = this.sum();
          if (this.isOp(":")) {
            const obj: Record<string, unknown> = {};
            this.i++;
            obj[keyOf(first)] = this.sum();
            while (this.isOp(",")) {
              this.i++;
              if (this.isOp("}")) break;
              const k = this.sum();
              this.eat(":");
              obj[keyOf(k)] = this.sum();
            }
            this.eat("}");
            return obj;
          }
          // a set: unique elements, order as JSON lists them is unspecified in Python
          const items = [first];
          while (this.isOp(",")) {
            this.i++;
            if (this.isOp("}")) break;
            items.push(this.sum());
          }
          this.eat("}");
          return [...new Set(items)];
        }
        throw new Reject();
      default:
        throw new Reject();
    }
  }
}

function keyOf(k: unknown): string {
  if (k === null) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  if (typeof k === "string" || typeof k === "number") return String(k);
  throw new Reject(); // lists and dicts are unhashable
}
