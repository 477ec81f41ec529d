// users.group: a local group exists (or not) with the given gid. Ansible twin: ansible.builtin.group.
import { defineModule, type Change } from "../../engine/core/module.js";
import { shJoin } from "../../engine/core/shell.js";
import { parseRecords } from "../../engine/core/record.js";
import { getentOf, snip } from "../../engine/core/snippets.js";
import { parseGroupLine, type GroupEntry } from "./common.js";

export interface GroupArgs {
  name: string;
  gid?: number;
  non_unique?: boolean;
  system?: boolean;
  state?: "present" | "absent";
}

export interface GroupState {
  group?: GroupEntry;
}

/** What apply does for one change: the plan diff made, typed (the compiler ties diff to apply). */
export type GroupOp = { op: "create" } | { op: "delete" } | { op: "gid"; gid: number };

export default defineModule<GroupArgs, GroupState, GroupOp>({
  name: "users.group",
  aliases: ["group"],
  refusedArgs: { local: "the lgroupadd family (libuser) is not implemented; keel uses groupadd/groupmod/groupdel" },
  description: "Ensure a local group exists (or not) with the given gid, through groupadd/groupmod/groupdel.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, pattern: "^[^:\\s,]+$", description: "Name of the group." },
      gid: { type: "integer", minimum: 0, description: "Numeric group id. Changed with groupmod -g when it differs." },
      non_unique: { type: "boolean", default: false, description: "With gid: allow a gid another group already has (groupadd/groupmod -o)." },
      system: {
        type: "boolean",
        default: false,
        description: "Create a system group (groupadd -r). Only used when the group is created.",
      },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the group should exist." },
    },
  },

  resource: (a) => `group ${a.name}`,
  footprint: () => ({ reads: ["accounts"], writes: ["accounts"] }),

  probe(a) {
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

  async apply(host, a, changes) {
    for (const { data: op } of changes) {
      if (!op) continue;
      if (op.op === "delete") await host.run(shJoin(["groupdel", a.name]));
      else if (op.op === "create") {
        const cmd = ["groupadd"];
        if (a.gid !== undefined) cmd.push("-g", String(a.gid), ...(a.non_unique ? ["-o"] : []));
        if (a.system) cmd.push("-r");
        cmd.push(a.name);
        await host.run(shJoin(cmd));
      } else await host.run(shJoin(["groupmod", "-g", String(op.gid), ...(a.non_unique ? ["-o"] : []), a.name]));
    }
  },
});
