// Local facts (Ansible's LocalFactCollector, module_utils/facts/system/local.py in 2.14): every
// `*.fact` file of fact_path (default /etc/ansible/facts.d), in sorted order, keyed by its name
// without ".fact". An executable one is run and its stdout read; another is read (stripped). The
// text is JSON, else an INI file as Python's ConfigParser reads it (sections of lowercased options,
// DEFAULT's options in every section, %(name)s interpolation), else Ansible's error string; a bad
// interpolation fails the task, as it fails Ansible's setup.
// The probe part only observes (runs the executable facts, as Ansible does); parsing is pure.
// One implementation for both: the play's fact gathering (a section of the facts probe, probe.ts)
// and setup's fact_path (modules/system/setup.ts).
import { allRecs, parseRecords } from "../core/record.js";
import { shq } from "../core/shell.js";
import { snip } from "../core/snippets.js";

/** The marker lines around the local facts' records in the setup probe's output. */
export const LOCAL_MARK = "@localfacts";
const LOCAL_END = "@localfacts.end";

/** Where Ansible looks for local facts unless fact_path says otherwise. */
export const DEFAULT_FACT_PATH = "/etc/ansible/facts.d";

/** Probe text: one `@localfact fN` record per *.fact file (path, exec, content or rc/out/err). */
export function localFactsRecords(factPath: string): string {
  // snip.cmd's lines after its own "@cmd" header: rc, out:b64 and err:b64 of the fact script
  const run = snip.cmd("x", '"$_kf"').split("\n").slice(1).join("\n");
  return [
    `_kfp=${shq(factPath)}`,
    `if [ -e "$_kfp" ]; then`,
    `_kn=0`,
    `for _kf in "$_kfp"/*.fact; do`,
    `[ -e "$_kf" ] || [ -L "$_kf" ] || continue`,
    `_kn=$((_kn + 1))`,
    `printf '@localfact f%s\\n' "$_kn"`,
    snip.b64Field("path", `printf '%s' "$_kf"`),
    `if [ ! -e "$_kf" ]; then printf 'nostat=1\\n'`,
    `elif [ -x "$_kf" ]; then printf 'exec=1\\n'`,
    run,
    `else`,
    snip.b64Field("content", `cat -- "$_kf"`),
    `fi`,
    `done`,
    `fi`,
  ].join("\n");
}

/** The records between two marker lines (for a probe whose output is not only these records). */
export function localFactsScript(factPath: string): string {
  return [`printf '%s\\n' ${shq(LOCAL_MARK)}`, localFactsRecords(factPath), `printf '%s\\n' ${shq(LOCAL_END)}`].join("\n");
}

/** Split the setup probe's stdout into the facts part and the local facts' records (between the markers). */
export function splitLocal(stdout: string): { facts: string; local?: string } {
  const lines = stdout.split("\n");
  const a = lines.indexOf(LOCAL_MARK);
  const b = lines.indexOf(LOCAL_END, a + 1);
  if (a < 0) return { facts: stdout };
  const end = b < 0 ? lines.length : b;
  return { facts: [...lines.slice(0, a), ...lines.slice(end + 1)].join("\n"), local: lines.slice(a + 1, end).join("\n") };
}

/**
 * Pure: ansible_local from the records, as Ansible builds it. `error`: what made Ansible's setup
 * itself fail (an INI value ConfigParser cannot interpolate raises out of its collector).
 */
export function parseLocalFacts(records: string): { facts: Record<string, unknown>; error?: string } {
  const out: Record<string, unknown> = {};
  const recs = allRecs(parseRecords(records), "localfact")
    .map((r) => ({ r, path: r.get("path") ?? "" }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const { r, path } of recs) {
    const base = (path.split("/").pop() ?? "").split(".fact").join("");
    if (r.get("nostat") === "1") {
      out[base] = `Could not stat fact (${path}): [Errno 2] No such file or directory: '${path}'`;
      continue;
    }
    let text: string;
    if (r.get("exec") === "1") {
      const rc = r.int("rc") ?? -1;
      if (rc !== 0) {
        out[base] = `Failure executing fact script (${path}), rc: ${rc}, err: ${r.get("err") ?? ""}`;
        continue;
      }
      const bytes = r.buf("out") ?? Buffer.alloc(0);
      text = bytes.toString("utf8");
      if (Buffer.from(text, "utf8").compare(bytes) !== 0) {
        out[base] = `error loading fact - output of running "${path}" was not utf-8`;
        continue;
      }
    } else {
      // get_file_content(fn, default='') strips the content
      text = (r.get("content") ?? "").trim();
    }
    try {
      out[base] = loadFact(text, path);
    } catch (e) {
      return { facts: out, error: `${path}: ${(e as Error).message}` };
    }
  }
  return { facts: out };
}

/** json.loads, else ConfigParser, else Ansible's messages. */
export function loadFact(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    /* not JSON: ConfigParser */
  }
  const ini = parseIni(text);
  if (ini === undefined) return `error loading facts as JSON or ini - please check content: ${path}`;
  // An interpolation error is raised inside Ansible's `except ValueError` handler, so its own
  // `except Exception` does not catch it and setup fails: thrown here, the task fails the same way.
  const fact: Record<string, Record<string, string>> = {};
  for (const [sect, opts] of Object.entries(ini.sections)) {
    fact[sect] = {};
    const all = { ...ini.defaults, ...opts };
    for (const k of Object.keys(all)) fact[sect][k] = interpolate(all[k]!, all, 0);
  }
  return fact;
}

interface Ini {
  defaults: Record<string, string>;
  sections: Record<string, Record<string, string>>;
}

/**
 * Python 3's ConfigParser.read_file with its defaults (strict, no allow_no_value, '=' and ':'
 * delimiters, full-line '#'/';' comments, indented continuation lines, options lowercased);
 * undefined where it raises configparser.Error (no section header, a line it cannot read, a
 * duplicate section or option).
 */
export function parseIni(text: string): Ini | undefined {
  const ini: Ini = { defaults: {}, sections: {} };
  let cur: Record<string, string> | undefined;
  let opt: string | undefined;
  let optIndent = 0;
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const stripped = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (stripped === "" || /^[#;]/.test(stripped)) {
      if (stripped === "" && cur && opt !== undefined) cur[opt] += "\n"; // an empty line inside a value is kept, then trimmed
      continue;
    }
    if (cur && opt !== undefined && indent > optIndent) {
      cur[opt] = `${cur[opt]!.replace(/\n+$/, "")}\n${stripped}`;
      continue;
    }
    if (cur && opt !== undefined) cur[opt] = cur[opt]!.replace(/\n+$/, "");
    opt = undefined;
    const sect = /^\[(.+)\]/.exec(stripped);
    if (sect) {
      const name = sect[1]!;
      if (name === "DEFAULT") cur = ini.defaults;
      else {
        if (Object.hasOwn(ini.sections, name)) return undefined;
        cur = ini.sections[name] = {};
      }
      seen.clear();
      continue;
    }
    if (!cur) return undefined;
    const m = /^(.*?)\s*([=:])\s*(.*)$/.exec(stripped);
    if (!m || m[1] === "") return undefined;
    const key = m[1]!.trimEnd().toLowerCase();
    if (seen.has(key)) return undefined;
    seen.add(key);
    cur[key] = m[3]!;
    opt = key;
    optIndent = indent;
  }
  if (cur && opt !== undefined) cur[opt] = cur[opt]!.replace(/\n+$/, "");
  return ini;
}

/** BasicInterpolation: %(name)s from the same section (DEFAULT included), %% is %, any other % an error. */
function interpolate(v: string, vars: Record<string, string>, depth: number): string {
  if (depth > 10) throw new Error("Recursion limit exceeded in value substitution");
  return v.replace(/%(%|\(([^)]*)\)s|)/g, (all, what: string, name?: string) => {
    if (what === "%") return "%";
    if (name !== undefined) {
      const k = name.toLowerCase();
      if (!Object.hasOwn(vars, k)) throw new Error(`Bad value substitution: option '${k}' references '${k}'`);
      return interpolate(vars[k]!, vars, depth + 1);
    }
    throw new Error(`'%' must be followed by '%' or '(', found: '${all}'`);
  });
}
