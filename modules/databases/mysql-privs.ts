// Pure privilege and TLS-requirement logic of community.mysql 3.7.2 (module_utils/user.py), for
// databases.mysql_user: a priv string unpacked as privileges_unpack does, SHOW GRANTS parsed as
// privileges_get does, SHOW CREATE USER's REQUIRE clause read as get_tls_requires does, and
// tls_requires sanitized as sanitize_requires does. The comparisons that follow are Ansible's, so
// keel reports a change exactly when the collection would.
import { ModuleError } from "../../engine/core/errors.js";

/** db.table → privilege names (upper case; 'GRANT' for WITH GRANT OPTION). */
export type Privs = Record<string, string[]>;
/** What a user must present: SSL, X509, or named ISSUER/SUBJECT/CIPHER values; null for none. */
export type Requires = string | Record<string, string> | null;

/** Ansible's convert_priv_dict_to_str: {db.t: "SELECT,INSERT"} → "db.t:SELECT,INSERT/…". */
export function privString(priv: string | Record<string, unknown>): string {
  if (typeof priv === "string") return priv;
  return Object.entries(priv)
    .map(([k, v]) => `${k}:${String(v)}`)
    .join("/");
}

/** Upper-case the privilege names; with caseSensitive, column lists keep their case (3.8's column_case_sensitive). */
function upper(s: string, caseSensitive: boolean): string {
  return caseSensitive ? s.replace(/[^()]+(?=\(|$)|\([^)]*\)/g, (m) => (m.startsWith("(") ? m : m.toUpperCase())) : s.toUpperCase();
}

/** Ansible's privileges_unpack. */
export function unpackPrivs(priv: string, ansi: boolean, ensureUsage: boolean, caseSensitive = false): Privs {
  const quote = ansi ? '"' : "`";
  const out: Privs = {};
  for (const item of priv.trim().split("/")) {
    const t = item.trim();
    const colon = t.lastIndexOf(":");
    if (colon < 0) throw new ModuleError(`invalid privileges string: ${JSON.stringify(item)} has no ':'`);
    const target = t.slice(0, colon);
    const privs = t.slice(colon + 1);
    const dot = target.lastIndexOf(".");
    const dbpriv = dot < 0 ? [target] : [target.slice(0, dot), target.slice(dot + 1)];
    let objectType = "";
    const sp = dbpriv[0]!.indexOf(" ");
    if (sp >= 0 && ["FUNCTION", "PROCEDURE"].includes(dbpriv[0]!.slice(0, sp))) {
      objectType = `${dbpriv[0]!.slice(0, sp)} `;
      dbpriv[0] = dbpriv[0]!.slice(sp + 1);
    }
    const key = objectType + dbpriv.map((side) => (side.replace(/^`+|`+$/g, "") !== "*" ? `${quote}${side.replace(/^`+|`+$/g, "")}${quote}` : side)).join(".");
    const list = privs.includes("(") ? upper(privs, caseSensitive).split(/,\s*(?=[^)]*(?:\(|$))/) : upper(privs, caseSensitive).split(",");
    out[key] = normalizeColGrants(list);
  }
  if (ensureUsage && !("*.*" in out)) out["*.*"] = ["USAGE"];
  return out;
}

/** Ansible's normalize_col_grants: "SELECT (b", "a)" → "SELECT (a, b)". */
export function normalizeColGrants(privs: string[]): string[] {
  let p = privs;
  for (const grant of ["SELECT", "UPDATE", "INSERT", "REFERENCES"]) {
    let start: number | undefined;
    let end: number | undefined;
    for (let n = 0; n < p.length; n++) {
      if (p[n]!.includes(`${grant} (`)) start = n;
      if (start !== undefined && p[n]!.includes(")")) {
        end = n;
        break;
      }
    }
    if (start === undefined || end === undefined) continue;
    if (start !== end) p = [...p.slice(0, start), sortColumns(p.slice(start, end + 1).join(", ")), ...p.slice(end + 1)];
    else p = p.map((x, i) => (i === start ? sortColumns(x) : x));
  }
  return p;
}

function sortColumns(statement: string): string {
  const [name, rest] = [statement.slice(0, statement.indexOf("(")), statement.slice(statement.indexOf("(") + 1)];
  const cols = rest
    .replace(/\)+$/, "")
    .split(",")
    .map((c) => c.trim().replace(/^`+|`+$/g, ""));
  // Python's default sort: by code point
  cols.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `${name}(${cols.join(", ")})`;
}

const GRANT_RE = /^GRANT (.+) ON (.+) TO (['`"]).*\3@(['`"]).*\4( IDENTIFIED BY PASSWORD (['`"]).+\6)? ?(.*)/s;

/** Ansible's privileges_get over SHOW GRANTS lines (role grants skipped, as Ansible skips them). */
export function parseGrants(lines: readonly string[]): Privs {
  const out: Privs = {};
  for (const line of lines) {
    const m = GRANT_RE.exec(line);
    if (!m) {
      if (/^GRANT (.+) TO (['`"]).*/s.test(line)) continue;
      throw new ModuleError(`unable to parse the MySQL grant string: ${line}`);
    }
    let privs = m[1]!.split(",").map((x) => (x.trim() === "ALL PRIVILEGES" ? "ALL" : x.trim()));
    privs = normalizeColGrants(privs);
    if ((m[7] ?? "").includes("WITH GRANT OPTION")) privs.push("GRANT");
    (out[m[2]!] ??= []).push(...privs);
  }
  return out;
}

/** Ansible's sanitize_requires. */
export function sanitizeRequires(t: Record<string, unknown> | undefined | null): Requires {
  if (!t || Object.keys(t).length === 0) return null;
  const s: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) s[k.toUpperCase()] = String(v);
  if (["CIPHER", "ISSUER", "SUBJECT"].some((k) => k in s)) {
    delete s.SSL;
    delete s.X509;
    return s;
  }
  return "X509" in s ? "X509" : "SSL";
}

/** Python's shlex.split for the quoted values of a REQUIRE clause. */
function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      const j = s.indexOf(c, i + 1);
      if (j < 0) throw new ModuleError(`No closing quotation in ${JSON.stringify(s)}`);
      cur = (cur ?? "") + s.slice(i + 1, j);
      i = j;
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? "") + (c === "\\" && i + 1 < s.length ? s[++i]! : c);
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** Ansible's get_tls_requires over SHOW CREATE USER's lines. */
export function parseRequires(createLines: readonly string[]): Requires {
  const line = createLines.find((l) => l.includes("REQUIRE")) ?? "";
  const m = /(?<=\bREQUIRE\b)(.*?)(?=(?:\bPASSWORD\b|$))/s.exec(line);
  const req = m ? m[0].trim() : "";
  if (["SSL", "X509", "NONE"].some((r) => req.startsWith(r))) {
    const first = req.split(/\s+/)[0]!;
    return first === "NONE" ? null : first;
  }
  const items = shlexSplit(req);
  const d: Record<string, string> = {};
  for (let i = 0; i + 1 < items.length; i += 2) d[items[i]!] = items[i + 1]!;
  return Object.keys(d).length ? d : null;
}

/** Python's == between two sanitized requirements. */
export function sameRequires(a: Requires, b: Requires): boolean {
  if (a === null || b === null || typeof a === "string" || typeof b === "string") return a === b;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The REQUIRE clause for a statement: " REQUIRE SSL", " REQUIRE ISSUER '…' AND SUBJECT '…'". */
export function requireClause(r: Requires, str: (s: string) => string): string {
  if (r === null) return "";
  if (typeof r === "string") return ` REQUIRE ${r}`;
  return ` REQUIRE ${Object.entries(r)
    .map(([k, v]) => `${k} ${str(v)}`)
    .join(" AND ")}`;
}
