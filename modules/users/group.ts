// users.group: a local group exists (or not) with the given gid. Ansible twin: ansible.builtin.group.
import { defineModule, type Change, type Host } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { shJoin } from "../../engine/core/shell.js";
import { parseRecords } from "../../engine/core/record.js";
import { getentOf, snip } from "../../engine/core/snippets.js";
import { findRec } from "../../engine/core/record.js";
import { parseGroupLine, type GroupEntry } from "./common.js";

export interface GroupArgs {
  name: string;
  gid?: number;
  non_unique?: boolean;
  system?: boolean;
  state?: "present" | "absent";
  local?: boolean;
  force?: boolean;
  gid_min?: number;
  gid_max?: number;
}

export interface GroupState {
  group?: GroupEntry;
  /** local: /etc/group is missing. */
  noGroupFile?: boolean;
  /** local: the libuser commands found on the host (lgroupadd, lgroupmod, lgroupdel). */
  lcmds?: string[];
  /** local with gid: another group (any database, as Python's grp.getgrall) that has the gid. */
  gidTakenBy?: string;
}

/** What apply does for one change: the plan diff made, typed (the compiler ties diff to apply). */
export type GroupOp = { op: "create" } | { op: "delete" } | { op: "gid"; gid: number };

export default defineModule<GroupArgs, GroupState, GroupOp>({
  name: "users.group",
  aliases: ["group"],
  description: "Ensure a local group exists (or not) with the given gid, through groupadd/groupmod/groupdel.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, pattern: "^[^:\\s,]+$", description: "Name of the group." },
      gid: { type: "integer", minimum: 0, description: "Numeric group id. Changed with groupmod -g when it differs." },
      force: {
        type: "boolean",
        default: false,
        description: "With state absent: delete the group even when it is a user's primary group (groupdel -f, ansible-core 2.15). Not with local.",
      },
      gid_min: { type: "integer", minimum: 0, description: "Creating a group: the lowest gid groupadd may pick (-K GID_MIN=, ansible-core 2.16)." },
      gid_max: { type: "integer", minimum: 0, description: "Creating a group: the highest gid groupadd may pick (-K GID_MAX=, ansible-core 2.16)." },
      non_unique: { type: "boolean", default: false, description: "With gid: allow a gid another group already has (groupadd/groupmod -o)." },
      system: {
        type: "boolean",
        default: false,
        description: "Create a system group (groupadd -r). Only used when the group is created.",
      },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the group should exist." },
      local: {
        type: "boolean",
        default: false,
        description:
          "As Ansible's local: the group is looked up in /etc/group only (not NSS/LDAP), and changed with libuser's lgroupadd/lgroupmod/lgroupdel, which must be installed. Like Ansible, fails when a gid is given that another group has, and whenever the libuser command Ansible would run is missing (lgroupmod for an existing group, even unchanged).",
      },
    },
  },

  resource: (a) => `group ${a.name}`,

  validate(a) {
    if (a.force && a.local)
      throw new InputError("parameters are mutually exclusive: force|local", undefined, "libuser's lgroupdel has no force; drop one of them");
  },
  footprint: () => ({ reads: ["accounts"], writes: ["accounts"] }),

  probe(a) {
    if (a.local) {
      // Ansible's group_exists with local: the LAST line of /etc/group naming it (it reads the file backwards).
      const name = shq(`${a.name}:`);
      const script = [
        snip.begin("lgroup"),
        `if [ -e /etc/group ]; then printf 'file=1\\n'; else printf 'file=0\\n'; fi`,
        snip.b64Field("entry", `awk -v p=${name} 'index($0, p) == 1 { l = $0 } END { if (l != "") print l }' /etc/group 2>/dev/null`),
        snip.field("cmds", `"$(for c in lgroupadd lgroupmod lgroupdel; do command -v $c >/dev/null 2>&1 && printf '%s ' $c; done)"`),
        ...(a.gid !== undefined
          ? [snip.field("gidtaken", `"$(getent group 2>/dev/null | awk -F: -v g=${a.gid} -v n=${shq(a.name)} '$3 == g && $1 != n { print $1; exit }')"`)]
          : []),
      ].join("\n");
      return {
        script: script + "\n",
        parse(stdout) {
          const r = findRec(parseRecords(stdout), "lgroup");
          const st: GroupState = { lcmds: (r?.get("cmds") ?? "").trim().split(/\s+/).filter(Boolean) };
          if (r?.get("file") === "0") st.noGroupFile = true;
          const g = parseGroupLine(r?.get("entry")?.trim() || undefined);
          if (g) st.group = g;
          const taken = r?.get("gidtaken")?.trim();
          if (taken) st.gidTakenBy = taken;
          return st;
        },
      };
    }
    return {
      script: snip.getent("group", "group", a.name) + "\n",
      parse(stdout) {
        const g = parseGroupLine(getentOf(parseRecords(stdout), "group"));
        return g ? { group: g } : {};
      },
    };
  },

  diff(s, a) {
    const want = a.state ?? "present";
    if (a.local) localPreconditions(s, a);
    if (want === "absent") {
      return s.group ? [{ field: "state", summary: `group ${a.name} present → absent`, before: "present", after: "absent", data: { op: "delete" } }] : [];
    }
    if (!s.group) {
      return [
        {
          field: "state",
          summary: `group ${a.name} absent → present${a.gid !== undefined ? ` (gid ${a.gid})` : ""}`,
          before: "absent",
          after: "present",
          data: { op: "create" },
        },
      ];
    }
    const out: Change<GroupOp>[] = [];
    if (a.gid !== undefined && s.group.gid !== a.gid) {
      out.push({ field: "gid", summary: `gid ${s.group.gid} → ${a.gid}`, before: s.group.gid, after: a.gid, data: { op: "gid", gid: a.gid } });
    }
    return out;
  },

  explain(s, a) {
    return s.group ? `group ${a.name} exists with gid ${s.group.gid}` : `group ${a.name} is absent`;
  },

  // ansible.builtin.group's register keys: name and state; gid and system (the argument, as Ansible
  // returns it) when the group exists after the task. In check mode a group to create or delete
  // gives only `changed`, as Ansible's module exits early.
  result(s, a, _facts, mode) {
    return groupResult(s.group, a, mode?.check === true);
  },

  async apply(host, a, changes) {
    await applyOps(host, a, changes);
    if ((a.state ?? "present") === "absent") return;
    // the gid the group has now: the one asked for, else what groupadd picked (one getent)
    const gid = a.gid ?? (await readGid(host, a.name));
    return { data: groupResult(gid !== undefined ? { name: a.name, gid, members: [] } : undefined, a, false) };
  },
});

/** The register keys (pure): `g` is the group as it is (probed; or after apply), undefined when absent. */
export function groupResult(g: GroupEntry | undefined, a: GroupArgs, check: boolean): Record<string, unknown> {
  const want = a.state ?? "present";
  if (check && (want === "absent") === (g !== undefined)) return {};
  const out: Record<string, unknown> = { name: a.name, state: want };
  if (g && want === "present") Object.assign(out, { system: a.system ?? false, gid: g.gid });
  return out;
}

async function readGid(host: Host, name: string): Promise<number | undefined> {
  const r = await host.run(`getent group ${shq(name)}`, { check: false });
  return parseGroupLine(r.stdout.trim() || undefined)?.gid;
}

async function applyOps(host: Host, a: GroupArgs, changes: Change<GroupOp>[]): Promise<void> {
  for (const { data: op } of changes) {
    if (!op) continue;
    const l = a.local ? "l" : "";
    if (op.op === "delete") await host.run(shJoin([`${l}groupdel`, ...(a.force ? ["-f"] : []), a.name]));
    else if (op.op === "create") {
      const cmd = [`${l}groupadd`];
      if (a.gid !== undefined) cmd.push("-g", String(a.gid), ...(a.non_unique ? ["-o"] : []));
      if (a.system) cmd.push("-r");
      // Ansible's group_add: -K GID_MIN= / GID_MAX= after the other options
      if (a.gid_min !== undefined) cmd.push("-K", `GID_MIN=${a.gid_min}`);
      if (a.gid_max !== undefined) cmd.push("-K", `GID_MAX=${a.gid_max}`);
      cmd.push(a.name);
      await host.run(shJoin(cmd));
    } else await host.run(shJoin([`${l}groupmod`, "-g", String(op.gid), ...(a.non_unique ? ["-o"] : []), a.name]));
  }
}

/**
 * Ansible's checks with local: true, in its order: /etc/group must exist; the libuser command the
 * module would run must be on the host (lgroupdel to remove, lgroupadd to create, lgroupmod for an
 * existing group, changed or not: Ansible's group_mod looks it up first); a gid another group has
 * fails (non_unique or not), before adding or modifying.
 */
function localPreconditions(s: GroupState, a: GroupArgs): void {
  if (s.noGroupFile) throw new ModuleError("'local: true' specified but unable to find local group file /etc/group to parse.");
  const want = a.state ?? "present";
  if (want === "absent" && !s.group) return;
  const cmd = want === "absent" ? "lgroupdel" : s.group ? "lgroupmod" : "lgroupadd";
  if (!(s.lcmds ?? []).includes(cmd))
    throw new ModuleError(`local: true needs ${cmd} (libuser), which is not on the host: Failed to find required executable "${cmd}"`);
  if (want === "present" && s.gidTakenBy) throw new ModuleError(`GID '${a.gid}' already exists with group '${s.gidTakenBy}'`);
}
