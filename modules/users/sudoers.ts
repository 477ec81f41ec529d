// users.sudoers: one drop-in rule file in /etc/sudoers.d for a user or a group.
// Ansible twin: community.general.sudoers (same argument names and the same file content, so a file
// Ansible wrote counts as converged; `nopasswd` is accepted as a synonym of `nopassword`).
//
// An invalid rule is never installed: apply first checks the rule with `visudo -cf -` on stdin and
// throws with visudo's message when it fails, then writes the file through host.writeFile whose
// `validate: "visudo -cf %s"` checks the temporary file again before it is renamed into place.
// File names sudo would silently ignore (containing '.', ending in '~') are rejected by the schema.
import { defineModule, type Change } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { shJoin, shq } from "../../engine/core/shell.js";
import { lineDelta, refuseLineBreaksIn } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { fileOf, snip, statOf } from "../../engine/core/snippets.js";
import { listArg, type StatInfo } from "./common.js";

export interface SudoersArgs {
  name: string;
  user?: string;
  group?: string;
  commands?: string | string[];
  nopassword?: boolean;
  nopasswd?: boolean;
  runas?: string;
  host?: string;
  setenv?: boolean;
  noexec?: boolean;
  defaults?: string[];
  sudoers_path?: string;
  state?: "present" | "absent";
  validation?: "detect" | "required" | "absent";
}

export interface SudoersState {
  file?: StatInfo;
  content?: string;
  unreadable?: boolean;
  /** Path of visudo on the host, when found. */
  visudo?: string;
}

const MODE = "0440";

/** What apply does for one change (the plan diff made): remove the file, (re)write it, or fix its mode or owner. */
export type SudoersOp = { op: "remove" } | { op: "write" } | { op: "chmod" } | { op: "chown" };

export default defineModule<SudoersArgs, SudoersState, SudoersOp>({
  name: "users.sudoers",
  aliases: ["sudoers", "community.general.sudoers"],
  description: "Ensure a sudoers drop-in file for a user or group exists with the given rule (validated by visudo before it is installed), or is absent.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: {
        type: "string",
        minLength: 1,
        // sudo's #includedir skips names containing '.' or ending in '~'.
        pattern: "^[^./]*[^./~]$",
        description: "File name in sudoers_path. Must not contain '.' or '/' and must not end in '~': sudo silently ignores such files.",
      },
      user: { type: "string", minLength: 1, description: "The user the rule is for (not with `group`)." },
      group: { type: "string", minLength: 1, description: "The group the rule is for, written as %group (not with `user`)." },
      commands: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }],
        default: "ALL",
        description: "Commands allowed (a list, or one string). Default ALL.",
      },
      nopassword: { type: "boolean", default: true, description: "NOPASSWD: no password needed for the commands." },
      nopasswd: { type: "boolean", description: "Synonym of `nopassword`; wins when both are given." },
      runas: { type: "string", description: "Target user (and :group) the commands run as, written as (runas)." },
      host: { type: "string", default: "ALL", description: "The host the rule applies to." },
      setenv: { type: "boolean", default: false, description: "SETENV: allow keeping the environment." },
      noexec: { type: "boolean", default: false, description: "NOEXEC: the commands may not run further commands." },
      defaults: {
        type: "array",
        items: { type: "string" },
        description: "Defaults directives scoped to the user or group, written before the rule (Defaults:user !requiretty).",
      },
      sudoers_path: { type: "string", default: "/etc/sudoers.d", description: "Folder of the drop-in file." },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the rule file should exist." },
      validation: {
        enum: ["detect", "required", "absent"],
        default: "detect",
        description: "detect: validate with visudo when it is installed; required: fail without visudo; absent: do not validate.",
      },
    },
    not: { properties: { user: true, group: true }, required: ["user", "group"] },
  },

  resource: (a) => `sudoers rule ${filePath(a)}`,
  footprint: (a) => ({ reads: [`file:${filePath(a)}`, "accounts"], writes: [`file:${filePath(a)}`] }),

  validate: checkArgs,

  probe(a) {
    const script = [
      snip.stat("rule", filePath(a), { follow: true }),
      snip.readFile("rule", filePath(a)),
      snip.begin("visudo"),
      `for _ku_v in "$(command -v visudo 2>/dev/null)" /usr/sbin/visudo /sbin/visudo /usr/bin/visudo; do`,
      `  if [ -n "$_ku_v" ] && [ -x "$_ku_v" ]; then break; fi; _ku_v=`,
      `done`,
      `if [ -n "$_ku_v" ]; then`,
      snip.field("path", '"$_ku_v"'),
      `fi`,
    ].join("\n");
    return {
      script: script + "\n",
      parse(stdout) {
        const recs = parseRecords(stdout);
        const s: SudoersState = {};
        const st = statOf(recs, "rule");
        if (st?.type === "file") s.file = { mode: st.mode ?? "", owner: st.owner ?? "", group: st.group ?? "" };
        const f = fileOf(recs, "rule");
        if (f.type === "file" && f.content !== undefined) s.content = f.content.toString("utf8");
        if (f.type === "file" && f.unreadable) s.unreadable = true;
        const v = findRec(recs, "visudo")?.get("path");
        if (v) s.visudo = v;
        return s;
      },
    };
  },

  diff(s, a) {
    const path = filePath(a);
    if ((a.state ?? "present") === "absent") {
      return s.file ? [{ field: "state", summary: `sudoers rule ${path} present → absent`, before: "present", after: "absent", data: { op: "remove" } }] : [];
    }
    if (s.unreadable) {
      return [{ field: "content", summary: `cannot read ${path} (run with become)`, unknown: true }];
    }
    const want = sudoersContent(a);
    if (!s.file) {
      return [
        {
          field: "state",
          summary: `sudoers rule ${path} absent → present: ${lineDelta("", want)}`,
          before: "absent",
          after: "present",
          diff: { path, before: "", after: want },
          data: { op: "write" },
        },
      ];
    }
    const out: Change<SudoersOp>[] = [];
    if ((s.content ?? "") !== want) {
      out.push({
        field: "content",
        summary: `content of ${path} differs: ${lineDelta(s.content ?? "", want)}`,
        diff: { path, before: s.content ?? "", after: want },
        data: { op: "write" },
      });
    }
    if (s.file.mode !== MODE) out.push({ field: "mode", summary: `mode ${s.file.mode} → ${MODE}`, before: s.file.mode, after: MODE, data: { op: "chmod" } });
    const owner = `${s.file.owner}:${s.file.group}`;
    if (owner !== "root:root") out.push({ field: "owner", summary: `owner ${owner} → root:root`, before: owner, after: "root:root", data: { op: "chown" } });
    return out;
  },

  explain(_s, a) {
    return (a.state ?? "present") === "absent"
      ? `sudoers rule ${filePath(a)} is absent`
      : `sudoers rule ${filePath(a)} is in place (${sudoersContent(a).trim().split("\n").join(" | ")})`;
  },

  async apply(host, a, changes, s) {
    const path = filePath(a);
    const ops = new Set(changes.map((c) => c.data?.op));
    if (ops.has("remove")) {
      await host.run(shJoin(["rm", "-f", path]));
      return;
    }
    if (s.unreadable) throw new ModuleError(`cannot read ${path}: run the task with become`);
    // A (re)write sets content, mode and owner at once: the chmod/chown changes need nothing more.
    if (ops.has("write")) {
      const content = sudoersContent(a);
      const validation = a.validation ?? "detect";
      if (validation === "required" && !s.visudo) {
        throw new ModuleError(`validation: required, but visudo was not found on ${host.name}; install sudo or set validation: detect`);
      }
      const visudo = validation === "absent" ? undefined : s.visudo;
      if (visudo) {
        const r = await host.run(`${shq(visudo)} -cf -`, { stdin: content, check: false });
        if (r.rc !== 0) {
          throw new ModuleError(`sudoers rule ${path} is invalid, not installed: ${(r.stderr || r.stdout).trim()}`);
        }
      }
      await host.writeFile(path, content, {
        mode: MODE,
        owner: "root",
        group: "root",
        ...(visudo ? { validate: `${shq(visudo)} -cf %s` } : {}),
      });
      return;
    }
    if (ops.has("chmod")) await host.run(shJoin(["chmod", MODE, path]));
    if (ops.has("chown")) await host.run(shJoin(["chown", "root:root", path]));
  },
});

export function filePath(a: SudoersArgs): string {
  return `${(a.sudoers_path ?? "/etc/sudoers.d").replace(/\/+$/, "")}/${a.name}`;
}

/** The rule file, byte for byte what community.general.sudoers writes. */
export function sudoersContent(a: SudoersArgs): string {
  const owner = a.user !== undefined ? a.user : `%${a.group}`;
  const defaults = (a.defaults ?? []).map((d) => `Defaults:${owner} ${d}\n`).join("");
  const commands = (listArg(a.commands) ?? ["ALL"]).join(", ") || "ALL";
  // The synonym wins: it can only be there because the task wrote it (nopassword may be a filled default).
  const nopass = a.nopasswd ?? a.nopassword ?? true;
  const tags = `${a.noexec ? "NOEXEC:" : ""}${nopass ? "NOPASSWD:" : ""}${a.setenv ? "SETENV:" : ""}`;
  const runas = a.runas !== undefined ? `(${a.runas})` : "";
  return `${defaults}${owner} ${a.host ?? "ALL"}=${runas}${tags} ${commands}\n`;
}

/** Every argument that is written into the rule file's lines. */
const RULE_ARGS = ["user", "group", "commands", "runas", "host", "defaults"] as const;

/** Argument rules the schema cannot say clearly. Throws InputError with a hint. */
function checkArgs(a: SudoersArgs): void {
  // A line break in any of them would add a sudoers line of its own (a rule visudo accepts).
  refuseLineBreaksIn(a, RULE_ARGS, "the sudoers rule");
  if (a.name.includes(".") || a.name.includes("/") || a.name.endsWith("~")) {
    throw new InputError(
      `sudoers file name '${a.name}' would be ignored by sudo (names containing '.' or '/' or ending in '~' are skipped)`,
      undefined,
      `use a name like '${a.name.replace(/[./~]+/g, "-").replace(/^-+|-+$/g, "") || "keel-rule"}'`,
    );
  }
  if ((a.state ?? "present") === "present" && a.user === undefined && a.group === undefined) {
    throw new InputError("users.sudoers needs `user` or `group` when state is present", undefined, "add `user: NAME` or `group: NAME`");
  }
  if (a.user !== undefined && a.group !== undefined) {
    throw new InputError("users.sudoers takes `user` or `group`, not both", undefined, "keep one of them; use two tasks for two rules");
  }
}
