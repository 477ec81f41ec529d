// Python regular expressions (as Ansible playbooks write them: lineinfile's regexp, the
// regex_* filters, `is match`) as JavaScript RegExps. The one translation that modules and
// templates share.
import { InputError } from "./errors.js";

/** An invalid pattern: `reason` is what is wrong, without the argument's name. */
export class PyRegexError extends InputError {
  constructor(
    readonly argName: string,
    readonly reason: string,
  ) {
    super(
      `invalid regular expression in ${argName}: ${reason}`,
      undefined,
      "check the escaping: in YAML double quotes a backslash must be doubled; single quotes keep it as is",
    );
  }
}

export interface PyRegexFlags {
  ignorecase?: unknown;
  multiline?: unknown;
  /** Find every match (re.findall, re.sub). */
  global?: boolean;
}

/**
 * Translate a Python pattern: leading (?aiLmsux) flag groups ((?x) verbose: whitespace and
 * `# comments` outside character classes are dropped, as Python does), (?P<name>…), (?P=name),
 * \A and \Z. `ignorecase`/`multiline` add flags when they are `true`.
 * @throws PyRegexError naming `argName`.
 */
export function pyRegex(src: string, argName: string, opts: PyRegexFlags = {}): RegExp {
  let s = src;
  let flags = opts.global ? "g" : "";
  let verbose = false;
  for (let lead = /^\(\?([aiLmsux]+)\)/.exec(s); lead; lead = /^\(\?([aiLmsux]+)\)/.exec(s)) {
    for (const c of lead[1]!) {
      if (c === "x") verbose = true;
      else if ("ims".includes(c) && !flags.includes(c)) flags += c;
    }
    s = s.slice(lead[0].length);
  }
  if (opts.ignorecase === true && !flags.includes("i")) flags += "i";
  if (opts.multiline === true && !flags.includes("m")) flags += "m";
  if (verbose) s = stripVerbose(s);
  s = s
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, "(?<$1>")
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, "\\k<$1>")
    .replace(/\\A/g, "^")
    .replace(/\\Z/g, "$");
  try {
    return new RegExp(s, flags);
  } catch (e) {
    throw new PyRegexError(argName, (e as Error).message.replace(/^Invalid regular expression: /, ""));
  }
}

/** Python's re.VERBOSE: unescaped whitespace and `#…` to the end of the line go, except in [classes]. */
function stripVerbose(s: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      out += c + (s[i + 1] ?? "");
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
      out += c;
    } else if (c === "[") {
      inClass = true;
      out += c;
    } else if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}
