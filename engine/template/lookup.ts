// Ansible's lookup plugins that real roles use, run on the controller: lookup()/query()/q() in
// templates and the `with_<plugin>:` loops (the loader turns `with_x: terms` into
// `loop: "{{ query('x', terms) }}"`).
//
// Files are found as Ansible finds them: for each search folder of the task (its role, then the
// playbook's folder), first in the plugin's subfolder (files/, templates/ or vars/ by the task's
// module, as Ansible's first_found does), then in the folder itself. Absolute paths are used as is.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { ExprEvalError } from "./errors.js";
import { missingField, notRunPath } from "./notrun.js";
import { pyRegex } from "./regex.js";
import { urlLookup } from "./lookup-url.js";
import { type Val, isDict, needList, needStr, pyStr, toBool } from "./values.js";

/** The task's controller context that lookups read; attached to a task's variables by the runner. */
export interface LookupContext {
  searchDirs: string[];
  /** The subfolder first_found and friends look in: "files", "templates" or "vars" (from the task's module). */
  subdir: string;
}

const LOOKUP_CTX = Symbol.for("keel.lookupContext");

/** Attach the lookup context of `moduleAs` (the task's module key) to a task's variables; returns them. */
export function withLookupContext<T extends object>(vars: T, searchDirs: string[], moduleAs: string): T {
  const subdir = ["template", "var", "file"].find((s) => moduleAs.includes(s)) ?? "file";
  (vars as Record<symbol, unknown>)[LOOKUP_CTX] = { searchDirs, subdir: `${subdir}s` } satisfies LookupContext;
  return vars;
}

function contextOf(vars: Record<string, unknown>, plugin: string): LookupContext {
  const ctx = (vars as Record<symbol, unknown>)[LOOKUP_CTX] as LookupContext | undefined;
  if (!ctx) throw new ExprEvalError(`lookup('${plugin}') needs a task's context (it runs on the controller for a task)`);
  return ctx;
}

/** Renders a template file's text with the task's variables (set by template/index.ts). */
let renderFile: (text: string, vars: Record<string, unknown>, source: string, name: string, searchDirs: string[]) => string = () => {
  throw new ExprEvalError("lookup('template') is not available");
};
export function setTemplateRenderer(f: typeof renderFile): void {
  renderFile = f;
}

/** Where a relative name is looked for, in order. */
function candidates(ctx: LookupContext, name: string, subdir = ctx.subdir, extraPaths: string[] = []): string[] {
  if (isAbsolute(name)) return [name];
  const out: string[] = [];
  for (const p of extraPaths) {
    if (isAbsolute(p)) out.push(join(p, name));
    else for (const d of ctx.searchDirs) out.push(join(d, p, name));
  }
  for (const d of ctx.searchDirs) out.push(join(d, subdir, name), join(d, name));
  return out;
}

function findFile(ctx: LookupContext, name: string, subdir?: string): string | undefined {
  return candidates(ctx, name, subdir).find((f) => existsSync(f) && statSync(f).isFile());
}

/** A term list: Ansible hands lookups a list of terms; a single string term is one term. */
function terms(a: Val[]): unknown[] {
  return a.flatMap((t) => (Array.isArray(t) ? t : [t]));
}

function globToRe(pat: string): RegExp {
  return new RegExp(
    "^" +
      pat
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]") +
      "$",
  );
}

/** first_found: terms are file names or {files, paths, skip} mappings; the first that exists, as an absolute path. */
function firstFound(ctx: LookupContext, a: Val[], kw: Record<string, Val>): unknown[] {
  let files: string[] = [];
  let paths: string[] = [];
  let skip = toBool(kw.skip ?? false);
  const split = (v: Val): string[] => (Array.isArray(v) ? v.map((x) => pyStr(x)) : pyStr(v).split(/[,;:]/)).map((s) => s.trim()).filter(Boolean);
  for (const t of terms(a)) {
    if (isDict(t)) {
      if (t.files !== undefined) files.push(...split(t.files));
      if (t.paths !== undefined) paths.push(...split(t.paths));
      if (t.skip !== undefined) skip = toBool(t.skip);
    } else if (typeof t === "string") files.push(t);
    else throw new ExprEvalError(`first_found: a term is a file name or a mapping with files/paths, got ${pyStr(t)}`);
  }
  if (kw.files !== undefined) files = [...files, ...split(kw.files)];
  if (kw.paths !== undefined) paths = [...paths, ...split(kw.paths)];
  const tried: string[] = [];
  for (const f of files) {
    const list = paths.length
      ? paths
          .map((p) => (isAbsolute(p) ? join(p, f) : ""))
          .filter(Boolean)
          .concat(
            candidates(
              ctx,
              f,
              ctx.subdir,
              paths.filter((p) => !isAbsolute(p)),
            ),
          )
      : candidates(ctx, f);
    for (const c of list) {
      tried.push(c);
      if (existsSync(c) && statSync(c).isFile()) return [c];
    }
  }
  if (skip) return [];
  throw new ExprEvalError(`first_found: none of the files was found (${files.join(", ")}); looked in ${[...new Set(tried.map(dirname))].join(", ")}`);
}

type Plugin = (ctx: () => LookupContext, a: Val[], kw: Record<string, Val>, vars: Record<string, unknown>) => unknown[];

const PLUGINS: Record<string, Plugin> = {
  file: (ctx, a, kw) =>
    terms(a).map((t) => {
      const name = needStr(t, "lookup('file')");
      const f = findFile(ctx(), name, "files");
      if (!f) throw new ExprEvalError(`lookup('file'): '${name}' not found; looked in ${candidates(ctx(), name, "files").join(", ")}`);
      let s = readFileSync(f, "utf8");
      if (kw.rstrip !== false) s = s.trimEnd();
      if (kw.lstrip === true) s = s.trimStart();
      return s;
    }),
  env: (_ctx, a, kw) => terms(a).map((t) => process.env[needStr(t, "lookup('env')")] ?? (kw.default !== undefined ? kw.default : "")),
  pipe: (_ctx, a) =>
    terms(a).map((t) => {
      const cmd = needStr(t, "lookup('pipe')");
      try {
        return execFileSync("/bin/sh", ["-c", cmd], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trimEnd();
      } catch (e) {
        throw new ExprEvalError(`lookup('pipe'): '${cmd}' failed: ${((e as { stderr?: string }).stderr ?? String(e)).trim()}`);
      }
    }),
  template: (ctx, a, _kw, vars) =>
    terms(a).map((t) => {
      const name = needStr(t, "lookup('template')");
      const f = findFile(ctx(), name, "templates");
      if (!f) throw new ExprEvalError(`lookup('template'): '${name}' not found; looked in ${candidates(ctx(), name, "templates").join(", ")}`);
      return renderFile(readFileSync(f, "utf8"), vars, f, name, ctx().searchDirs);
    }),
  vars: (_ctx, a, kw, vars) =>
    terms(a).map((t) => {
      const name = needStr(t, "lookup('vars')");
      if (Object.prototype.hasOwnProperty.call(vars, name) || name in vars) return vars[name];
      if (kw.default !== undefined) return kw.default;
      throw new ExprEvalError(`lookup('vars'): no variable '${name}'`);
    }),
  // the names of the variables matching regular expressions (Python re.search)
  varnames: (_ctx, a, _kw, vars) =>
    terms(a).flatMap((t) => {
      const re = pyRegex(needStr(t, "lookup('varnames')"), "lookup('varnames')");
      const names = new Set<string>();
      for (const k in vars) names.add(k);
      return [...names].filter((n) => re.test(n)).sort();
    }),
  fileglob: (ctx, a) =>
    terms(a).flatMap((t) => {
      const pat = needStr(t, "lookup('fileglob')");
      const dirPart = dirname(pat);
      const re = globToRe(basename(pat));
      const dirs = isAbsolute(pat) ? [dirPart] : ctx().searchDirs.flatMap((d) => [join(d, "files", dirPart), join(d, dirPart)]);
      for (const d of dirs) {
        let names: string[];
        try {
          names = readdirSync(d).filter((n) => re.test(n) && statSync(join(d, n)).isFile());
        } catch {
          continue;
        }
        if (names.length) return names.sort().map((n) => join(d, n));
      }
      return [];
    }),
  first_found: (ctx, a, kw) => firstFound(ctx(), a, kw),
  items: (_ctx, a) => terms(a).flatMap((t) => (Array.isArray(t) ? t : [t])),
  list: (_ctx, a) => a.flatMap((t) => (Array.isArray(t) ? t : [t])),
  flattened: (_ctx, a) => {
    const flat = (x: unknown): unknown[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
    return flat(a);
  },
  dict: (_ctx, a) =>
    a.flatMap((d) => {
      if (!isDict(d)) throw new ExprEvalError(`with_dict expects a dict, got ${pyStr(d)}`);
      return Object.entries(d).map(([key, value]) => ({ key, value }));
    }),
  indexed_items: (_ctx, a) => terms(a).map((x, i) => [i, x]),
  together: (_ctx, a) => {
    const lists = a.map((l) => needList(l, "together"));
    const n = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
  },
  nested: (_ctx, a) => {
    const lists = a.map((l) => (Array.isArray(l) ? l : [l]));
    return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]);
  },
  subelements: (_ctx, a, kw) => subelements(a[0], a[1], isDict(a[2]) ? toBool(a[2].skip_missing) : toBool(kw.skip_missing ?? false)),
  sequence: (_ctx, a) => terms(a).flatMap((t) => sequence(pyStr(t))),
  url: (_ctx, a, kw) => urlLookup(terms(a), kw),
  lines: (_ctx, a) => terms(a).flatMap((t) => PLUGINS.pipe!(() => ({ searchDirs: [], subdir: "files" }), [t], {}, {}).flatMap((o) => String(o).split("\n"))),
};

/** Ansible's subelements: each (item, sub) pair of list[*][key] (a dotted key goes deeper). */
export function subelements(list: Val, key: Val, skipMissing: boolean): unknown[] {
  const out: unknown[] = [];
  for (const item of needList(list, "subelements")) {
    let sub: unknown = item;
    for (const k of needStr(key, "subelements").split(".")) {
      if (isDict(sub) && Object.prototype.hasOwnProperty.call(sub, k)) sub = sub[k];
      else {
        if (skipMissing) {
          sub = undefined;
          break;
        }
        // a command's result that check mode did not run has no output to pair with: unknown, not an error
        if (notRunPath(item) !== undefined) throw missingField(item, pyStr(key), () => pyStr(key));
        throw new ExprEvalError(`subelements: an item has no key '${pyStr(key)}' (use skip_missing)`);
      }
    }
    if (sub === undefined) continue;
    if (!Array.isArray(sub)) throw new ExprEvalError(`subelements: '${pyStr(key)}' of an item is not a list`);
    for (const s of sub) out.push([item, s]);
  }
  return out;
}

/** with_sequence: "start=1 end=10 stride=2 format=web%02d", or the short form "4-8" / "count=3". */
function sequence(spec: string): string[] {
  let start = 1;
  let end: number | undefined;
  let count: number | undefined;
  let stride = 1;
  let format = "%d";
  const short = /^\s*(\d+)-(\d+)(?:\/(\d+))?(?::(.+))?\s*$/.exec(spec);
  if (short) {
    start = Number(short[1]);
    end = Number(short[2]);
    if (short[3]) stride = Number(short[3]);
    if (short[4]) format = short[4];
  } else {
    for (const w of spec.trim().split(/\s+/)) {
      const [k, v] = w.split("=", 2);
      if (v === undefined) throw new ExprEvalError(`with_sequence: '${w}' is not key=value`);
      if (k === "start") start = Number(v);
      else if (k === "end") end = Number(v);
      else if (k === "count") count = Number(v);
      else if (k === "stride") stride = Number(v);
      else if (k === "format") format = v;
      else throw new ExprEvalError(`with_sequence: unknown key '${k}'`);
    }
  }
  if (count !== undefined) end = start + (count - 1) * stride;
  if (end === undefined) throw new ExprEvalError("with_sequence needs end= or count=");
  const out: string[] = [];
  if (stride === 0) throw new ExprEvalError("with_sequence: stride must not be 0");
  for (let i = start; stride > 0 ? i <= end : i >= end; i += stride) {
    out.push(
      format.replace(/%(0?\d*)([dxXos])/, (_m, w: string, c: string) => {
        const s = c === "x" ? i.toString(16) : c === "X" ? i.toString(16).toUpperCase() : c === "o" ? i.toString(8) : String(i);
        return w ? s.padStart(Number(w), w.startsWith("0") ? "0" : " ") : s;
      }),
    );
    if (out.length > 100000) throw new ExprEvalError("with_sequence: too many items");
  }
  return out;
}

export const LOOKUP_NAMES = Object.keys(PLUGINS).sort();

/**
 * lookup(name, …) (`wantlist=False`: the values joined with "," when all are strings, else the one
 * value or the list, as Ansible), query(name, …) and
 * q(name, …) (always a list). `errors='ignore'|'warn'` turn a failure into nothing.
 */
export function runLookup(fn: "lookup" | "query" | "q", a: Val[], kw: Record<string, Val>, vars: Record<string, unknown>): Val {
  const name = needStr(a[0], fn);
  const plugin = Object.hasOwn(PLUGINS, name) ? PLUGINS[name]! : undefined;
  if (!plugin) throw new ExprEvalError(`${fn}('${name}'): keel has no such lookup (it has ${LOOKUP_NAMES.join(", ")})`);
  const { wantlist, errors, ...rest } = kw;
  let values: unknown[];
  try {
    values = plugin(() => contextOf(vars, name), a.slice(1), rest, vars);
  } catch (e) {
    if ((errors === "ignore" || errors === "warn") && e instanceof ExprEvalError) values = [];
    else throw e;
  }
  if (fn !== "lookup" || wantlist === true) return values;
  if (values.length === 0) return errors === "ignore" || errors === "warn" ? null : "";
  // Ansible: ",".join(values), and when that raises TypeError (an item is not a string) the one
  // value or the list itself: lookup('items', [1, 2]) is [1, 2], lookup('items', ['a', 'b']) "a,b".
  if (values.every((v) => typeof v === "string")) return values.join(",");
  return values.length === 1 ? values[0] : values;
}
