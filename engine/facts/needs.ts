// Which facts a run needs: Ansible's whole fact list, or only what keel itself reads (its modules'
// strategies and the reports' host line). Pure: files are read through the caller's function.
//
// Gathering lazily must never change what a playbook sees, so the proof is conservative: any
// text that could reach a fact by name or by enumeration makes the run gather everything. Scanned:
// every string of every play (vars, vars_files, role defaults and vars, tasks and handlers of
// blocks, imports and includes, which the loader already spliced into the plan, their guards,
// when/changed_when/failed_when/until, loops, module arguments, placement), templated mapping
// keys, the inventory's values and -e, and the template files that template tasks render. Names
// are scanned only when templated (a task called "Gather facts" reads nothing).
//
// What reaches facts: an `ansible_` name, `ansible_facts`, `hostvars`, `vars` (the variable, its
// subscript or the lookup), any lookup or query (lookup('vars'), lookup('template') of a file not
// scanned here…), setup's own names (`discovered_interpreter_python`, `gather_subset`,
// `module_setup`), keel's `facts` variable except the fields keel always gathers, a template
// source that is itself templated or not found, Jinja's include/import/extends in a template
// file, Handlebars' `this`, `@root`, `../`, `lookup` and partials, and the modules that read facts
// themselves (setup and gather_facts, include_vars with its run-time file, hardening.profile's
// applies_when).

import { isAbsolute, join } from "node:path";

/** Keel's own facts (engine/core/facts.ts), which the lazy probe still gathers: `facts.<name>` may be read. */
export const KEEL_FACT_FIELDS: readonly string[] = [
  "arch",
  "firewall",
  "hostname",
  "init",
  "ipv4",
  "kernel",
  "os_codename",
  "os_family",
  "os_id",
  "os_pretty",
  "os_version",
  "os_version_full",
  "pkg_mgr",
  "service_mgr",
  "user",
];

/** Modules that read facts by themselves, whatever their arguments say. */
const FACT_MODULES = new Set(["system.setup", "system.include_vars", "hardening.profile"]);

/** Plan fields that are positions, paths and identifiers, never templated. */
const SKIP_KEYS = new Set(["pos", "argsPos", "argPos", "loopPos", "searchDirs", "id", "module", "moduleAs", "kind", "dir", "file", "includeStack"]);
/** Fields that are templated names: scanned only when they hold a template. */
const NAME_KEYS = new Set(["name", "what", "as"]);

const REACH = /\b(?:ansible_\w*|hostvars|vars|varnames|lookup|query|discovered_interpreter_python|gather_subset|module_setup)\b|\bq\s*\(/;
const FACTS_WORD = /\bfacts\b/g;
const FACTS_FIELD = new RegExp(`^(?:\\.(?:${KEEL_FACT_FIELDS.join("|")})\\b|\\[\\s*(["'])(?:${KEEL_FACT_FIELDS.join("|")})\\1\\s*\\])`);
const JINJA_FILE = /\{%-?\s*(?:include|import|extends|from)\b/;
const HBS_FILE = /\bthis\b|@root|\.\.\/|\blookup\b|\{\{~?\s*>/;

const templated = (s: string) => s.includes("{{") || s.includes("{%");

/** Why a text may read a fact, or undefined when it cannot. */
export function factReference(text: string): string | undefined {
  const m = REACH.exec(text);
  if (m) return m[0].replace(/\s+/g, "");
  for (const f of text.matchAll(FACTS_WORD)) {
    const after = text.slice(f.index + f[0].length);
    // facts.os_family is gathered lazily too; facts, facts.cpus, facts[x] are not
    if (!FACTS_FIELD.test(after)) return `facts${/^\.\w+/.exec(after)?.[0] ?? ""}`;
  }
  return undefined;
}

/** Why a template file's text may read a fact (the expression rules, plus the file's own ways in). */
export function templateFileReference(text: string, name: string): string | undefined {
  const r = factReference(text);
  if (r) return r;
  if (JINJA_FILE.test(text)) return "an include/import/extends in the template";
  if (/\.hbs$/.test(name) && HBS_FILE.test(text)) return "this, @root, ../, lookup or a partial in the Handlebars template";
  return undefined;
}

interface Pos {
  file: string;
  line: number;
  col?: number;
}

export interface NeedsInput {
  /** The plan's plays (engine/core/plan.ts Play), read field by field. */
  plays: readonly object[];
  /** The playbook's folder: template sources of tasks without search folders resolve there. */
  dir: string;
  /** Inventory variables of the hosts that may run (each host's merged vars) and -e. */
  vars: readonly unknown[];
  /** The text of a local file, or undefined when it does not exist. */
  readText(path: string): string | undefined;
}

export interface FactNeeds {
  /** true: gather Ansible's whole fact list (as before); false: keel's own facts only. */
  all: boolean;
  /** Why everything is gathered: what may read a fact and where. */
  reason?: string;
}

/** Whether anything in the run can read a fact beyond keel's own ones. */
export function factNeeds(input: NeedsInput): FactNeeds {
  const templates = new Map<string, string | undefined>();
  for (const play of input.plays) {
    const r = walk(play, `play at ${where((play as { pos?: Pos }).pos)}`, input, templates);
    if (r) return { all: true, reason: r };
  }
  for (const v of input.vars) {
    const r = scanValue(v, false);
    if (r) return { all: true, reason: `inventory or -e variable: ${r}` };
  }
  return { all: false };
}

function where(pos: Pos | undefined): string {
  return pos ? `${pos.file}:${pos.line}${pos.col !== undefined ? `:${pos.col}` : ""}` : "?";
}

/** A value's strings and templated keys (inventory and -e: their keys are variable names, never templates). */
function scanValue(v: unknown, keysToo: boolean): string | undefined {
  if (typeof v === "string") return factReference(v);
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = scanValue(x, keysToo);
      if (r) return r;
    }
    return undefined;
  }
  if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (keysToo && templated(k)) {
        const r = factReference(k);
        if (r) return r;
      }
      const r = scanValue(x, keysToo);
      if (r) return r;
    }
  }
  return undefined;
}

/** Every node of a play (tasks, blocks, handlers, roles' variables…), by its fields. */
function walk(node: unknown, at: string, input: NeedsInput, templates: Map<string, string | undefined>): string | undefined {
  if (typeof node === "string") {
    const r = factReference(node);
    return r ? `${at} reads '${r}'` : undefined;
  }
  if (Array.isArray(node)) {
    for (const x of node) {
      const r = walk(x, at, input, templates);
      if (r) return r;
    }
    return undefined;
  }
  if (node === null || typeof node !== "object") return undefined;
  const o = node as Record<string, unknown>;
  const here =
    o.kind === "task" || o.kind === "block"
      ? `${o.kind === "task" ? `task '${String(o.name ?? o.moduleAs)}'` : "block"} at ${where(o.pos as Pos | undefined)}`
      : at;
  if (o.kind === "task") {
    const r = taskFacts(o, here, input, templates);
    if (r) return r;
  }
  for (const [k, v] of Object.entries(o)) {
    if (SKIP_KEYS.has(k)) continue;
    if (NAME_KEYS.has(k) && !(typeof v === "string" && templated(v))) continue;
    if (templated(k)) {
      const r = factReference(k);
      if (r) return `${here} reads '${r}'`;
    }
    const r = walk(v, here, input, templates);
    if (r) return r;
  }
  return undefined;
}

/** What a task's module reads by itself: the facts-reading modules, and template's source file. */
function taskFacts(t: Record<string, unknown>, at: string, input: NeedsInput, templates: Map<string, string | undefined>): string | undefined {
  const module = String(t.module);
  if (FACT_MODULES.has(module)) return `${at} runs ${module}, which reads facts`;
  if (module !== "files.template") return undefined;
  const src = (t.args as Record<string, unknown> | undefined)?.src;
  if (typeof src !== "string" || templated(src)) return `${at}: its template source is not a literal file name`;
  const dirs = Array.isArray(t.searchDirs) && t.searchDirs.length ? (t.searchDirs as string[]) : [input.dir];
  // every file the module could pick (template.ts: <dir>/templates/<src>, then <dir>/<src>)
  const candidates = isAbsolute(src) ? [src] : dirs.flatMap((d) => [join(d, "templates", src), join(d, src)]);
  let found = false;
  for (const c of candidates) {
    if (!templates.has(c)) {
      const text = input.readText(c);
      templates.set(c, text === undefined ? undefined : (templateFileReference(text, c) ?? ""));
    }
    const r = templates.get(c);
    if (r === undefined) continue;
    found = true;
    if (r) return `${at}: template ${c}: ${r}`;
  }
  return found ? undefined : `${at}: template '${src}' not found`;
}
