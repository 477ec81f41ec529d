// Host patterns, as Ansible evaluates them for `hosts:` and `--limit`:
// `all`, `*`, group or host names, globs (`web*`, `db[12]`), `~regex`, subscripts (`web[0]`,
// `web[1:3]`), separated by `,` or `:`, with `&` (intersection) and `!` (exclusion) prefixes.
// Stricter than Ansible: a plain name that matches nothing, or a bad regex, is an error. Pure.
import { didYouMean, InputError, type SourcePos } from "../core/errors.js";
import { errorAt } from "../core/yaml.js";
import { groupHosts, type Host, type InventoryData } from "./model.js";
import { parseAddress } from "./ranges.js";
import { fnmatchRegExp } from "../core/fnmatch.js";

/** Names Ansible treats as the implicit localhost when the inventory does not define them. */
export const LOCALHOST_NAMES = ["127.0.0.1", "localhost", "::1"];

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/** Ansible's split_host_pattern. */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(",")) parts = pattern.split(",");
  else if (parseAddress(pattern, true)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** Regular patterns first, then `&`, then `!`; only modifiers means `all` first. */
export function orderPatterns(patterns: string[]): string[] {
  const reg: string[] = [];
  const and: string[] = [];
  const not: string[] = [];
  for (const p of patterns) {
    if (!p) continue;
    if (p[0] === "!") not.push(p);
    else if (p[0] === "&") and.push(p);
    else reg.push(p);
  }
  return [...(reg.length ? reg : ["all"]), ...and, ...not];
}

export interface PatternContext {
  data: InventoryData;
  /** All hosts in inventory order (`all`). */
  allHosts: Host[];
  /**
   * When given, a name that matches no group or host is added here and matches nothing (Ansible's
   * "Could not match supplied host pattern, ignoring"), instead of being an InputError.
   */
  unknown?: string[];
}

/**
 * Evaluates a pattern to host names in inventory order. The implicit localhost (`localhost`,
 * `127.0.0.1`, `::1` when not in the inventory) matches by its exact name, as in Ansible.
 */
export function matchPattern(ctx: PatternContext, pattern: string, pos?: SourcePos): string[] {
  const fail = (message: string, hint?: string): never => {
    throw pos ? errorAt(pos, message, hint) : new InputError(message, undefined, hint);
  };
  if (typeof pattern !== "string") fail("a host pattern must be a string", "write e.g. hosts: web or hosts: 'web:&prod'");
  if (pattern.trim() === "") fail("empty host pattern", "use 'all' for every host");
  const cache = new Map<string, string[]>();
  let hosts: string[] = [];
  for (const p of orderPatterns(splitHostPattern(pattern))) {
    if (ctx.data.hosts.has(p)) {
      if (!hosts.includes(p)) hosts.push(p);
      continue;
    }
    const body = p[0] === "&" || p[0] === "!" ? p.slice(1) : p;
    let that = cache.get(body);
    if (!that) {
      that = matchOne(ctx, body, pattern, fail);
      cache.set(body, that);
    }
    if (p[0] === "!") {
      const s = new Set(that);
      hosts = hosts.filter((h) => !s.has(h));
    } else if (p[0] === "&") {
      const s = new Set(that);
      hosts = hosts.filter((h) => s.has(h));
    } else {
      hosts.push(...that);
    }
  }
  return [...new Set(hosts)];
}

function matchOne(ctx: PatternContext, pattern: string, whole: string, fail: (m: string, h?: string) => never): string[] {
  if (pattern === "") fail(`empty pattern after '&' or '!' in '${whole}'`, "write e.g. 'web:!db'");
  let expr = pattern;
  let sub: [number, number | undefined] | undefined;
  if (pattern[0] !== "~") {
    const m = SUBSCRIPT.exec(pattern);
    if (m) {
      expr = m[1]!;
      if (m[2] !== undefined) sub = [Number(m[2]), undefined];
      else {
        if (m[4] === "-") fail(`subscript '[${m[3]}-${m[5]}]' is no longer supported in '${pattern}'`, `use an inclusive range: [${m[3]}:${m[5]}]`);
        sub = [Number(m[3]), m[5] ? Number(m[5]) : -1];
      }
    }
  }
  let hosts = enumerate(ctx, expr, whole, fail);
  if (sub && hosts.length) {
    const [start, end] = sub;
    if (end !== undefined) {
      const e = end === -1 ? hosts.length - 1 : end;
      hosts = hosts.slice(start, e + 1);
    } else {
      const i = start < 0 ? hosts.length + start : start;
      if (i < 0 || i >= hosts.length) fail(`no hosts matched the subscripted pattern '${pattern}'`, `it selects ${hosts.length} host(s), numbered from 0`);
      hosts = [hosts[i]!];
    }
  }
  return hosts.map((h) => h.name ?? h);
}

type HostLike = Host | { name: string };

function enumerate(ctx: PatternContext, pattern: string, whole: string, fail: (m: string, h?: string) => never): HostLike[] {
  let re: RegExp;
  const isRegex = pattern[0] === "~";
  if (isRegex) {
    try {
      // re.match: anchored at the start only. Python's named groups (?P<n>...) become (?<n>...).
      re = new RegExp(pattern.slice(1).replace(/\(\?P</g, "(?<"), "y");
    } catch (e) {
      return fail(
        `invalid regular expression in host pattern '${pattern}': ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`,
        "after '~' comes a regular expression, e.g. ~web[0-9]+",
      );
    }
  } else re = fnmatchRegExp(pattern);
  const test = (s: string) => {
    re.lastIndex = 0;
    return re.test(s);
  };
  const results: HostLike[] = [];
  const groups = [...ctx.data.groups.keys()].filter(test);
  for (const g of groups) results.push(...(g === "all" ? ctx.allHosts : groupHosts(ctx.data.groups.get(g)!)));
  if (groups.length === 0 || isRegex || /[.?*[]/.test(pattern)) {
    for (const [name, h] of ctx.data.hosts) if (test(name)) results.push(h);
  }
  if (results.length === 0 && LOCALHOST_NAMES.includes(pattern)) results.push({ name: pattern });
  if (results.length === 0 && groups.length === 0 && pattern !== "all" && !isRegex && !/[*?[]/.test(pattern)) {
    if (ctx.unknown) {
      if (!ctx.unknown.includes(pattern)) ctx.unknown.push(pattern);
      return [];
    }
    const close = didYouMean(pattern, [...ctx.data.groups.keys(), ...ctx.data.hosts.keys()]);
    fail(
      `host pattern '${pattern}'${whole !== pattern ? ` (in '${whole}')` : ""} matches no group or host in the inventory`,
      close ? `did you mean '${close}'?` : "run `keel inventory --graph` to see the groups and hosts",
    );
  }
  // duplicates stay until after the subscript, as in Ansible; matchPattern removes them
  return results;
}
