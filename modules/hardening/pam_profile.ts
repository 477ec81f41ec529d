// hardening.pam_profile: a pam-auth-update profile (/usr/share/pam-configs/NAME) exists with the
// given content and is enabled, i.e. its module lines are in /etc/pam.d/common-*. Debian's own
// mechanism, so package upgrades keep the stack consistent.
//
// Changing PAM can lock everyone out, so apply follows the access-cutting pattern: it saves the
// common-* files and the old profile, arms a dead-man timer on the host that restores them unless
// disarmed, runs pam-auth-update, checks that every module the stack names exists, then proves a
// NEW SSH login works and that become (sudo, itself a PAM client) still works. Only then is the
// timer disarmed; any failure restores at once and fails the task (modules/hardening/pam_guard.ts).
import { defineModule, type Change } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { guardedPamChange, type GuardedFile } from "./pam_guard.js";

export interface PamProfileArgs {
  name: string;
  content: string;
  deadman_seconds?: number;
}

const TYPES = ["auth", "account", "password", "session", "session-noninteractive"] as const;
type PamType = (typeof TYPES)[number];

interface St {
  tool: boolean;
  profile: { exists: boolean; text: string };
  common: Record<PamType, { exists: boolean; text: string }>;
}

interface Plan {
  missing: string[];
}

/**
 * module + args of each line the profile puts in common-<type>. `X` and `X-Initial` are
 * alternatives: pam-auth-update writes the -Initial form when the profile's module is the first of
 * its type in the stack (e.g. pam_unix without pwquality before it), so either one is accepted.
 */
export function expectedLines(content: string): { type: PamType; module: string; args: string; alts: string[] }[] {
  const out: { type: PamType; module: string; args: string; alts: string[] }[] = [];
  let type: PamType | undefined;
  for (const raw of content.split("\n")) {
    const head = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
    if (head && !/^\s/.test(raw)) {
      const m = /^(Auth|Account|Password|Session)(-Initial)?$/i.exec(head[1]!);
      type = m ? (m[1]!.toLowerCase() as PamType) : undefined;
      continue;
    }
    if (!type || !raw.trim()) continue;
    const l = parseLine(raw);
    if (!l) continue;
    const seen = out.find((e) => e.type === type && e.module === l.module);
    if (seen) {
      if (!seen.alts.includes(l.args)) seen.alts.push(l.args);
      continue;
    }
    out.push({ type, ...l, alts: [l.args] });
  }
  return out;
}

/** "[success=1 default=ignore] pam_unix.so nullok" → module and args (control dropped). */
function parseLine(line: string): { module: string; args: string } | undefined {
  let rest = line.trim();
  if (rest.startsWith("#") || !rest) return undefined;
  rest = rest.startsWith("[") ? rest.slice(rest.indexOf("]") + 1).trim() : rest.replace(/^\S+\s+/, "");
  const [module, ...args] = rest.split(/\s+/);
  return module ? { module, args: args.join(" ") } : undefined;
}

/** The module's lines in a common-* file: module + args of each line naming it. */
function stackLines(text: string, module: string): string[] {
  const out: string[] = [];
  for (const l of text.split("\n")) {
    const p = /^\s*(auth|account|password|session)\s+(.*)$/.exec(l);
    const got = p ? parseLine(p[2]!) : undefined;
    if (got?.module === module) out.push(`${got.module}${got.args ? ` ${got.args}` : ""}`);
  }
  return out;
}

function stackHas(text: string, want: { module: string; alts: string[] }): boolean {
  return stackLines(text, want.module).some((l) => want.alts.some((a) => l === `${want.module}${a ? ` ${a}` : ""}`));
}

export default defineModule<PamProfileArgs, St, Plan>({
  name: "hardening.pam_profile",
  description:
    "Ensure a pam-auth-update profile exists with the given content and is enabled in /etc/pam.d/common-*. Guarded: a dead-man timer restores the PAM files unless a new SSH login and sudo are proven to work afterwards.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name", "content"],
    properties: {
      name: { type: "string", pattern: "^[a-z0-9_-]+$", description: "Profile name: the file /usr/share/pam-configs/NAME." },
      content: { type: "string", minLength: 1, description: "The profile (Name:, Default:, Priority:, Auth-Type:, Auth: … sections, see pam-auth-update(8))." },
      deadman_seconds: {
        type: "integer",
        minimum: 30,
        default: 120,
        description: "The host restores the saved PAM files after this many seconds unless keel proves a login works first.",
      },
    },
  },
  validate(a) {
    // The content is many lines by design; a NUL or a carriage return would make pam-auth-update
    // and PAM read different lines than keel compares.
    if (/[\0\r]/.test(a.content ?? ""))
      throw new InputError(
        `the content of PAM profile ${a.name} contains a ${/\0/.test(a.content) ? "NUL" : "carriage return"}`,
        undefined,
        "write plain lines separated by newlines",
      );
  },
  resource: (a) => `PAM profile ${a.name}`,
  probe(a) {
    return {
      script: [
        snip.readFile("profile", `/usr/share/pam-configs/${a.name}`),
        ...TYPES.map((t) => snip.readFile(t, `/etc/pam.d/common-${t}`)),
        snip.cmd("tool", "command -v pam-auth-update"),
      ].join("\n"),
      parse(out) {
        const recs = parseRecords(out);
        const file = (id: string) => {
          const r = findRec(recs, "file", id);
          return { exists: r?.get("exists") === "1", text: r?.get("content") ?? "" };
        };
        return {
          tool: findRec(recs, "cmd", "tool")?.int("rc") === 0,
          profile: file("profile"),
          common: Object.fromEntries(TYPES.map((t) => [t, file(t)])) as St["common"],
        };
      },
    };
  },
  diff(st, a): Change<Plan>[] {
    const want = a.content.endsWith("\n") ? a.content : `${a.content}\n`;
    const absent = expectedLines(want).filter((e) => !stackHas(st.common[e.type].text, e));
    const missing = absent.map((e) => `common-${e.type}: ${e.module}${e.args ? ` ${e.args}` : ""}`);
    // What the stack has instead (the same module with other arguments), as the observed value.
    const found = absent.flatMap((e) => stackLines(st.common[e.type].text, e.module).map((l) => `common-${e.type}: ${l}`));
    const changes: Change<Plan>[] = [];
    // A host without pam-auth-update is a finding with evidence (audit: fail); apply refuses it.
    if (!st.tool)
      changes.push({
        summary: "pam-auth-update is not installed (package libpam-runtime): keel manages PAM through it on Debian",
        field: "pam-auth-update",
        before: "absent (command -v pam-auth-update)",
        after: "present",
        source: "command -v pam-auth-update",
      });
    if (st.profile.text !== want)
      changes.push({
        summary: `profile /usr/share/pam-configs/${a.name} ${st.profile.exists ? "differs" : "missing"}`,
        field: "profile",
        diff: { path: `/usr/share/pam-configs/${a.name}`, before: st.profile.text, after: want },
      });
    if (missing.length)
      changes.push({
        summary: `not enabled: ${missing.join("; ")}${found.length ? ` (found: ${found.join("; ")})` : ""}`,
        field: "stack",
        before: found.length ? found : "absent",
        after: missing,
        source: `/etc/pam.d/common-{${[...new Set(absent.map((e) => e.type))].join(",")}}`,
      });
    for (const c of changes) c.data = { missing };
    return changes;
  },
  explain: (_s, a) => `PAM profile ${a.name} is installed and enabled in /etc/pam.d/common-*`,
  async apply(host, a, changes, st) {
    if (st && !st.tool)
      throw new ModuleError("pam-auth-update is not installed (package libpam-runtime): keel manages PAM through it on Debian; nothing was changed");
    const want = a.content.endsWith("\n") ? a.content : `${a.content}\n`;
    const prof = `/usr/share/pam-configs/${a.name}`;
    // Saved and restored: every common-* file that exists and the old profile (or its absence).
    const files: GuardedFile[] = [
      ...TYPES.filter((t) => st.common[t].exists).map((t) => ({
        path: `/etc/pam.d/common-${t}`,
        exists: true,
        text: st.common[t].text,
        saveAs: `common-${t}`,
      })),
      { path: prof, exists: st.profile.exists, text: st.profile.text, saveAs: "profile" },
    ];
    const proof = await guardedPamChange(host, files, { deadmanSeconds: a.deadman_seconds ?? 120, stackFiles: "/etc/pam.d/common-*" }, async () => {
      await host.writeFile(prof, want, { mode: "0644" });
      const upd = await host.run(`DEBIAN_FRONTEND=noninteractive pam-auth-update --enable ${shq(a.name)}`, { check: false });
      if (upd.rc !== 0) return `pam-auth-update --enable ${a.name} failed: ${upd.stderr.trim() || upd.stdout.trim() || `exit ${upd.rc}`}`;
      const now = parseRecords((await host.run(TYPES.map((t) => snip.readFile(t, `/etc/pam.d/common-${t}`)).join("\n"))).stdout);
      const text = (t: string) => findRec(now, "file", t)?.get("content") ?? "";
      const still = expectedLines(want).filter((e) => !stackHas(text(e.type), e));
      if (still.length)
        return `after pam-auth-update, /etc/pam.d/common-* still lack ${still.map((e) => e.module).join(", ")} (local edits keep pam-auth-update from managing them?)`;
      return undefined;
    });
    return { msg: `${changes.map((c) => c.summary).join("; ")}: enabled; ${proof}; become works` };
  },
});
