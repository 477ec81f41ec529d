// Jinja templates as Ansible's template module renders them: the `#jinja2:` header and the
// module's own options, Ansible's trim_blocks default, the trailing-newline rule of
// Templar.do_template, includes and imports from the template search path, and the template_*
// variables with `ansible_managed`.
import { readFileSync, statSync, existsSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { DEFAULT_LEX, LexError, normalise, readHeader, tokenize, type LexOptions } from "./lexer.js";
import { JinjaSyntaxError, parseTemplate } from "./parser.js";
import type { StringMode } from "../parse.js";
import { type Compiled, JinjaRenderError, Renderer, position, type RenderEnv } from "./render.js";

export { JinjaRenderError } from "./render.js";

/** A syntax error in a template file, at path:line:col. */
export class JinjaTemplateError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly line: number,
    readonly col: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The template module's options that change how a template reads (Ansible's names). */
export interface TemplateOptions {
  trim_blocks?: boolean;
  lstrip_blocks?: boolean;
  newline_sequence?: string;
  block_start_string?: string;
  block_end_string?: string;
  variable_start_string?: string;
  variable_end_string?: string;
  comment_start_string?: string;
  comment_end_string?: string;
}

export function lexOptions(o: TemplateOptions = {}): LexOptions {
  return {
    ...DEFAULT_LEX,
    ...(o.trim_blocks !== undefined ? { trimBlocks: o.trim_blocks } : {}),
    ...(o.lstrip_blocks !== undefined ? { lstripBlocks: o.lstrip_blocks } : {}),
    ...(o.block_start_string !== undefined ? { blockStart: o.block_start_string } : {}),
    ...(o.block_end_string !== undefined ? { blockEnd: o.block_end_string } : {}),
    ...(o.variable_start_string !== undefined ? { variableStart: o.variable_start_string } : {}),
    ...(o.variable_end_string !== undefined ? { variableEnd: o.variable_end_string } : {}),
    ...(o.comment_start_string !== undefined ? { commentStart: o.comment_start_string } : {}),
    ...(o.comment_end_string !== undefined ? { commentEnd: o.comment_end_string } : {}),
  };
}

const cache = new Map<string, Compiled>();

/** Lex and parse one template body (no header). Throws JinjaTemplateError. */
export function compileBody(body: string, path: string, o: LexOptions, lineBase = 0, strings: StringMode = "python"): Compiled {
  const key = `${JSON.stringify(o)}\0${path}\0${lineBase}\0${strings}\0${body}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const src = normalise(body, o);
  const c: Compiled = { nodes: [], src, path, lineBase };
  try {
    c.nodes = parseTemplate(tokenize(src, o), src, strings);
  } catch (e) {
    if (e instanceof LexError || e instanceof JinjaSyntaxError) {
      const { line, col } = position(c, e.offset);
      throw new JinjaTemplateError(
        e instanceof LexError ? `template syntax error: ${e.message}` : e.message,
        path,
        line,
        col,
        e instanceof JinjaSyntaxError ? e.hint : undefined,
      );
    }
    throw e;
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, c);
  return c;
}

/** The header-read options and the compiled body of a whole template file. Throws JinjaTemplateError. */
export function compileTemplate(
  text: string,
  path: string,
  options: TemplateOptions = {},
  strings: StringMode = "python",
): { c: Compiled; o: LexOptions; newline: string } {
  const base = lexOptions(options);
  const h = readHeader(text, base, options.newline_sequence ?? "\n");
  if (h.error) throw new JinjaTemplateError(h.error, path, 1, 1, "the first line reads '#jinja2: trim_blocks: False, lstrip_blocks: True'");
  return { c: compileBody(h.body, path, h.opts, h.body === text ? 0 : 1, strings), o: h.opts, newline: h.newline };
}

export interface RenderFileOptions extends TemplateOptions {
  /** Directories an include/import looks in, in order (each one's templates/ first, as Ansible). */
  searchPath?: string[];
}

/** Ansible's template search path: each directory's templates/ then itself, then the template's own directory. */
export function templateSearchPath(dirs: string[], templatePath?: string): string[] {
  const all = [...dirs, ...(templatePath ? [dirname(templatePath)] : [])];
  return [...new Set(all.flatMap((d) => [join(d, "templates"), d]))];
}

/**
 * Render a template file's text as Ansible's template module does. `path` names it in errors;
 * includes are looked up in `searchPath` (default: the template's directory). Throws
 * JinjaTemplateError (syntax, with the file of an included template) and JinjaRenderError.
 */
export function renderJinja(text: string, vars: Record<string, unknown>, path: string, opts: RenderFileOptions = {}, strings: StringMode = "python"): string {
  const { c, o, newline } = compileTemplate(text, path, opts, strings);
  const search = opts.searchPath ?? (isAbsolute(path) ? templateSearchPath([], path) : []);
  const env: RenderEnv = {
    newline,
    searched: () => search,
    load(name) {
      for (const d of search) {
        const p = resolve(d, name);
        if (!existsSync(p) || !statSync(p).isFile()) continue;
        return compileBody(readFileSync(p, "utf8"), p, o);
      }
      return undefined;
    },
  };
  let out = new Renderer(env, vars).render(c);
  // Templar.do_template: as many trailing "\n" as the source had (Jinja dropped one)
  const want = trailingNewlines(text);
  const have = trailingNewlines(out);
  if (want > have) out += newline.repeat(want - have);
  return out;
}

function trailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === "\n") n++;
  return n;
}

/** Python's str(datetime): 2026-12-03 09:30:00.123456 (local time). */
function pyDatetime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** Controller user names by uid, read once per run (every template of every host asks). */
const userNames = new Map<number, string>();

/** pwd.getpwuid(uid).pw_name on the controller, else the number (as Ansible). */
function userName(uid: number): string {
  let name = userNames.get(uid);
  if (name !== undefined) return name;
  name = String(uid);
  try {
    const entry = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .map((l) => l.split(":"))
      .find((f) => f[2] === String(uid));
    if (entry?.[0]) name = entry[0];
  } catch {
    // no readable passwd file: the number
  }
  userNames.set(uid, name);
  return name;
}

/**
 * The variables Ansible's template module adds (generate_ansible_template_vars): template_host,
 * template_path (src as written), template_fullpath, template_uid, template_mtime,
 * template_run_date, template_destpath, and ansible_managed ("Ansible managed", Ansible's default;
 * like Ansible, this replaces a variable of that name).
 */
export function templateVars(src: string, fullPath: string, dest?: string): Record<string, unknown> {
  const st = statSync(fullPath);
  const uid = userName(st.uid);
  return {
    template_host: hostname(),
    template_path: src,
    template_fullpath: fullPath,
    template_uid: uid,
    template_mtime: pyDatetime(st.mtime),
    template_run_date: pyDatetime(new Date()),
    template_destpath: dest ?? null,
    ansible_managed: "Ansible managed",
  };
}

export { JinjaRenderError as RenderError };
