// Pure helpers for building POSIX sh text. Every value interpolated into a command goes through shq.

import { InputError } from "./errors.js";

/** Quote a string for POSIX sh: 'it'\''s'. */
export function shq(s: string | number): string {
  const str = String(s);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(str)) return str;
  return `'${str.replace(/'/g, `'\\''`)}'`;
}

/** Quote each and join with spaces. */
export function shJoin(args: (string | number)[]): string {
  return args.map(shq).join(" ");
}

/**
 * Splits a command string into words like a POSIX shell does, without any expansion: quotes and
 * backslashes are honoured; $VAR, globs, ~, |, >, ;, && are plain characters. Throws InputError on an
 * unterminated quote.
 */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === " " || ch === "\t" || ch === "\n") {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw unterminated(s, "'");
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === "\\" && j + 1 < s.length && '$`"\\\n'.includes(s[j + 1]!)) {
          j++;
          if (s[j] !== "\n") cur += s[j];
        } else cur += s[j];
      }
      if (j >= s.length) throw unterminated(s, '"');
      i = j;
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 < s.length) {
        i++;
        if (s[i] !== "\n") {
          cur += s[i];
          inWord = true;
        }
      }
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function unterminated(s: string, q: string): InputError {
  return new InputError(`unterminated ${q} quote in command: ${s}`, undefined, `close the ${q} quote, or escape it with a backslash`);
}

/**
 * A path argument of Ansible's type `path` as a shell word: a leading `~` or `~/` is the home of
 * the user the command runs as (Ansible expands it on the host), the rest is quoted.
 */
export function shHomePath(p: string): string {
  return p === "~" ? '"$HOME"' : p.startsWith("~/") ? `"$HOME"/${shq(p.slice(2))}` : shq(p);
}
