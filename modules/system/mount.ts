// system.mount — ansible.posix.mount: a file system's fstab entry and its live mount, two facets
// judged apart:
//   - fstab: the entry for `path` (Ansible's set_mount/unset_mount, line for line: a matching
//     line whose src/fstype/opts/dump/passno differ is rewritten as "src path fstype opts dump
//     passno", space separated, with \040-style escapes; comments and other lines stay);
//   - live: whether `path` is a mount point now (/proc/self/mountinfo of the host).
// States: present (fstab only), mounted (fstab, the mount point directory, and mounted; a changed
// entry of a mounted file system is remounted), unmounted (live only), absent (when the entry was
// there: entry removed, unmounted, mount point directory removed; a mount without an entry is left
// alone, as Ansible leaves it), absent_from_fstab (the entry only), remounted (`mount -o remount`,
// changed every run), ephemeral (mounted now with src/fstype/opts, fstab untouched; an existing mount
// of the same src is remounted, changed every run; of another src, a failure).
// Mounting goes through fstab (`mount [-T FSTAB] PATH`), as Ansible does, except ephemeral.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { fileOf, outLines, snip, statOf } from "../../engine/core/snippets.js";
import { shJoin, shq } from "../../engine/core/shell.js";

export interface MountArgs {
  path?: string;
  name?: string;
  src?: string;
  fstype?: string;
  opts?: string;
  dump?: string | number;
  passno?: string | number;
  state: "mounted" | "unmounted" | "present" | "absent" | "absent_from_fstab" | "remounted" | "ephemeral";
  fstab?: string;
  boot?: boolean;
  backup?: boolean;
}

export interface LiveMount {
  src: string;
  fstype: string;
  opts: string;
}

export interface MountState {
  /** fstab's text; undefined when the file does not exist. */
  fstab?: string;
  /** The mount at path now (the last one stacked there), or undefined. */
  live?: LiveMount;
  /** What path is on the host (absent, directory, file…). */
  pathType: "absent" | "directory" | "file" | "link" | "other";
}

interface MountPlan {
  fstab?: string;
  op?: "mount" | "remount" | "umount" | "ephemeral";
  rmdir?: boolean;
  mkdir?: boolean;
}

export default defineModule<MountArgs, MountState, MountPlan>({
  name: "system.mount",
  aliases: ["mount", "ansible.posix.mount"],
  description:
    "Ensure a file system's /etc/fstab entry (present/absent) and live mount (mounted/unmounted), judged as two facets, or remount it; as ansible.posix.mount.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["state"],
    anyOf: [{ required: ["path"] }, { required: ["name"] }],
    properties: {
      path: { type: "string", pattern: "^(/|none$)", description: "The mount point (absolute), or none for a swap entry, as fstab writes it." },
      name: { type: "string", pattern: "^(/|none$)", description: "Alias of path." },
      src: { type: "string", minLength: 1, description: "The device, UUID=…, LABEL=…, host:/export or tmpfs source. Required for present and mounted." },
      fstype: {
        type: "string",
        minLength: 1,
        pattern: "^\\S+$",
        description: "The file system type (ext4, xfs, nfs, tmpfs…). Required for present and mounted.",
      },
      opts: { type: "string", pattern: "^\\S+$", description: "Mount options, comma separated. Default defaults." },
      dump: { type: ["string", "integer"], description: "fstab's dump field. Default 0." },
      passno: { type: ["string", "integer"], description: "fstab's pass number. Default 0." },
      state: {
        enum: ["mounted", "unmounted", "present", "absent", "absent_from_fstab", "remounted", "ephemeral"],
        description:
          "present: the fstab entry only. mounted: the entry, and mounted now (the mount point is created; a changed entry is remounted). unmounted: not mounted now (fstab untouched). absent: when fstab has the entry, it is removed, the file system unmounted and the mount point directory removed (as Ansible: a mount without an entry is left alone). absent_from_fstab: the entry only. remounted: remount now (changed every run). ephemeral: mounted now with src, fstype and opts, fstab untouched; already mounted from the same src: remounted (changed every run); from another src: a failure.",
      },
      fstab: { type: "string", pattern: "^/", default: "/etc/fstab", description: "The fstab file. Default /etc/fstab." },
      boot: { type: "boolean", default: true, description: "false adds noauto to opts: not mounted at boot." },
      backup: { type: "boolean", default: false, description: "Keep a timestamped copy of fstab before changing it." },
    },
  },
  resource: (a) => `mount ${mpath(a)}`,

  validate(a) {
    refuseLineBreaksIn(a, ["path", "name", "src", "fstab"], "fstab");
    if ((a.state === "present" || a.state === "mounted" || a.state === "ephemeral") && (!a.src || !a.fstype)) {
      throw new ArgError(a.src ? "fstype" : "src", `state=${a.state} needs src and fstype`, "add src: DEVICE and fstype: TYPE");
    }
    for (const k of ["dump", "passno"] as const)
      if (a[k] !== undefined && !/^[0-9]+$/.test(String(a[k]))) throw new ArgError(k, `${k} must be a number`, `${k}: 0`);
  },

  probe(a) {
    const p = mpath(a);
    return {
      script: [
        snip.readFile("fstab", fstabPath(a)),
        snip.stat("path", p),
        // The mountinfo lines of this mount point (field 5, octal-escaped as in fstab).
        snip.out("mounts", `awk -v p=${shq(escapeField(p).replace(/\\/g, "\\\\"))} '$5 == p' /proc/self/mountinfo`),
      ].join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const f = fileOf(recs, "fstab");
        if (f.exists && f.type !== "file") throw new ModuleError(`${fstabPath(a)} is not a regular file`);
        if (f.exists && f.content === undefined) throw new ModuleError(`cannot read ${fstabPath(a)} (try become: true)`);
        const st: MountState = { pathType: statOf(recs, "path")?.type ?? "absent" };
        if (f.exists) st.fstab = f.content!.toString("utf8");
        const mounts = outLines(recs, "mounts")
          .map(parseMountinfo)
          .filter((m): m is LiveMount => !!m);
        if (mounts.length) st.live = mounts[mounts.length - 1];
        return st;
      },
    };
  },

  diff(st, a) {
    const p = mpath(a);
    const fpath = fstabPath(a);
    const out: Change<MountPlan>[] = [];
    const live = st.live ? `mounted (${st.live.src}, ${st.live.fstype}, ${st.live.opts})` : "not mounted";
    const fstabChange = (text: string, what: string) =>
      out.push({ summary: `${fpath}: ${what}`, field: "fstab", diff: { path: fpath, before: st.fstab ?? "", after: text }, data: { fstab: text } });
    if (a.state === "present" || a.state === "mounted") {
      const r = setMount(st.fstab ?? "", a);
      if (r.changed || st.fstab === undefined) fstabChange(r.text, r.what);
      if (a.state === "mounted") {
        if (st.pathType !== "absent" && st.pathType !== "directory" && !st.live) throw new ModuleError(`mount point ${p} exists and is not a directory`);
        if (!st.live)
          out.push({
            summary: `${p} not mounted, to mount (${a.src}, ${a.fstype})`,
            field: "mounted",
            before: "not mounted",
            after: "mounted",
            data: { op: "mount", mkdir: st.pathType === "absent" },
          });
        else if (r.changed)
          out.push({ summary: `${p} mounted, to remount with the new entry`, field: "mounted", before: live, after: "remounted", data: { op: "remount" } });
      }
    } else if (a.state === "unmounted") {
      if (st.live) out.push({ summary: `${p} ${live}, to unmount`, field: "mounted", before: live, after: "not mounted", data: { op: "umount" } });
    } else if (a.state === "absent" || a.state === "absent_from_fstab") {
      // Ansible unmounts and removes the mount point only when it removed the fstab entry
      const r = unsetMount(st.fstab ?? "", p);
      if (r.changed && a.state === "absent" && st.live)
        out.push({ summary: `${p} ${live}, to unmount`, field: "mounted", before: live, after: "not mounted", data: { op: "umount" } });
      if (r.changed) fstabChange(r.text, `remove the entry for ${p}`);
      if (r.changed && a.state === "absent" && st.pathType !== "absent")
        out.push({ summary: `remove the mount point ${p}`, field: "mount_point", before: st.pathType, after: "absent", data: { rmdir: true } });
    } else if (a.state === "ephemeral") {
      if (!st.live)
        out.push({
          summary: `${p} not mounted, to mount (${a.src}, ${a.fstype}) without fstab`,
          field: "mounted",
          before: "not mounted",
          after: "mounted",
          data: { op: "ephemeral", mkdir: st.pathType === "absent" },
        });
      else if (st.live.src === a.src) out.push({ summary: `${p} remount`, field: "mounted", before: live, after: "remounted", data: { op: "remount" } });
      else
        throw new ModuleError(
          'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a "state: unmounted" followed by a "state: ephemeral", or use a different destination path.',
        );
    } else {
      if (!st.live) throw new ModuleError(`${p} is not mounted: cannot remount it`);
      out.push({ summary: `${p} remount`, field: "mounted", before: live, after: "remounted", data: { op: "remount" } });
    }
    return out;
  },

  explain(st, a) {
    const p = mpath(a);
    const live = st.live ? `mounted (${st.live.src}, ${st.live.fstype})` : "not mounted";
    if (a.state === "unmounted") return `${p} is not mounted`;
    if (a.state === "absent" || a.state === "absent_from_fstab") return `${fstabPath(a)} has no entry for ${p}`;
    return `${fstabPath(a)} has the entry for ${p}${a.state === "mounted" ? `; ${live}` : ""}`;
  },

  async apply(host, a, changes, st) {
    const p = mpath(a);
    const fpath = fstabPath(a);
    const T = fpath === "/etc/fstab" ? "" : ` -T ${shq(fpath)}`;
    const data = changes.map((c) => c.data ?? {});
    const umount = data.some((d) => d.op === "umount");
    // Unmount before the entry goes; write the entry before mounting from it.
    if (umount) await host.run(`umount -- ${shq(p)}`);
    const f = data.find((d) => d.fstab !== undefined);
    let backup: string | undefined;
    if (f) backup = (await host.writeFile(fpath, f.fstab!, st.fstab === undefined ? { mode: "0644" } : a.backup ? { backup: true } : {})).backup;
    if (data.some((d) => d.mkdir)) await host.run(`mkdir -p -- ${shq(p)}`);
    if (data.some((d) => d.op === "mount")) await host.run(`mount${T} -- ${shq(p)}`);
    // ephemeral: Ansible's `mount -t FSTYPE [-o OPTS] SRC PATH`, no fstab
    const opts = a.opts && a.opts !== "defaults" ? ["-o", a.opts] : [];
    if (data.some((d) => d.op === "ephemeral")) await host.run(shJoin(["mount", "-t", a.fstype!, ...opts, a.src!, p]));
    // As Ansible: a file system that cannot remount in place is unmounted and mounted again.
    if (data.some((d) => d.op === "remount")) {
      const again = a.state === "ephemeral" ? shJoin(["mount", "-t", a.fstype!, ...opts, a.src!, p]) : `mount${T} -- ${shq(p)}`;
      await host.run(`mount${a.state === "ephemeral" ? "" : T} -o remount -- ${shq(p)} || { umount -- ${shq(p)} && ${again}; }`);
    }
    if (data.some((d) => d.rmdir)) await host.run(`rmdir -- ${shq(p)}`);
    return backup ? { backup_file: backup } : undefined;
  },
});

function mpath(a: MountArgs): string {
  const p = (a.path ?? a.name)!;
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

function fstabPath(a: MountArgs): string {
  return a.fstab ?? "/etc/fstab";
}

/** fstab's (and mountinfo's) escapes, as Ansible's _escape_fstab writes them. */
export function escapeField(v: string): string {
  return v.replace(/\\/g, "\\134").replace(/ /g, "\\040").replace(/\t/g, "\\011").replace(/\n/g, "\\012");
}

function unescape(v: string): string {
  return v.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** One /proc/self/mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS". */
export function parseMountinfo(line: string): LiveMount | undefined {
  const f = line.trim().split(" ");
  const dash = f.indexOf("-", 6);
  if (dash < 0 || f.length < dash + 3) return undefined;
  return { src: unescape(f[dash + 2]!), fstype: f[dash + 1]!, opts: f[5]! };
}

interface Entry {
  src: string;
  name: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

function wanted(a: MountArgs): Entry {
  let opts = a.opts ?? "defaults";
  if (a.boot === false && !opts.split(",").includes("noauto")) opts = `${opts},noauto`;
  return { src: escapeField(a.src!), name: escapeField(mpath(a)), fstype: a.fstype!, opts, dump: String(a.dump ?? "0"), passno: String(a.passno ?? "0") };
}

const line = (e: Entry) => `${e.src} ${e.name} ${e.fstype} ${e.opts} ${e.dump} ${e.passno}\n`;

/** Parse an fstab line Ansible would consider (4 to 6 fields, not a comment); undefined otherwise. */
function parseLine(l: string): Entry | undefined {
  if (!l.trim() || l.trim().startsWith("#")) return undefined;
  const f = l.trim().split(/\s+/);
  if (f.length < 4 || f.length > 6) return undefined;
  return { src: f[0]!, name: f[1]!, fstype: f[2]!, opts: f[3]!, dump: f[4] ?? "0", passno: f[5] ?? "0" };
}

function splitLines(text: string): string[] {
  return text === "" ? [] : text.split(/(?<=\n)/);
}

/** Pure: Ansible's set_mount. Every entry for the path (swap: for the src) gets the wanted fields. */
export function setMount(text: string, a: MountArgs): { text: string; changed: boolean; what: string } {
  const want = wanted(a);
  const out: string[] = [];
  let exists = false;
  let changed = false;
  let what = "";
  for (const l of splitLines(text)) {
    const ld = parseLine(l);
    if (!ld || ld.name !== want.name || (ld.name === "none" && ld.fstype === "swap" && ld.src !== want.src)) {
      out.push(l);
      continue;
    }
    exists = true;
    const diffs = (["src", "fstype", "opts", "dump", "passno"] as const).filter((k) => ld[k] !== want[k]);
    if (diffs.length) {
      changed = true;
      what = `entry for ${a.path ?? a.name}: ${diffs.map((k) => `${k} ${ld[k]} → ${want[k]}`).join(", ")}`;
      out.push(line({ ...ld, ...Object.fromEntries(diffs.map((k) => [k, want[k]])) }));
    } else out.push(l);
  }
  if (!exists) {
    if (out.length && !out[out.length - 1]!.endsWith("\n")) out.push("\n");
    out.push(line(want));
    changed = true;
    what = `add ${line(want).trimEnd()}`;
  }
  return { text: out.join(""), changed, what: what || "create the file" };
}

/** Pure: Ansible's unset_mount: drop every entry for the path. */
export function unsetMount(text: string, path: string): { text: string; changed: boolean } {
  const name = escapeField(path);
  const keep = splitLines(text).filter((l) => parseLine(l)?.name !== name);
  const t = keep.join("");
  return { text: t, changed: t !== text };
}
