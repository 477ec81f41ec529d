// Jinja's lexer, rule for rule (jinja2/lexer.py 3.1): the same whitespace control as Ansible's
// template module gets from Jinja, so that keel's output is byte-identical. Newlines are
// normalised to "\n", one trailing newline is dropped unless keep_trailing_newline, `{%-`/`-%}`
// strip whitespace, trim_blocks eats the newline after a block or comment tag, lstrip_blocks
// eats the indentation before one, `+` disables both, and `{% raw %}` text is passed through.
// Inside tags the text is split into Jinja's tokens, so that `}}` or `%}` inside a string or a
// dict literal does not end the tag.

export interface LexOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  keepTrailingNewline: boolean;
  blockStart: string;
  blockEnd: string;
  variableStart: string;
  variableEnd: string;
  commentStart: string;
  commentEnd: string;
}

export const DEFAULT_LEX: LexOptions = {
  trimBlocks: true, // Ansible's default (Jinja's own is false)
  lstripBlocks: false,
  keepTrailingNewline: false,
  blockStart: "{%",
  blockEnd: "%}",
  variableStart: "{{",
  variableEnd: "}}",
  commentStart: "{#",
  commentEnd: "#}",
};

/** One token inside a `{{ }}` or `{% %}` tag. */
export interface Tok {
  type: "name" | "string" | "number" | "op";
  value: string;
  /** Offset in the normalised source. */
  start: number;
  end: number;
}

export type Piece = { kind: "data"; text: string; start: number } | { kind: "var" | "block"; text: string; toks: Tok[]; start: number; inner: number };

export class LexError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const WS = /\s+/y;
const FLOAT = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/iy;
const INTEGER = /(?:0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*)/iy;
const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const STRING = /'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*"/sy;
const OPERATOR = /\/\/|\*\*|==|!=|>=|<=|[+\-/*%~[\](){}><=.:|,;]/y;

/** Jinja drops one trailing newline and reads \r\n and \r as \n. */
export function normalise(source: string, o: LexOptions): string {
  const lines = source.split(/\r\n|\r|\n/);
  if (!o.keepTrailingNewline && lines[lines.length - 1] === "") lines.pop();
  return lines.join("\n");
}

export function tokenize(src: string, o: LexOptions): Piece[] {
  const [bs, be, vs, ve, cs, ce] = [o.blockStart, o.blockEnd, o.variableStart, o.variableEnd, o.commentStart, o.commentEnd].map(esc);
  const suffix = o.trimBlocks ? "\\n?" : "";
  // Jinja's root rule: text, then the first tag start; raw before block, longer starts first
  const starts = [
    { name: "comment", re: `${cs}(\\-|\\+|)`, len: o.commentStart.length },
    { name: "block", re: `${bs}(\\-|\\+|)`, len: o.blockStart.length },
    { name: "variable", re: `${vs}(\\-|\\+|)`, len: o.variableStart.length },
  ].sort((a, b) => b.len - a.len || (b.name < a.name ? -1 : 1));
  const root = new RegExp(`([\\s\\S]*?)(?:(${bs}(\\-|\\+|)\\s*raw\\s*(?:\\-${be}\\s*|${be}))|${starts.map((s) => `(${s.re})`).join("|")})`, "y");
  const names = ["raw", ...starts.map((s) => s.name)];
  const commentEnd = new RegExp(`([\\s\\S]*?)(\\+${ce}|\\-${ce}\\s*|${ce}${suffix})`, "y");
  const blockEnd = new RegExp(`\\+${be}|\\-${be}\\s*|${be}${suffix}`, "y");
  const varEnd = new RegExp(`\\-${ve}\\s*|${ve}`, "y");
  const rawEnd = new RegExp(`([\\s\\S]*?)(${bs}(\\-|\\+|)\\s*endraw\\s*(?:\\+${be}|\\-${be}\\s*|${be}${suffix}))`, "y");

  const out: Piece[] = [];
  let pos = 0;
  let lineStarting = true;
  /** Text before a tag, with `-` (strip all) or lstrip_blocks (strip the indentation) applied. */
  const lead = (text: string, sign: string, isVariable: boolean): string => {
    if (sign === "-") return text.replace(/\s+$/, "");
    if (sign !== "+" && o.lstripBlocks && !isVariable) {
      const l = text.lastIndexOf("\n") + 1;
      if ((l > 0 || lineStarting) && /^\s+$/.test(text.slice(l))) return text.slice(0, l);
    }
    return text;
  };
  const data = (text: string, start: number) => {
    if (text) out.push({ kind: "data", text, start });
  };
  while (pos < src.length) {
    root.lastIndex = pos;
    const m = root.exec(src);
    if (!m) {
      data(src.slice(pos), pos);
      break;
    }
    const g = m.slice(2);
    // groups: raw(whole, sign), then for each start (whole, sign)
    let which = -1;
    for (let k = 0; k < names.length; k++) if (g[k * 2] !== undefined) which = k;
    const name = names[which]!;
    const sign = g[which * 2 + 1]!;
    const tagStart = pos + m[1]!.length;
    data(lead(m[1]!, sign, name === "variable"), pos);
    pos = m.index + m[0].length;
    lineStarting = m[0].endsWith("\n");
    if (name === "raw") {
      rawEnd.lastIndex = pos;
      const r = rawEnd.exec(src);
      if (!r) throw new LexError("Missing end of raw directive", tagStart);
      data(lead(r[1]!, r[3]!, false), pos);
      pos = r.index + r[0].length;
      lineStarting = r[0].endsWith("\n");
      continue;
    }
    if (name === "comment") {
      commentEnd.lastIndex = pos;
      const c = commentEnd.exec(src);
      if (!c) throw new LexError("Missing end of comment tag", tagStart);
      pos = c.index + c[0].length;
      lineStarting = c[0].endsWith("\n");
      continue;
    }
    const end = name === "block" ? blockEnd : varEnd;
    const inner = pos;
    const toks: Tok[] = [];
    const balance: string[] = [];
    for (;;) {
      if (pos >= src.length)
        throw new LexError(
          `unexpected end of template: '${name === "block" ? o.blockStart : o.variableStart}' is not closed with '${name === "block" ? o.blockEnd : o.variableEnd}'`,
          tagStart,
        );
      if (!balance.length) {
        end.lastIndex = pos;
        const e = end.exec(src);
        if (e) {
          out.push({ kind: name === "block" ? "block" : "var", text: src.slice(inner, pos), toks, start: tagStart, inner });
          pos += e[0].length;
          lineStarting = e[0].endsWith("\n");
          break;
        }
      }
      const tok = nextTok(src, pos);
      if (!tok) throw new LexError(`unexpected char ${JSON.stringify(src[pos])}`, pos);
      if (tok.type === "op") {
        const v = tok.value;
        if (v === "{" || v === "(" || v === "[") balance.push(v === "{" ? "}" : v === "(" ? ")" : "]");
        else if (v === "}" || v === ")" || v === "]") {
          const want = balance.pop();
          if (want === undefined) throw new LexError(`unexpected '${v}'`, pos);
          if (want !== v) throw new LexError(`unexpected '${v}', expected '${want}'`, pos);
        }
      }
      if (tok.type !== ("ws" as string)) toks.push(tok);
      pos = tok.end;
    }
  }
  return out;
}

/** The token at `pos` inside a tag (whitespace is returned with type "ws"), or undefined. */
function nextTok(src: string, pos: number): Tok | undefined {
  const at = (re: RegExp, type: Tok["type"] | "ws"): Tok | undefined => {
    re.lastIndex = pos;
    const m = re.exec(src);
    return m && m[0].length ? { type: type as Tok["type"], value: m[0], start: pos, end: pos + m[0].length } : undefined;
  };
  return at(WS, "ws") ?? at(FLOAT, "number") ?? at(INTEGER, "number") ?? at(NAME, "name") ?? at(STRING, "string") ?? at(OPERATOR, "op");
}

/** Read a template's `#jinja2:` first line (Ansible's overrides), returning the options and the rest. */
export function readHeader(source: string, base: LexOptions, newline = "\n"): { opts: LexOptions; newline: string; body: string; error?: string } {
  const opts = { ...base };
  if (!source.startsWith("#jinja2:")) return { opts, newline, body: source };
  const eol = source.indexOf("\n");
  // as Ansible: data[len('#jinja2:'):eol] — with no newline, eol is -1 and the last character is cut
  const line = source.slice("#jinja2:".length, eol === -1 ? source.length - 1 : eol);
  const body = eol === -1 ? source : source.slice(eol + 1);
  const keys: Record<string, keyof LexOptions> = {
    trim_blocks: "trimBlocks",
    lstrip_blocks: "lstripBlocks",
    keep_trailing_newline: "keepTrailingNewline",
    block_start_string: "blockStart",
    block_end_string: "blockEnd",
    variable_start_string: "variableStart",
    variable_end_string: "variableEnd",
    comment_start_string: "commentStart",
    comment_end_string: "commentEnd",
  };
  for (const pair of line.split(",")) {
    const c = pair.indexOf(":");
    if (c === -1)
      return {
        opts,
        newline,
        body,
        error: `failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`,
      };
    const key = pair.slice(0, c).trim();
    const raw = pair.slice(c + 1).trim();
    const val = pyLiteral(raw);
    if (val === undefined) return { opts, newline, body, error: `the value of jinja2 override '${key}' is not a Python literal: ${raw}` };
    if (key === "newline_sequence") {
      if (val !== "\n" && val !== "\r\n" && val !== "\r")
        return { opts, newline, body, error: `newline_sequence must be '\\n', '\\r\\n' or '\\r', got ${raw}` };
      newline = val;
    } else if (Object.hasOwn(keys, key))
      (opts as unknown as Record<string, unknown>)[keys[key]!] = typeof opts[keys[key]!] === "boolean" ? Boolean(val) : String(val);
    else return { opts, newline, body, error: `unknown jinja2 override '${key}' (keel knows ${[...Object.keys(keys), "newline_sequence"].join(", ")})` };
  }
  return { opts, newline, body };
}

/** A Python literal as ast.literal_eval reads the simple ones: True/False/None, numbers, strings. */
function pyLiteral(raw: string): string | boolean | number | null | undefined {
  if (raw === "True") return true;
  if (raw === "False") return false;
  if (raw === "None") return null;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  const m = /^(['"])((?:\\.|(?!\1).)*)\1$/s.exec(raw);
  if (!m) return undefined;
  return m[2]!.replace(/\\(.)/g, (_x, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c);
}
