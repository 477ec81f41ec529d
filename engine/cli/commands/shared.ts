// Option parsing shared by the commands.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError } from "../../core/errors.js";

/** commander accumulator for repeatable options. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A path inside the installed keel package (playbooks/, inventories/, roles/). */
export function packagePath(rel: string): string {
  // this file is dist/engine/cli/commands/shared.js (or engine/cli/commands/shared.ts under tests)
  const here = fileURLToPath(new URL(".", import.meta.url));
  const root = resolve(here, here.includes("/dist/") ? "../../../.." : "../../..");
  return resolve(root, rel);
}

/** -e values, Ansible style: key=value pairs, a JSON/YAML mapping, or @file.yml. Later ones win. */
export function parseExtraVars(specs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (spec.startsWith("@")) {
      const file = spec.slice(1);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new InputError(`cannot read extra-vars file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, undefined, "use -e @path/to/vars.yml with an existing file");
      }
      Object.assign(out, asMapping(parseYaml(text), file));
    } else if (/^\s*[{[]/.test(spec)) {
      Object.assign(out, asMapping(parseYaml(spec), "-e"));
    } else {
      for (const part of splitPairs(spec)) {
        const eq = part.indexOf("=");
        if (eq <= 0) throw new InputError(`invalid extra variable '${part}'`, undefined, "use key=value, a JSON/YAML mapping, or @file.yml");
        out[part.slice(0, eq)] = part.slice(eq + 1);
      }
    }
  }
  return out;
}

function asMapping(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InputError(`extra vars from ${where} must be a mapping of names to values`);
  return v as Record<string, unknown>;
}

/** "a=1 b='two words'" -> ["a=1", "b=two words"] */
function splitPairs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q: string | null = null;
  for (const ch of s) {
    if (q) {
      if (ch === q) q = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') q = ch;
    else if (/\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}
