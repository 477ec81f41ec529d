// Where firewall.nftables persists its table, and what that file must hold. Pure.
//   * persist_file given: that file, wholly keel's;
//   * owns_ruleset: the main file /etc/nftables.conf, wholly keel's (flush ruleset + the table);
//   * the main file includes /etc/nftables.d/*.EXT: keel's own file there, keel-FAMILY-NAME.EXT;
//   * otherwise: a marked block at the end of the main file, the rest of it kept.
// The persisted text is the same script apply loads (create, delete, define), so loading the file
// again on a running host replaces the table instead of failing or doubling its rules.
import { loadScript, tableText } from "./nft-render.js";
import type { Table } from "./nft-model.js";

export const MAIN_FILE = "/etc/nftables.conf";
export const INCLUDE_DIR = "/etc/nftables.d";
const HEADER = "# Managed by keel (firewall.nftables): changes made here are reported as drift and replaced.\n";

export interface PersistInput {
  /** Content of /etc/nftables.conf; undefined when it does not exist. */
  main?: string;
  /** Content of other candidate files by path (undefined: missing). */
  files: Record<string, string | undefined>;
}

export interface PersistTarget {
  path: string;
  /** The whole file now (undefined: missing) and what keel writes. */
  before?: string;
  after: string;
  /** The block or file keel owns, before and after (what the diff shows). */
  ownBefore?: string;
  ownAfter: string;
  /** How it is persisted, for messages. */
  how: "file" | "include" | "block" | "ruleset";
  /** A block keel wrote in the main file before the table moved to its own file: removed. */
  stale?: { path: string; before: string; after: string };
}

const blockMarks = (t: { family: string; name: string }) => ({
  begin: `# BEGIN keel firewall.nftables ${t.family} ${t.name}`,
  end: `# END keel firewall.nftables ${t.family} ${t.name}`,
});

/** The include glob of the main file under /etc/nftables.d ("/etc/nftables.d/*.nft"), if any. */
export function includeGlob(main: string | undefined): string | undefined {
  const m = /^[ \t]*include[ \t]+"(\/etc\/nftables\.d\/[^"]*\*[^"]*)"/m.exec(main ?? "");
  return m?.[1];
}

export function includeFile(t: { family: string; name: string }, glob: string): string {
  const ext = glob.slice(glob.lastIndexOf("*") + 1);
  return `${INCLUDE_DIR}/keel-${t.family}-${t.name}${ext}`;
}

/** Paths the probe reads besides the main file. */
export function candidateFiles(t: { family: string; name: string }, persistFile?: string): string[] {
  return [...(persistFile ? [persistFile] : []), includeFile(t, "*.nft"), includeFile(t, "*.conf")];
}

/** Splits the main file into the text outside keel's block and the block itself (undefined: none). */
export function splitBlock(main: string, t: { family: string; name: string }): { rest: string; block?: string } {
  const { begin, end } = blockMarks(t);
  const lines = main.split("\n");
  const b = lines.indexOf(begin);
  const e = b < 0 ? -1 : lines.indexOf(end, b);
  if (b < 0 || e < 0) return { rest: main };
  return { rest: [...lines.slice(0, b), ...lines.slice(e + 1)].join("\n"), block: `${lines.slice(b, e + 1).join("\n")}\n` };
}

/** Where and what to persist for `table` (state present). */
export function persistTarget(t: Table, opts: { ownsRuleset: boolean; persistFile?: string }, input: PersistInput): PersistTarget {
  const stale = staleBlock(t, input.main);
  if (opts.persistFile) {
    const after = HEADER + loadScript(t, false);
    const before = input.files[opts.persistFile];
    return { path: opts.persistFile, before, after, ownBefore: before, ownAfter: after, how: "file", ...(stale ? { stale } : {}) };
  }
  if (opts.ownsRuleset) {
    const after = `#!/usr/sbin/nft -f\n${HEADER}\nflush ruleset\n\n${tableText(t)}`;
    return { path: MAIN_FILE, before: input.main, after, ownBefore: input.main, ownAfter: after, how: "ruleset" };
  }
  const glob = includeGlob(input.main);
  if (glob) {
    const path = includeFile(t, glob);
    const after = HEADER + loadScript(t, false);
    return { path, before: input.files[path], after, ownBefore: input.files[path], ownAfter: after, how: "include", ...(stale ? { stale } : {}) };
  }
  const { begin, end } = blockMarks(t);
  const block = `${begin}\n${loadScript(t, false)}${end}\n`;
  const { rest, block: old } = splitBlock(input.main ?? "#!/usr/sbin/nft -f\n", t);
  const base = rest.endsWith("\n") || rest === "" ? rest : `${rest}\n`;
  return {
    path: MAIN_FILE,
    before: input.main,
    after: `${base}${base.endsWith("\n\n") || base === "" ? "" : "\n"}${block}`,
    ownBefore: old,
    ownAfter: block,
    how: "block",
  };
}

function staleBlock(t: Table, main: string | undefined): PersistTarget["stale"] {
  if (main === undefined) return undefined;
  const { rest, block } = splitBlock(main, t);
  return block === undefined ? undefined : { path: MAIN_FILE, before: main, after: rest.replace(/\n\n+$/, "\n") };
}

/** What removing the table from persistence means (state absent): undefined when nothing is persisted. */
export function unpersistTarget(
  t: { family: string; name: string },
  persistFile: string | undefined,
  input: PersistInput,
): { path: string; remove: boolean; before: string; after: string } | undefined {
  for (const p of [persistFile, ...candidateFiles(t)].filter((x): x is string => !!x)) {
    const c = input.files[p];
    if (c !== undefined) return { path: p, remove: true, before: c, after: "" };
  }
  if (input.main === undefined) return undefined;
  const { rest, block } = splitBlock(input.main, t);
  if (block === undefined) return undefined;
  return { path: MAIN_FILE, remove: false, before: input.main, after: rest.replace(/\n\n+$/, "\n") };
}
