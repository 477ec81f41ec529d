// PostgreSQL access control lists, pure: reading aclitem text ("grantee=privs/grantor", the grantee
// empty for PUBLIC, names double-quoted when needed, `*` after a privilege held with grant option),
// and what GRANT / REVOKE make of a list, so that postgresql_privs' diff is computed without running
// them. The rules are PostgreSQL's (src/backend/utils/adt/acl.c, aclupdate):
//   - a NULL acl stands for the type's default (acldefault); any GRANT or REVOKE writes it out;
//   - each item is keyed by (grantee, grantor); a grant adds privilege bits (and grant-option
//     bits WITH GRANT OPTION), a revoke removes them (REVOKE GRANT OPTION FOR removes only the
//     grant-option bits); an item left with no bits is removed; a new item goes at the end;
//   - a superuser's GRANT/REVOKE is recorded as if the object's owner had issued it.

/** Privilege letters by object type (the letters of aclitem text), and what ALL stands for. */
export const PRIV_LETTERS: Record<string, Record<string, string>> = {
  database: { CREATE: "C", CONNECT: "c", TEMPORARY: "T", TEMP: "T" },
  schema: { USAGE: "U", CREATE: "C" },
  table: { INSERT: "a", SELECT: "r", UPDATE: "w", DELETE: "d", TRUNCATE: "D", REFERENCES: "x", TRIGGER: "t" },
  sequence: { USAGE: "U", SELECT: "r", UPDATE: "w" },
};

export interface AclItem {
  grantee: string;
  grantor: string;
  /** privilege letters held, in PostgreSQL's print order */
  privs: string;
  /** the subset of letters held with grant option */
  grant: string;
}

function readName(s: string, i: number): [string, number] {
  if (s[i] !== '"') {
    let j = i;
    while (j < s.length && s[j] !== "=" && s[j] !== "/") j++;
    return [s.slice(i, j), j];
  }
  let out = "";
  let j = i + 1;
  for (; j < s.length; j++) {
    if (s[j] === '"') {
      if (s[j + 1] === '"') {
        out += '"';
        j++;
      } else return [out, j + 1];
    } else out += s[j];
  }
  throw new Error(`unterminated quoted name in aclitem ${JSON.stringify(s)}`);
}

/** One aclitem's text ("appuser=r*w/postgres", "=Tc/postgres" for PUBLIC). */
export function parseAclItem(text: string): AclItem {
  const [grantee, i] = readName(text, 0);
  if (text[i] !== "=") throw new Error(`not an aclitem: ${JSON.stringify(text)}`);
  let j = i + 1;
  let privs = "";
  let grant = "";
  while (j < text.length && text[j] !== "/") {
    const c = text[j]!;
    if (c === "*") grant += privs[privs.length - 1] ?? "";
    else privs += c;
    j++;
  }
  const [grantor] = text[j] === "/" ? readName(text, j + 1) : [""];
  return { grantee, grantor, privs, grant };
}

function quoteName(n: string): string {
  return n === "" || /^[a-z0-9_]+$/.test(n) ? n : `"${n.replace(/"/g, '""')}"`;
}

/** Back to aclitem text, in the order PostgreSQL prints letters ("arwdDxtm" + "XUCTc"). */
export function aclItemText(it: AclItem): string {
  const order = "arwdDxtXUCTcsAm";
  const letters = [...it.privs].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return `${quoteName(it.grantee)}=${letters.map((c) => c + (it.grant.includes(c) ? "*" : "")).join("")}/${quoteName(it.grantor)}`;
}

export interface AclEdit {
  /** "" for PUBLIC */
  grantee: string;
  grantor: string;
  letters: string;
  /** grant: add letters; revoke: remove letters (and their grant option); revokeGrant: remove only the grant option */
  kind: "grant" | "revoke" | "revokeGrant";
  withGrantOption?: boolean;
}

/** The acl after one GRANT/REVOKE for one grantee (the input is not changed). */
export function applyAclEdit(acl: readonly AclItem[], e: AclEdit): AclItem[] {
  const out = acl.map((x) => ({ ...x }));
  let idx = out.findIndex((x) => x.grantee === e.grantee && x.grantor === e.grantor);
  if (idx < 0) {
    if (e.kind !== "grant") return out;
    out.push({ grantee: e.grantee, grantor: e.grantor, privs: "", grant: "" });
    idx = out.length - 1;
  }
  const it = out[idx]!;
  const has = (s: string, c: string) => s.includes(c);
  if (e.kind === "grant") {
    for (const c of e.letters) {
      if (!has(it.privs, c)) it.privs += c;
      if (e.withGrantOption && !has(it.grant, c)) it.grant += c;
    }
  } else if (e.kind === "revoke") {
    it.privs = [...it.privs].filter((c) => !e.letters.includes(c)).join("");
    it.grant = [...it.grant].filter((c) => !e.letters.includes(c)).join("");
  } else {
    it.grant = [...it.grant].filter((c) => !e.letters.includes(c)).join("");
  }
  if (it.privs === "") out.splice(idx, 1);
  return out;
}

/** aclitem texts as PostgreSQL would print them, for equality and display. */
export function aclTexts(acl: readonly AclItem[]): string[] {
  return acl.map(aclItemText);
}
