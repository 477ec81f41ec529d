// system.include_vars: load variables from YAML/JSON files on the controller for the rest of the
// run. Ansible twin: ansible.builtin.include_vars. Runs on the controller.
//
// A relative `file` or `dir` is found as Ansible finds it: in each of the task's folders (its
// role's, then the playbook's), first under vars/, then in the folder itself. The variables rank
// with set_fact and registered results: above role and play vars, below -e (Ansible's
// include_vars sits just under set_fact). With `with_first_found` or
// `lookup('first_found', …)` the file is chosen per host (`{{ ansible_os_family }}.yml`).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, isAbsolute, join, relative } from "node:path";
import { parseDocument, visit, isScalar } from "yaml";
import { defineControllerModule, type ControllerResult } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";

export interface IncludeVarsArgs {
  file?: string;
  dir?: string;
  name?: string;
  depth?: number;
  files_matching?: string;
  ignore_files?: string[];
  extensions?: string[];
  ignore_unknown_extensions?: boolean;
  hash_behaviour?: "replace" | "merge";
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export default defineControllerModule<IncludeVarsArgs>({
  name: "system.include_vars",
  aliases: ["include_vars"],
  description: "Load variables from a YAML or JSON file (or every file of a folder) on the controller, e.g. OS-specific vars with with_first_found.",
  freeForm: "file",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      file: { type: "string", description: "The file (YAML or JSON mapping); relative names are looked for under vars/ of the role, then the playbook." },
      dir: { type: "string", description: "Load every file of this folder (sorted by name) instead of one file." },
      name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "Put the variables under this one variable instead of at the top level." },
      depth: { type: "integer", minimum: 0, default: 0, description: "With dir: how deep to descend (0: no limit)." },
      files_matching: { type: "string", description: "With dir: only files whose name matches this regular expression." },
      ignore_files: { type: "array", items: { type: "string" }, description: "With dir: file names to skip." },
      extensions: { type: "array", items: { type: "string" }, default: ["yaml", "yml", "json"], description: "With dir: the file extensions read." },
      ignore_unknown_extensions: { type: "boolean", default: false, description: "With dir: skip files with other extensions instead of failing." },
      hash_behaviour: {
        type: "string",
        enum: ["replace", "merge"],
        default: "replace",
        description: "merge: merge mappings into existing variables of the same name.",
      },
    },
  },

  validate(a) {
    if (a.file === undefined && a.dir === undefined)
      throw new InputError(
        "include_vars needs file (or the file name as free form) or dir",
        undefined,
        "write `include_vars: vars/main.yml` or `include_vars: { dir: vars }`",
      );
    if (a.file !== undefined && a.dir !== undefined) throw new InputError("include_vars takes file or dir, not both");
  },

  resource: (a) => `vars ${a.file ?? a.dir ?? ""}`,

  run(a, ctx): ControllerResult {
    const dirs = ctx.searchDirs ?? [];
    const find = (name: string, wantDir: boolean): string | undefined => {
      const cands = isAbsolute(name) ? [name] : dirs.flatMap((d) => [join(d, "vars", name), join(d, name)]);
      return cands.find((c) => existsSync(c) && statSync(c).isDirectory() === wantDir);
    };
    let files: string[];
    if (a.dir !== undefined) {
      const root = find(a.dir, true);
      if (!root) return { failed: true, msg: `include_vars: folder '${a.dir}' not found under vars/ of ${dirs.join(", ")}` };
      const exts = a.extensions ?? ["yaml", "yml", "json"];
      const re = a.files_matching !== undefined ? new RegExp(a.files_matching) : undefined;
      files = [];
      const walk = (d: string, level: number) => {
        for (const e of readdirSync(d).sort()) {
          const f = join(d, e);
          if (statSync(f).isDirectory()) {
            if (!a.depth || level < a.depth) walk(f, level + 1);
            continue;
          }
          if (a.ignore_files?.includes(e) || (re && !re.test(e))) continue;
          if (!exts.includes(extname(e).slice(1))) {
            if (a.ignore_unknown_extensions) continue;
            throw new Error(`include_vars: ${relative(root, f)} has an extension not in ${exts.join(", ")}`);
          }
          files.push(f);
        }
      };
      try {
        walk(root, 1);
      } catch (e) {
        return { failed: true, msg: (e as Error).message };
      }
    } else {
      const f = find(a.file!, false);
      if (!f) return { failed: true, msg: `include_vars: file '${a.file}' not found under vars/ or the folder of ${dirs.join(", ")}` };
      files = [f];
    }
    const loaded: Record<string, unknown> = {};
    for (const f of files) {
      let data: unknown;
      try {
        data = readVarsYaml(readFileSync(f, "utf8"));
      } catch (e) {
        return { failed: true, msg: `include_vars: ${f}: ${(e as Error).message}` };
      }
      if (data === null || data === undefined) continue;
      if (typeof data !== "object" || Array.isArray(data)) return { failed: true, msg: `include_vars: ${f} must hold a mapping of name: value` };
      for (const k of Object.keys(data)) if (!VAR_NAME.test(k)) return { failed: true, msg: `include_vars: ${f}: '${k}' is not a valid variable name` };
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
        const old = a.hash_behaviour === "merge" ? (loaded[k] ?? ctx.vars[k]) : undefined;
        loaded[k] = isMap(old) && isMap(v) ? deepMerge(old, v) : v;
      }
    }
    return { changed: false, setFacts: a.name !== undefined ? { [a.name]: loaded } : loaded, setFactsWritten: true };
  },
});

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * A vars file as Ansible reads it (YAML 1.1: yes/no are booleans), except that an octal literal
 * (`mode: 0640`) keeps its digits (640), as everywhere else in keel (YAML 1.2): modules read a
 * number's digits as octal, so 1.1's value (416) would become mode 0416. Found by the redis role's
 * `redis_conf_dir_mode: 02770`, which became "invalid mode '1528'".
 */
export function readVarsYaml(text: string): unknown {
  const doc = parseDocument(text, { version: "1.1" });
  if (doc.errors.length) throw doc.errors[0]!;
  visit(doc, {
    Scalar(_k, n) {
      if (isScalar(n) && n.format === "OCT" && typeof n.value === "number") {
        n.value = Number(n.value.toString(8));
        n.format = undefined;
      }
    },
  });
  return doc.toJS();
}
