// Shell-style name patterns as Python's fnmatch has them (files.find's patterns, setup's filter).

/** Python's fnmatch.fnmatch on POSIX (case-sensitive): *, ?, [seq], [!seq]. */
export function fnmatch(name: string, pat: string): boolean {
  let re = "";
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "[") {
      // as fnmatch.translate: "[!" negates, a "]" right after the opening is literal, no "]" at all is literal "["
      let j = i + 1;
      if (pat[j] === "!") j++;
      if (pat[j] === "]") j++;
      while (j < pat.length && pat[j] !== "]") j++;
      if (j >= pat.length) re += "\\[";
      else {
        let body = pat.slice(i + 1, j).replace(/[\\[\]]/g, "\\$&");
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        else if (body.startsWith("^")) body = `\\${body}`;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^(?:${re})$`).test(name);
}
