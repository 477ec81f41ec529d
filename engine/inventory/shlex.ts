// Python's shlex.split(s, comments=True, posix=True), which Ansible uses for INI host lines,
// with the start offset of each token so that errors can name the column. Pure.

export interface Token {
  text: string;
  /** 0-based offset of the token's first character in the input. */
  start: number;
}

export class ShlexError extends Error {}

const WHITESPACE = " \t\r\n";
const QUOTES = `'"`;

export function shlexSplit(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let state: string | null = " ";
  for (;;) {
    let token = "";
    let quoted = false;
    let escapedState = " ";
    let start = -1;
    for (;;) {
      const c = i < s.length ? s[i]! : "";
      i++;
      if (state === null) break;
      if (state === " ") {
        if (!c) {
          state = null;
          break;
        } else if (WHITESPACE.includes(c)) {
          if (token || quoted) break;
          continue;
        } else if (c === "#") {
          i = skipLine(s, i);
        } else if (c === "\\") {
          start = i - 1;
          escapedState = "a";
          state = c;
        } else if (QUOTES.includes(c)) {
          start = i - 1;
          state = c;
        } else {
          start = i - 1;
          token = c;
          state = "a";
        }
      } else if (QUOTES.includes(state)) {
        quoted = true;
        if (!c) throw new ShlexError("No closing quotation");
        if (c === state) state = "a";
        else if (c === "\\" && state === '"') {
          escapedState = state;
          state = c;
        } else token += c;
      } else if (state === "\\") {
        if (!c) throw new ShlexError("No escaped character");
        if (QUOTES.includes(escapedState) && c !== state && c !== escapedState) token += state;
        token += c;
        state = escapedState;
      } else if (state === "a") {
        if (!c) {
          state = null;
          break;
        } else if (WHITESPACE.includes(c)) {
          state = " ";
          if (token || quoted) break;
          continue;
        } else if (c === "#") {
          i = skipLine(s, i);
          state = " ";
          if (token || quoted) break;
          continue;
        } else if (QUOTES.includes(c)) {
          state = c;
        } else if (c === "\\") {
          escapedState = "a";
          state = c;
        } else token += c;
      }
    }
    if (!quoted && token === "") {
      if (state === null) return out;
      continue;
    }
    out.push({ text: token, start });
    if (state === null) return out;
  }
}

function skipLine(s: string, i: number): number {
  const n = s.indexOf("\n", i);
  return n < 0 ? s.length : n + 1;
}
