// hardening.file_perms: every existing path matching the globs has at most `mode` (bits outside it
// are removed; a stricter mode is kept, as CIS asks "0640 or more restrictive") and the given
// owner and group. Paths that do not exist are not created: host keys, cron folders and the like
// differ between hosts. Symlinks are not followed.
import { defineModule, type Change } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";
import { allRecs, parseRecords } from "../../engine/core/record.js";
import { normMode, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { NOT_APPLICABLE } from "../../engine/core/events.js";

/** A user or group name as shadow's useradd accepts it (or a number): one word, no line break. */
const ACCOUNT = "^[A-Za-z0-9_.][A-Za-z0-9_.-]*\\$?$";

export interface FilePermsArgs {
  paths: string[];
  mode: string;
  owner?: string;
  group?: string;
  /** Accept any of these groups (e.g. root or shadow for /etc/shadow); `group` is what apply sets. */
  groups_allowed?: string[];
}

interface Entry {
  path: string;
  type: string;
  mode: string;
  owner: string;
  group: string;
}

interface Fix {
  path: string;
  chmod?: string;
  chown?: string;
}

export default defineModule<FilePermsArgs, { entries: Entry[] }, Fix[]>({
  name: "hardening.file_perms",
  description:
    "Ensure existing files matching globs have at most the given mode (extra bits removed, stricter kept) and the given owner and group. Missing paths are not created.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["paths", "mode"],
    properties: {
      paths: {
        type: "array",
        minItems: 1,
        items: { type: "string", pattern: "^/[^\\n\\r\\0]*$" },
        description: "Absolute paths or shell globs (/etc/ssh/ssh_host_*_key).",
      },
      mode: { type: "string", pattern: "^0?[0-7]{3,4}$", description: 'The most permissive mode allowed, octal ("0600").' },
      owner: { type: "string", pattern: ACCOUNT, description: "Owner to ensure (a user name or a numeric uid)." },
      group: { type: "string", pattern: ACCOUNT, description: "Group to ensure (and to set when the current one is not allowed)." },
      groups_allowed: { type: "array", items: { type: "string", pattern: ACCOUNT }, description: "Groups accepted besides `group`." },
    },
  },
  validate(a) {
    for (const p of a.paths ?? [])
      if (/["'`$\\]/.test(p)) throw new InputError(`path '${p}' of hardening.file_perms may only use glob characters (* ? [ ]), no quotes, $ or backslashes`);
  },
  // What the probe reads: each pattern's paths, named by the folder above its first glob character
  // (everything below it), and the account names the stat reports. apply only changes their modes
  // and owners. Declared so that a first run pipelines these tasks (docs/pipelining.md).
  footprint: (a) => {
    const files = [...new Set(a.paths.map((p) => `file:${globBase(p)}`))];
    return { reads: [...files, "accounts"], writes: files };
  },
  resource: (a) => `permissions of ${a.paths.join(" ")}`,
  probe(a) {
    // Globs are expanded by the shell on purpose; a pattern without a match stays literal and is skipped.
    const script = a.paths
      .map(
        (p, i) =>
          `for _keel_f in ${p.replace(/ /g, "\\ ")}; do [ -e "$_keel_f" ] || [ -L "$_keel_f" ] || continue\n${snip.stat(`p${i}`, "").replace(/^_keel_p=''$/m, "_keel_p=$_keel_f")}\nprintf 'path=%s\\n' "$_keel_f"\ndone`,
      )
      .join("\n");
    return {
      script,
      parse(out) {
        return {
          entries: allRecs(parseRecords(out), "stat")
            .filter((r) => r.get("exists") === "1")
            .map((r) => ({
              path: r.get("path") ?? "",
              type: r.get("type") ?? "",
              mode: r.get("mode") ?? "0000",
              owner: r.get("owner") ?? "",
              group: r.get("group") ?? "",
            })),
        };
      },
    };
  },
  diff(st, a) {
    const max = parseInt(normMode(a.mode), 8);
    const changes: Change<Fix[]>[] = [];
    const fixes: Fix[] = [];
    for (const e of st.entries) {
      if (e.type === "link") continue;
      const mode = parseInt(e.mode, 8);
      const extra = mode & ~max & 0o7777;
      const fix: Fix = { path: e.path };
      const what: string[] = [];
      if (extra) {
        fix.chmod = normMode(mode & max);
        what.push(`mode ${e.mode} → ${fix.chmod}`);
      }
      const ownerOk = a.owner === undefined || e.owner === a.owner;
      const groupOk = a.group === undefined || e.group === a.group || (a.groups_allowed ?? []).includes(e.group);
      if (!ownerOk || !groupOk) {
        fix.chown = `${ownerOk ? "" : a.owner}${groupOk ? "" : `:${a.group}`}`;
        what.push(`owner ${e.owner}:${e.group} → ${ownerOk ? e.owner : a.owner}:${groupOk ? e.group : a.group}`);
      }
      if (!what.length) continue;
      fixes.push(fix);
      changes.push({
        summary: `${e.path}: ${what.join(", ")}`,
        field: e.path,
        before: `${e.mode} ${e.owner}:${e.group}`,
        after: `${fix.chmod ?? e.mode} ${ownerOk ? e.owner : a.owner}:${groupOk ? e.group : a.group}`,
        source: e.path,
      });
    }
    for (const c of changes) c.data = fixes;
    return changes;
  },
  explain: (st, a) =>
    st.entries.length
      ? `${st.entries.map((e) => `${e.path} ${e.mode} ${e.owner}:${e.group}`).join(", ")} (at most ${normMode(a.mode)})`
      : `${NOT_APPLICABLE}no path matches ${a.paths.join(" ")}, nothing to check`,
  async apply(host, _a, changes) {
    for (const f of changes[0]!.data!) {
      if (f.chown) await host.run(`chown -h ${shq(f.chown)} ${shq(f.path)}`);
      if (f.chmod) await host.run(`chmod ${f.chmod} ${shq(f.path)}`);
    }
  },
});

/** The longest literal path a glob's matches all lie in: "/etc/ssh/ssh_host_*_key" → "/etc/ssh"; a plain path itself. */
export function globBase(pattern: string): string {
  const parts = pattern.split("/");
  const first = parts.findIndex((c) => /[*?[]/.test(c));
  if (first < 0) return pattern;
  return parts.slice(0, first).join("/") || "/";
}
