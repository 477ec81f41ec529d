// hardening.mount_options: the RUNNING mount of a path (/tmp, /dev/shm…) is a separate file system
// mounted with the required options (nodev, nosuid, noexec), as CIS audits it (`findmnt -kn /tmp`:
// the kernel's mount table, not fstab). The fstab entry that makes it persist is a separate task
// (lineinfile on /etc/fstab, evidence file:line); this module judges and fixes the live state:
// not mounted → mount it from fstab (as boot would); mounted without an option → remount with it.
import { ModuleError } from "../../engine/core/errors.js";
import { defineModule, type Change } from "../../engine/core/module.js";
import { parseRecords } from "../../engine/core/record.js";
import { shq } from "../../engine/core/shell.js";
import { cmdOf, snip } from "../../engine/core/snippets.js";

export interface MountOptionsArgs {
  path: string;
  options?: string[];
}

export interface LiveMountOpts {
  fstype: string;
  options: string[];
}

export interface MountOptionsState {
  /** The mount at path now (the last one stacked there); undefined when path is not a mount point. */
  live?: LiveMountOpts;
}

interface MountOptionsPlan {
  op: "mount" | "remount";
  add?: string[];
}

const DEFAULT_OPTIONS = ["nodev", "nosuid", "noexec"];

/** The command the evidence names; the probe runs exactly this. */
export function findmntCommand(path: string): string {
  return `findmnt -kn -o FSTYPE,OPTIONS --mountpoint ${shq(path)}`;
}

export default defineModule<MountOptionsArgs, MountOptionsState, MountOptionsPlan>({
  name: "hardening.mount_options",
  description:
    "Ensure a path is a separate mount RUNNING with the required options (nodev, nosuid, noexec), as the kernel's mount table shows it (findmnt -kn); mounts it from fstab when it is not mounted, remounts it with the missing options.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["path"],
    properties: {
      path: { type: "string", pattern: "^/[^\\s\\0]*$", description: "The mount point (absolute, no blanks)." },
      options: {
        type: "array",
        items: { type: "string", pattern: "^[a-z0-9_]+$" },
        default: DEFAULT_OPTIONS,
        description: "Options the running mount must carry.",
      },
    },
  },
  resource: (a) => `mount ${a.path}`,
  // A mount over path changes what every path below it holds, not only the mount table.
  footprint: (a) => ({ reads: ["mounts"], writes: ["mounts", `file:${a.path}`] }),
  probe: (a) => ({
    script: snip.cmd("findmnt", findmntCommand(a.path)),
    parse(stdout) {
      const c = cmdOf(parseRecords(stdout), "findmnt");
      if (!c) throw new ModuleError("findmnt did not run");
      // findmnt exits 1 with no output when path is not a mount point; anything else is an error.
      if (c.rc === 1 && !c.out.trim()) return {};
      if (c.rc !== 0) throw new ModuleError(`${findmntCommand(a.path)} failed (rc ${c.rc}): ${c.err.trim() || "no message"}`);
      const last = c.out.trim().split("\n").pop()!.trim();
      const [fstype = "", opts = ""] = last.split(/\s+/);
      return { live: { fstype, options: opts.split(",").filter(Boolean) } };
    },
  }),
  diff(st, a) {
    const want = a.options ?? DEFAULT_OPTIONS;
    const source = findmntCommand(a.path);
    if (!st.live)
      return [
        {
          summary: `${a.path} is not a separate mount (${source} shows none); to mount it from fstab`,
          field: "mounted",
          before: "not a separate mount",
          after: `mounted ${want.join(",")}`,
          source,
          data: { op: "mount" },
        } satisfies Change<MountOptionsPlan>,
      ];
    const missing = want.filter((o) => !st.live!.options.includes(o));
    if (!missing.length) return [];
    return [
      {
        summary: `${a.path} is mounted (${st.live.fstype}) without ${missing.join(",")}; to remount with them`,
        field: "options",
        before: st.live.options.join(","),
        after: `${want.join(",")} included`,
        source,
        data: { op: "remount", add: missing },
      },
    ];
  },
  explain: (st, a) => `${a.path} is mounted (${st.live?.fstype}) with ${(a.options ?? DEFAULT_OPTIONS).join(",")} (${findmntCommand(a.path)})`,
  async apply(host, a, changes) {
    const plan = changes[0]?.data;
    if (!plan) return;
    // Mounting goes through fstab (the task before this one writes the entry), as boot does.
    if (plan.op === "mount") await host.run(`mount -- ${shq(a.path)}`);
    else await host.run(`mount -o ${shq(["remount", ...(plan.add ?? [])].join(","))} -- ${shq(a.path)}`);
  },
});
