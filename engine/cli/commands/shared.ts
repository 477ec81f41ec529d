// Option parsing shared by the commands.
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError } from "../../core/errors.js";
import { YamlFile } from "../../core/yaml.js";
export { packagePath } from "../../core/paths.js";

/** commander accumulator for repeatable options (no default: undefined until given). */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** -e values: `@file.yml`, a JSON/YAML mapping, or `key=value key2="a b"`. Later ones win. */
export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const raw of values) {
    const v = raw.trim();
    if (v.startsWith("@")) {
      const file = resolve(v.slice(1));
      const y = YamlFile.load(file);
      const data = y.js(y.root);
      if (data === null) continue;
      if (typeof data !== "object" || Array.isArray(data))
        throw y.error("extra vars file must be a mapping of variable names to values", y.root, "write it as `name: value` lines");
      Object.assign(out, data);
    } else if (v.startsWith("{")) {
      let data: unknown;
      try {
        data = parseYaml(v);
      } catch (e) {
        throw new InputError(
          `-e '${v}' is not valid JSON/YAML: ${(e as Error).message.split("\n")[0]}`,
          undefined,
          `quote it for the shell: -e '{"name": "value"}'`,
        );
      }
      if (!data || typeof data !== "object" || Array.isArray(data))
        throw new InputError(`-e '${v}' must be a mapping`, undefined, `for example -e '{"name": "value"}'`);
      Object.assign(out, data);
    } else {
      for (const word of splitWords(v)) {
        const eq = word.indexOf("=");
        if (eq <= 0) throw new InputError(`-e '${word}' is not key=value, a JSON/YAML mapping or @file`, undefined, "for example -e env=prod or -e @vars.yml");
        const key = word.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
          throw new InputError(`-e: '${key}' is not a valid variable name`, undefined, "use letters, digits and _; start with a letter or _");
        out[key] = word.slice(eq + 1);
      }
    }
  }
  return out;
}

/** Split on blanks, honouring '…' and "…" quotes (key="a b"). */
function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let has = false;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = "";
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new InputError(`-e '${s}': unclosed ${quote}`, undefined, "close the quote");
  if (has || cur) words.push(cur);
  return words;
}
