// Reads that a probe batch makes once for all its probes (engine/run/batch.ts): each fork+exec
// costs the host about a millisecond, on every host of every run, and a converged run's probes
// mostly stat, hash and look up a handful of known paths and names one process at a time.
//
// A probe names what it will read with a hint line, `: keel-prefetch KIND HEX` (HEX: the path or
// name's bytes; `:` does nothing when the probe runs alone). The batch's first lines read every
// hinted value of a kind with ONE process and keep the answers in shell variables; the snippets
// (engine/core/snippets.ts, engine/core/filestate.ts) look their path or name up there and run
// their own process only when it is not there (not hinted, not found, a probe run alone). The
// answers are the bytes the snippet's own process gives, so a probe's output does not change:
//   lstat / stat   `stat [-L] -c FORMAT -- PATH…`, each entry framed by the batch's nonce mark
//   sum            `sha256sum -- FILE…` of the hinted paths that are regular files
//   passwd / group `getent DB NAME…` (names only: a number is looked up by id)
//   pgid           the primary group of an account NAME: its passwd entry is fetched, and its gid
//                  joins the one `getent group` (the user probe's group by gid, authorized_key's
//                  `id -gn`: one process each before)
// The batch is read-only (probes only observe), so a value read first is the value the probe
// would have read later in the same batch.
import { InternalError } from "./errors.js";
import { shq } from "./shell.js";

export type PrefetchKind = "lstat" | "stat" | "sum" | "passwd" | "group" | "pgid";

/** The fields of a @stat record, as one `stat -c` format (the mode first: snippets.ts statFields). */
export const STAT_FORMAT = "%a\nuid=%u\ngid=%g\nowner=%U\ngroup=%G\nsize=%s\nmtime=%Y";

const HINT = /^: keel-prefetch (lstat|stat|sum|passwd|group|pgid) ([0-9a-f]+)$/gm;

/** The hint line for a path or a name; "" for what the batch cannot read for it. */
export function prefetchHint(kind: PrefetchKind, value: string): string {
  if (value === "" || value.includes("\0")) return "";
  // sha256sum escapes a name with a backslash or a newline; getent looks a number up by id
  if (kind === "sum" && /[\\\n]/.test(value)) return "";
  if ((kind === "passwd" || kind === "group" || kind === "pgid") && (/^[0-9]+$/.test(value) || /[\n:]/.test(value))) return "";
  return `: keel-prefetch ${kind} ${Buffer.from(value, "utf8").toString("hex")}`;
}

/** The shell variable that holds the answers of a kind. */
const VAR: Record<PrefetchKind, string> = {
  lstat: "_keel_pl",
  stat: "_keel_pL",
  sum: "_keel_psum",
  passwd: "_keel_ppasswd",
  group: "_keel_pgroup",
  pgid: "_keel_pgid",
};

/**
 * The batch's first lines: $_keel_px (the entry mark: statAhead needs it too) and one process per
 * kind that some probe hinted. `mark` must be unpredictable to the host (the batch's nonce).
 */
export function prefetchPrelude(scripts: readonly string[], mark: string): string[] {
  if (!/^[A-Za-z0-9@-]+$/.test(mark)) throw new InternalError(`prefetch mark ${JSON.stringify(mark)} must be [A-Za-z0-9@-]+`);
  const want: Record<PrefetchKind, Set<string>> = { lstat: new Set(), stat: new Set(), sum: new Set(), passwd: new Set(), group: new Set(), pgid: new Set() };
  for (const s of scripts) {
    if (!s.includes(": keel-prefetch ")) continue;
    for (const m of s.matchAll(HINT)) want[m[1] as PrefetchKind].add(Buffer.from(m[2]!, "hex").toString("utf8"));
  }
  // an account's primary group needs its passwd entry first
  for (const n of want.pgid) want.passwd.add(n);
  const words = (k: PrefetchKind) => [...want[k]].map(shq).join(" ");
  const out: string[] = [`_keel_px='${mark}'`, `_keel_nl='`, `'`];
  // each entry: <px>N<path><px>D<the snippet's stat output><px>E (a path cannot hold the mark)
  const statFmt = shq(`${mark}N%n${mark}D${STAT_FORMAT}${mark}E`);
  if (want.lstat.size) out.push(`${VAR.lstat}=$(stat -c ${statFmt} -- ${words("lstat")} 2>/dev/null)`);
  if (want.stat.size) out.push(`${VAR.stat}=$(stat -L -c ${statFmt} -- ${words("stat")} 2>/dev/null)`);
  if (want.sum.size) {
    // regular files only (a FIFO would block, a folder fails), as the snippet sums only [ -f ]
    out.push(
      `set --; for _keel_f in ${words("sum")}; do [ -f "$_keel_f" ] && set -- "$@" "$_keel_f"; done`,
      `[ $# -eq 0 ] || ${VAR.sum}="$_keel_nl$(sha256sum -- "$@" 2>/dev/null)$_keel_nl"; set --`,
    );
  }
  if (want.passwd.size)
    out.push(`if command -v getent >/dev/null 2>&1; then ${VAR.passwd}="$_keel_nl$(getent passwd ${words("passwd")} 2>/dev/null)$_keel_nl"; fi`);
  // the gids of the pgid accounts' entries (digits only), asked with the group names
  if (want.pgid.size)
    out.push(
      `${VAR.pgid}=; for _keel_n in ${words("pgid")}; do ${getentLookup("passwd", { sh: '"$_keel_n"' }, "_keel_g")}; ` +
        `_keel_g=\${_keel_g#*:*:*:}; _keel_g=\${_keel_g%%:*}; case $_keel_g in ''|*[!0-9]*) ;; *) ${VAR.pgid}="$${VAR.pgid} $_keel_g" ;; esac; done`,
    );
  if (want.group.size || want.pgid.size)
    out.push(
      // the gids first: a gid's line is then getgrgid's answer even when a named group shares it
      `if command -v getent >/dev/null 2>&1; then ${VAR.group}="$_keel_nl$(getent group ${want.pgid.size ? `$${VAR.pgid} ` : ""}${words("group")} 2>/dev/null)$_keel_nl"; fi`,
    );
  return out;
}

/**
 * Shell text that sets `target` to the snippet's `stat [-L] -c` output for $_keel_p: the batch's
 * answer when it has one, else from `fallback` (the snippet's own stat command substitution).
 */
export function statLookup(follow: boolean, target: string, fallback: string): string {
  const v = follow ? VAR.stat : VAR.lstat;
  const key = `"$_keel_px"N"$_keel_p""$_keel_px"D`;
  return (
    `case \${_keel_px:+x}\${${v}-} in x*${key}*) ${target}=\${${v}#*${key}}; ${target}=\${${target}%%"$_keel_px"E*} ;; ` + `*) ${target}=${fallback} ;; esac`
  );
}

/**
 * Shell text that sets `target` to the sha256 (64 hex digits) of `path` (a shell word) when the
 * batch summed it, else to "" (the snippet then runs sha256sum itself).
 */
export function sumLookup(path: string, target: string): string {
  const v = VAR.sum;
  return (
    `${target}=; case \${_keel_px:+x}\${${v}-} in x*"  "${path}"$_keel_nl"*) ${target}=\${${v}%%"  "${path}"$_keel_nl"*}; ${target}=\${${target}##*"$_keel_nl"}; ` +
    `case $${target} in *[!0-9a-f]*) ${target}= ;; esac; [ \${#${target}} -eq 64 ] || ${target}= ;; esac`
  );
}

/**
 * Shell text that sets `target` to the entry line of `name` (a literal, or a shell word such as
 * '"$_keel_n"') in the batch's getent answers of `db`, else to "" (the snippet then asks getent itself).
 */
export function getentLookup(db: "passwd" | "group", name: string | { sh: string }, target: string): string {
  const v = VAR[db];
  const head = typeof name === "string" ? shq(`${name}:`) : `${name.sh}:`;
  const key = `"$_keel_nl"${head}`;
  return `${target}=; case \${_keel_px:+x}\${${v}-} in x*${key}*) ${target}=\${${v}#*${key}}; ` + `${target}=${head}\${${target}%%"$_keel_nl"*} ;; esac`;
}

/**
 * Shell text that sets `target` to the line of the batch's `getent group` answers whose gid (the
 * third field) is `gid` (a shell word holding digits), else to "" (the snippet then asks getent).
 * The probe hinted `pgid` for the account whose primary gid this is.
 */
export function gidLookup(gid: string, target: string): string {
  const v = VAR.group;
  return (
    `${target}=; case ${gid} in ''|*[!0-9]*) ;; *) case \${_keel_px:+x}\${${v}-} in x?*) _keel_r=\${${v}#"$_keel_nl"}; ` +
    `while [ -n "$_keel_r" ]; do _keel_l=\${_keel_r%%"$_keel_nl"*}; case $_keel_r in *"$_keel_nl"*) _keel_r=\${_keel_r#*"$_keel_nl"} ;; *) _keel_r= ;; esac; _keel_g=\${_keel_l#*:*:}; ` +
    `if [ "\${_keel_g%%:*}" = ${gid} ]; then ${target}=$_keel_l; break; fi; done ;; esac ;; esac`
  );
}

/**
 * Shell text that stats several paths (shell words computed by the probe, e.g. '"$_kd"') with one
 * `stat` and adds them to the batch's lstat answers, so the stat snippets that follow find them
 * (in a batch only; a probe run alone stats each path itself).
 */
export function statAhead(paths: readonly string[]): string {
  const fmt = `"$_keel_px"N%n"$_keel_px"D'${STAT_FORMAT}'"$_keel_px"E`;
  return `if [ -n "\${_keel_px-}" ]; then ${VAR.lstat}="\${${VAR.lstat}-}$(stat -c ${fmt} -- ${paths.join(" ")} 2>/dev/null)"; fi`;
}

/**
 * `lines`: shell lines that print `stat -c '%n %Y' PATH… 2>/dev/null` ("PATH MTIME" for each path
 * that exists, in order): in a probe batch from the batch's one lstat, else with stat itself.
 * `hints`: the hint lines, which the probe must hold at the start of a line of its own (a path the
 * batch stat'ed and gave nothing for does not exist: its stat failed as the probe's own would).
 */
export function lstatMtimes(paths: readonly string[]): { hints: string[]; lines: string } {
  const hints = paths.map((p) => prefetchHint("lstat", p));
  const words = paths.map(shq).join(" ");
  if (hints.some((h) => h === "")) return { hints: [], lines: `stat -c '%n %Y' ${words} 2>/dev/null` };
  // statLookup's entry ("" when the batch's stat gave none: an entry always holds the mode)
  const lines = [
    `if [ -n "\${_keel_px-}" ] && [ -n "\${${VAR.lstat}+x}" ]; then for _keel_p in ${words}; do ${statLookup(false, "_keel_s", "")}; ` +
      `if [ -n "$_keel_s" ]; then printf '%s %s\\n' "$_keel_p" "\${_keel_s##*mtime=}"; fi; done`,
    `else stat -c '%n %Y' ${words} 2>/dev/null; fi`,
  ].join("\n");
  return { hints, lines };
}
