// Shell-style name patterns as Python's fnmatch has them: the one matcher for every pattern keel
// takes where Ansible takes an fnmatch pattern (host patterns, --start-at-task, files.find,
// archive/unarchive members, setup's filter, patches' only/exclude). Path globs where `*` stops at
// `/` (lookup fileglob, sshd Include) and OpenSSH's Host patterns are other contracts, kept apart.

/** Python's fnmatch.fnmatch on POSIX (case-sensitive): *, ?, [seq], [!seq]; `[^seq]` is NOT negated. */
export function fnmatch(name: string, pat: string): boolean {
  return fnmatchRegExp(pat).test(name);
}

const cache = new Map<string, RegExp>();

/** Python's fnmatch.translate (3.11) as an anchored RegExp; compiled patterns are kept for reuse. */
export function fnmatchRegExp(pat: string): RegExp {
  let re = cache.get(pat);
  if (!re) {
    if (cache.size >= 1000) cache.clear();
    re = new RegExp(`^(?:${translate(pat)})$`, "s");
    cache.set(pat, re);
  }
  return re;
}

function translate(pat: string): string {
  let out = "";
  const n = pat.length;
  let i = 0;
  while (i < n) {
    const c = pat[i++]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      // "[!" negates, a "]" right after the opening (or after "!") is literal, no closing "]" at all is a literal "["
      let j = i;
      if (j < n && pat[j] === "!") j++;
      if (j < n && pat[j] === "]") j++;
      while (j < n && pat[j] !== "]") j++;
      if (j >= n) {
        out += "\\[";
        continue;
      }
      let stuff: string;
      if (!pat.slice(i, j).includes("-")) stuff = escapeSet(pat.slice(i, j));
      else {
        // ranges: split at the hyphens that make ranges, drop empty ranges (z-a), escape the other hyphens
        const chunks: string[] = [];
        let k = pat[i] === "!" ? i + 2 : i + 1;
        for (;;) {
          k = pat.indexOf("-", k);
          if (k < 0 || k >= j) break;
          chunks.push(pat.slice(i, k));
          i = k + 1;
          k = k + 3;
        }
        const last = pat.slice(i, j);
        if (last) chunks.push(last);
        else chunks[chunks.length - 1] += "-";
        for (let m = chunks.length - 1; m > 0; m--) {
          const prev = chunks[m - 1]!;
          if (prev[prev.length - 1]! > chunks[m]![0]!) {
            chunks[m - 1] = prev.slice(0, -1) + chunks[m]!.slice(1);
            chunks.splice(m, 1);
          }
        }
        stuff = chunks.map((s) => escapeSet(s).replace(/-/g, "\\-")).join("-");
      }
      i = j + 1;
      if (!stuff)
        out += "(?!)"; // empty range: never matches
      else if (stuff === "!")
        out += "."; // negated empty range: any character
      else if (stuff[0] === "!") out += `[^${stuff.slice(1)}]`;
      else if (stuff[0] === "^") out += `[\\${stuff}]`;
      else out += `[${stuff}]`;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}

/** A set's text for a JS character class: backslashes and brackets literal (Python needs only the backslash). */
function escapeSet(s: string): string {
  return s.replace(/[\\[\]]/g, "\\$&");
}
