// Ansible's `comment` filter (ansible/plugins/filter/core.py), step for step: styles plain,
// erlang, c, cblock, xml, and the keyword arguments that override them.
import { ExprEvalError } from "./errors.js";
import { pyStr } from "./values.js";

const STYLES: Record<string, Record<string, string>> = {
  plain: { decoration: "# " },
  erlang: { decoration: "% " },
  c: { decoration: "// " },
  cblock: { beginning: "/*", decoration: " * ", end: " */" },
  xml: { beginning: "<!--", decoration: " - ", end: "-->" },
};

export const COMMENT_KW = ["style", "decoration", "beginning", "prefix", "prefix_count", "postfix", "postfix_count", "end", "newline"];

export function comment(text: string, styleArg: unknown, kw: Record<string, unknown>): string {
  const style = pyStr(styleArg ?? kw.style ?? "plain");
  const sp = STYLES[style];
  if (!sp) throw new ExprEvalError(`filter 'comment': unknown style '${style}' (plain, erlang, c, cblock, xml)`);
  const rest = Object.fromEntries(Object.entries(kw).filter(([k]) => k !== "style"));
  const prepostfix = Object.hasOwn(rest, "decoration") ? pyStr(rest.decoration) : sp.decoration!;
  const p: Record<string, unknown> = {
    newline: "\n",
    beginning: "",
    prefix: prepostfix.trimEnd(),
    prefix_count: 1,
    decoration: "",
    postfix: prepostfix.trimEnd(),
    postfix_count: 1,
    end: "",
    ...sp,
    ...rest,
  };
  const s = (k: string) => pyStr(p[k]);
  const nl = s("newline");
  const dec = s("decoration");
  const beginning = s("beginning") ? `${s("beginning")}${nl}` : "";
  let prefix = "";
  if (s("prefix")) prefix = (s("prefix") !== nl ? `${s("prefix")}${nl}` : nl).repeat(Math.max(0, Number(p.prefix_count)));
  const body = `${dec}${text.split(nl).join(`${nl}${dec}`)}`.split(`${dec}${nl}`).join(`${dec.trimEnd()}${nl}`);
  const postfix = ["", ...Array.from({ length: Math.max(0, Number(p.postfix_count)) }, () => s("postfix"))].join(nl);
  const end = s("end") ? `${nl}${s("end")}` : "";
  return `${beginning}${prefix}${body}${postfix}${end}`;
}
