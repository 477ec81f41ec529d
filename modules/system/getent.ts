// system.getent — Ansible's `getent`: read-only. Runs `getent DATABASE [KEY] [-s SERVICE]` in the
// probe and sets the fact getent_<database> (key → the other fields), split as Ansible splits them.
// getent's exit codes fail the task as Ansible's module does (2, a missing key, only with fail_key).
import { defineModule } from "../../engine/core/module.js";
import { InternalError, ModuleError } from "../../engine/core/errors.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";
import { shJoin } from "../../engine/core/shell.js";

export interface GetentArgs {
  database: string;
  key?: string;
  service?: string;
  split?: string;
  fail_key?: boolean;
}

export interface GetentState {
  rc: number;
  out: string;
  err: string;
}

/** Databases whose entries are colon-separated (Ansible's default split for them). */
const COLON = ["passwd", "shadow", "group", "gshadow"];

export default defineModule<GetentArgs, GetentState>({
  name: "system.getent",
  aliases: ["getent"],
  description:
    "Read entries of a name service database (passwd, group, hosts, services…) with getent into the fact getent_<database>, as Ansible's getent sets it. Read-only.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["database"],
    properties: {
      database: { type: "string", pattern: "^[A-Za-z0-9_.-]+$", description: "The database: passwd, group, shadow, hosts, services, protocols, networks…" },
      key: { type: "string", description: "The key to look up (a user name, host name, uid…). Default: the whole database." },
      service: { type: "string", description: "Override the NSS service (getent -s), e.g. files." },
      split: { type: "string", minLength: 1, description: "The field separator. Default ':' for passwd, shadow, group and gshadow, else whitespace." },
      fail_key: { type: "boolean", default: true, description: "Fail when the key is not found. Default true; false sets the key to null instead." },
    },
  },
  resource: (a) => `getent ${a.database}${a.key !== undefined ? ` ${a.key}` : ""}`,
  produces: (a) => [`getent_${a.database}`, "ansible_facts"],

  probe(a) {
    const cmd = shJoin(["getent", a.database, ...(a.key !== undefined ? [a.key] : []), ...(a.service !== undefined ? ["-s", a.service] : [])]);
    return {
      script: snip.cmd("getent", `command -v getent >/dev/null 2>&1 || { echo 'getent: command not found' >&2; exit 127; }\n${cmd}`),
      parse(out) {
        const c = cmdOf(parseRecords(out), "getent");
        if (!c) throw new ModuleError("the getent probe printed no result");
        return c;
      },
    };
  },
  diff(st, a) {
    // Ansible's getent fails in check mode too: the same outcomes here, decided before any result.
    const msg = failure(st, a);
    if (msg) throw new ModuleError(msg);
    return [];
  },
  explain: (st, a) => `${Object.keys(entries(st, a)).length} ${a.database} entries read`,
  result(st, a) {
    const r: Record<string, unknown> = { ansible_facts: { [`getent_${a.database}`]: entries(st, a) } };
    if (st.rc === 2) r.msg = "One or more supplied key could not be found in the database.";
    return r;
  },
  async apply() {
    throw new InternalError("system.getent is read-only: its diff is always empty, so apply never runs");
  },
});

function failure(st: GetentState, a: GetentArgs): string | undefined {
  if (st.rc === 0 || (st.rc === 2 && a.fail_key === false)) return undefined;
  if (st.rc === 1) return "Missing arguments, or database unknown.";
  if (st.rc === 2) return "One or more supplied key could not be found in the database.";
  if (st.rc === 3) return "Enumeration not supported on this database.";
  return `getent failed with exit code ${st.rc}${st.err.trim() ? `: ${st.err.trim()}` : ""}`;
}

/** Ansible's parsing: the first field is the key; a key seen twice holds a list of field lists. */
export function entries(st: GetentState, a: GetentArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (st.rc === 2 && a.fail_key === false && a.key !== undefined) {
    out[a.key] = null;
    return out;
  }
  if (st.rc !== 0) return out;
  const split = a.split ?? (COLON.includes(a.database) ? ":" : undefined);
  const seen = new Map<string, number>();
  for (const line of st.out.split(/\r?\n/)) {
    if (line === "" && split !== undefined) continue;
    // Python's str.split() without a separator: runs of whitespace, no empty fields
    const rec = split === undefined ? line.split(/\s+/).filter(Boolean) : line.split(split);
    if (rec.length === 0) continue;
    const k = rec[0]!;
    const n = seen.get(k) ?? 0;
    if (n === 0) out[k] = rec.slice(1);
    else {
      if (n === 1) out[k] = [out[k]];
      (out[k] as unknown[]).push(rec.slice(1));
    }
    seen.set(k, n + 1);
  }
  return out;
}
