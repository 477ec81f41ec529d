// Profiles: a selection of controls plus values for the role's hardening_* parameters. A profile
// may `extends:` a shipped profile (by name) or another file (by path, relative to itself); the
// chain resolves from the root down: each level adds `select`, then removes `deselect`, then
// overrides `params`. Every id, glob and parameter name is checked against the catalog, so a typo
// is an InputError at its file:line:col before any host is touched.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { didYouMean, InputError, type SourcePos } from "../core/errors.js";
import { YamlFile, isSeq, type Node } from "../core/yaml.js";
import { keyPair, validateDoc } from "./validate.js";
import type { Catalog } from "./catalog.js";

export interface ProfileSource {
  name: string;
  file: string;
  sha256: string;
}

export interface ResolvedProfile {
  /** The profile's own name (the last of the chain). */
  name: string;
  title: string;
  /** The files of the chain, root first (the shipped profile, then the user's files). */
  chain: ProfileSource[];
  /** sha256 over the chain's files, in order: names the exact selection and values a report used. */
  sha256: string;
  /** Selected control ids, in catalog order. */
  controls: string[];
  /** Every catalog parameter: the role default, overridden along the chain. */
  params: Record<string, unknown>;
  /** Only the parameters some profile of the chain sets (what `keel run` sets over the role's defaults). */
  overrides: Record<string, unknown>;
}

interface RawProfile {
  profile: string;
  title?: string;
  extends?: string;
  select?: string[];
  deselect?: string[];
  params?: Record<string, unknown>;
}

/** Names of the profiles that ship in the catalog's profiles/ folder. */
export function shippedProfiles(catalog: Catalog): string[] {
  return catalog.profiles;
}

/** Resolve a shipped profile name or a profile file (a path) against the catalog. */
export function resolveProfile(catalog: Catalog, nameOrFile: string, from?: SourcePos): ResolvedProfile {
  const chain: { y: YamlFile; raw: RawProfile; file: string }[] = [];
  let file = locate(catalog, nameOrFile, process.cwd(), from);
  const seen = new Set<string>();
  for (;;) {
    if (seen.has(file)) throw new InputError(`profile ${file} extends itself through ${[...seen].join(" → ")}`, from, "remove one of the extends: lines");
    seen.add(file);
    const y = YamlFile.load(file, from);
    const raw = validateDoc(y, "profile", "profile") as unknown as RawProfile;
    chain.unshift({ y, raw, file });
    if (raw.extends === undefined) break;
    const ext = keyPair(y.root, "extends")!.value as Node;
    file = locate(catalog, raw.extends, dirname(file), y.pos(ext), y);
  }
  const selected = new Set<string>();
  const params: Record<string, unknown> = {};
  const overrides: Record<string, unknown> = {};
  for (const [name, p] of catalog.params) params[name] = p.default;
  for (const { y, raw } of chain) {
    for (const id of match(catalog, y, raw.select, "select")) selected.add(id);
    for (const id of match(catalog, y, raw.deselect, "deselect")) selected.delete(id);
    const pnode = keyPair(y.root, "params")?.value as Node | undefined;
    for (const [k, v] of Object.entries(raw.params ?? {})) {
      const at = keyPair(pnode, k)!;
      const def = catalog.params.get(k);
      if (!def) {
        const sug = didYouMean(k, catalog.params.keys());
        throw y.error(
          `unknown parameter '${k}'${sug ? `, did you mean '${sug}'?` : ""}`,
          at,
          sug ? undefined : "parameters are the hardening_* variables of roles/hardening/defaults/main.yml",
        );
      }
      if (def.default !== null && v !== null && kind(def.default) !== kind(v)) {
        throw y.error(
          `parameter '${k}' must be ${kind(def.default)} (its default is ${JSON.stringify(def.default)}), got ${kind(v)} ${JSON.stringify(v)}`,
          at.value as Node,
        );
      }
      // A value becomes a line of a host file (login.defs, sshd_config, a PAM profile…): a newline or
      // NUL would add lines of its own. Only parameters whose default is multi-line (banner text) may.
      const bad = lineBreak(v);
      if (bad && !(typeof def.default === "string" && def.default.includes("\n") && bad !== "NUL")) {
        throw y.error(
          `parameter '${k}' contains a ${bad}: each value becomes one line of a host file, where it would add lines of its own`,
          at.value as Node,
          "remove the line break",
        );
      }
      if (def.values && !def.values.includes(v)) {
        throw y.error(`parameter '${k}' must be one of ${def.values.map((x) => JSON.stringify(x)).join(", ")}, got ${JSON.stringify(v)}`, at.value as Node);
      }
      params[k] = v;
      overrides[k] = v;
    }
  }
  const last = chain[chain.length - 1]!;
  const sources = chain.map(({ raw, file: f }) => ({ name: raw.profile, file: f, sha256: createHash("sha256").update(readFileSync(f)).digest("hex") }));
  return {
    name: last.raw.profile,
    title: last.raw.title ?? last.raw.profile,
    chain: sources,
    sha256: createHash("sha256")
      .update(sources.map((s) => s.sha256).join("\n"))
      .digest("hex"),
    controls: catalog.ids.filter((id) => selected.has(id)),
    params,
    overrides,
  };
}

function kind(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return typeof v === "number" ? "a number" : typeof v === "boolean" ? "a boolean" : "a string";
}

/** A profile name → profiles/<name>.yml; anything path-like → that file (relative to `base`). */
function locate(catalog: Catalog, ref: string, base: string, from?: SourcePos, y?: YamlFile): string {
  const pathLike = ref.includes("/") || /\.ya?ml$/.test(ref);
  if (pathLike) {
    const f = isAbsolute(ref) ? ref : resolve(base, ref);
    if (!existsSync(f))
      throw err(`profile file ${ref} does not exist (looked for ${f})`, from, y, "a relative path is read from the folder of the file that names it");
    return f;
  }
  for (const ext of ["yml", "yaml"]) {
    const f = join(catalog.dir, "profiles", `${ref}.${ext}`);
    if (existsSync(f)) return f;
  }
  const sug = didYouMean(ref, catalog.profiles);
  return fail(
    `unknown profile '${ref}'${sug ? `, did you mean '${sug}'?` : ""}`,
    from,
    y,
    `shipped profiles: ${catalog.profiles.join(", ")}; or give a path to a profile file`,
  );
}

function fail(msg: string, from: SourcePos | undefined, y: YamlFile | undefined, hint: string): never {
  throw err(msg, from, y, hint);
}

function err(msg: string, from: SourcePos | undefined, y: YamlFile | undefined, hint: string): InputError {
  return new InputError(msg, from, hint, from && y ? y.lines[from.line - 1] : undefined);
}

/** The ids a select/deselect list names; an unknown id or a glob matching nothing is an error. */
function match(catalog: Catalog, y: YamlFile, list: string[] | undefined, key: string): string[] {
  if (!list) return [];
  const seq = keyPair(y.root, key)!.value as Node;
  const out: string[] = [];
  list.forEach((pat, i) => {
    const at = isSeq(seq) ? (seq.items[i] as Node) : seq;
    if (!pat.includes("*")) {
      if (!catalog.controls.has(pat)) {
        const sug = didYouMean(pat, catalog.ids);
        throw y.error(
          `unknown control '${pat}' in ${key}${sug ? `, did you mean '${sug}'?` : ""}`,
          at,
          sug ? undefined : "see docs/controls.md or `keel modules` for the catalog's ids; globs like ssh.* select a whole area",
        );
      }
      out.push(pat);
      return;
    }
    const re = new RegExp(`^${pat.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^.]*")}$`);
    const hits = catalog.ids.filter((id) => re.test(id) || (!pat.includes(".") && re.test(id.split(".")[0]!)));
    if (!hits.length) throw y.error(`'${pat}' in ${key} matches no control`, at, `areas: ${catalog.areas.map((a) => a.name).join(", ")}`);
    out.push(...hits);
  });
  return out;
}

/** "newline", "carriage return" or "NUL" when a value (or an item of a list value) holds one. */
function lineBreak(v: unknown): string | undefined {
  for (const s of Array.isArray(v) ? v : [v]) {
    if (typeof s !== "string") continue;
    if (s.includes("\0")) return "NUL";
    if (s.includes("\n")) return "newline";
    if (s.includes("\r")) return "carriage return";
  }
  return undefined;
}
