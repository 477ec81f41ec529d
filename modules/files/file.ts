// files.file — Ansible's `file`: a path's kind (file, directory, symlink, absent) and its mode,
// owner and group, optionally through a whole directory tree.
import { snip, statOf } from "../../engine/core/snippets.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { defineModule, folderEntries, type Change, type Host } from "../../engine/core/module.js";
import { fileResult, readPathInfo, statPathInfo } from "./pathinfo.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { TIME_SCHEMAS, parseTimes, timeChanges, timeSpecs, timesScript, wantsTimes } from "../../engine/core/filetimes.js";
import { shq } from "../../engine/core/shell.js";
import {
  FS_ATTR_SCHEMAS,
  UNSAFE_WRITES_SCHEMA,
  GROUP_SCHEMA,
  MODE_SCHEMA,
  OWNER_SCHEMA,
  attrChanges,
  attrCommands,
  attrExplain,
  attrOps,
  newAttrOps,
  parseMode,
  parseFileStat,
  runAll,
  shPath,
  fileProbeScript,
  validateFsAttrs,
  wantsFsAttrs,
  withFsNote,
  type FileStat,
} from "./common.js";

import { hardChanges, hardlinkCommand, hardProbe, parseHard } from "./file-hard.js";
import { attrLink, follows, linkChanges, linkOwnChanges, missing, recursive, treeChanges, type FileArgs, type FileOp, type FileState } from "./file-plan.js";

export type { FileArgs, FileOp, FileState } from "./file-plan.js";

export default defineModule<FileArgs, FileState, FileOp>({
  name: "files.file",
  aliases: ["file"],
  description:
    "Ensure a path is a file, a directory, a symlink, a hard link or absent, with the given mode, owner and group (recursively for directories with recurse).",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "Path to manage on the host." },
      dest: { type: "string", minLength: 1, description: "Alias of path." },
      name: { type: "string", minLength: 1, description: "Alias of path." },
      state: {
        type: "string",
        enum: ["file", "directory", "link", "absent", "touch", "hard"],
        description:
          "file: an existing file (never created; use touch or files.copy); directory: created with parents if missing; link: a symlink to src; absent: removed (directories recursively); touch: created empty if missing; its times are set to now (a change on every run, as Ansible) unless modification_time and access_time say preserve. hard: a hard link to src (an absolute path that exists; a file or another hard link at the path is replaced only with force). Default: the path's current kind, or file (directory with recurse).",
      },
      mode: MODE_SCHEMA,
      owner: OWNER_SCHEMA,
      group: GROUP_SCHEMA,
      ...FS_ATTR_SCHEMAS,
      unsafe_writes: UNSAFE_WRITES_SCHEMA,
      ...TIME_SCHEMAS,
      recurse: {
        type: "boolean",
        default: false,
        description: "With state=directory: apply mode, owner and group to everything below the directory too. Default false.",
      },
      src: {
        type: "string",
        minLength: 1,
        description: "state=link: the link's target (relative targets are relative to the link's directory). state=hard: the file to link to (absolute).",
      },
      force: {
        type: "boolean",
        default: false,
        description:
          "state=link: replace an existing file or empty directory with the link, and allow a link to a target that does not exist. state=hard: replace a file or another hard link at the path. Default false.",
      },
      follow: {
        type: "boolean",
        default: true,
        description:
          "When the path is a symlink, apply mode, owner and group to what it points to (state=link: to src), as Ansible does. false: state=file and state=directory refuse a symlink, and owner/group apply to the link itself. Default true.",
      },
    },
    anyOf: [{ required: ["path"] }, { required: ["dest"] }, { required: ["name"] }],
  },
  resource: (a) => `file ${pathOf(a)}`,
  // a link's probe also reads its target (relative to the link's folder)
  footprint: (a) => {
    const path = pathOf(a);
    const src = a.src === undefined ? [] : [`file:${a.src.startsWith("/") ? a.src : `${path.replace(/\/[^/]*$/, "")}/${a.src}`}`];
    // state: directory creates the missing parents (and the probe checks them)
    return {
      reads: [`file:${path}`, ...folderEntries(path), ...src, "accounts"],
      writes: [`file:${path}`, ...(a.state === "directory" ? folderEntries(path) : [])],
    };
  },

  validate: check,

  probe(args) {
    const path = pathOf(args);
    const tree = args.recurse === true && (args.mode !== undefined || args.owner !== undefined || args.group !== undefined);
    let script = fileProbeScript(path, { tree, fs: args });
    if (args.state !== "absent" && args.state !== "link" && wantsTimes(args)) script += timesScript(args) + "\n";
    if (args.state === "directory" || args.recurse === true) {
      // The nearest existing ancestor: every directory below it is created by this task and gets
      // its mode, owner and group, as Ansible's file module does for each directory it creates.
      script +=
        [
          `_ka=${shq(path)}`,
          `while [ "$_ka" != / ] && [ "$_ka" != . ] && [ ! -e "$_ka" ] && [ ! -L "$_ka" ]; do _ka=$(dirname -- "$_ka"); done`,
          snip.begin("anc"),
          snip.field("path", '"$_ka"'),
        ].join("\n") + "\n";
    }
    if (args.state === "link") {
      // Whether the link target exists, seen from the link's directory as the kernel will resolve it.
      script +=
        [`if ( cd "$_kd" 2>/dev/null && [ -e ${shq(args.src!)} ] ); then _kx=1; else _kx=0; fi`, snip.begin("linksrc"), snip.field("exists", '"$_kx"')].join(
          "\n",
        ) + "\n";
      if (follows(args) && hasAttrs(args)) {
        // follow: mode, owner and group apply to what the link points to once it is in place.
        script += `case ${shq(args.src!)} in /*) _kt=${shq(args.src!)} ;; *) _kt="$_kd"/${shq(args.src!)} ;; esac\n`;
        script += snip.stat("srcstat", { sh: '"$_kt"' }, { follow: true }) + "\n";
      }
    }
    if (args.state === "hard") {
      script += hardProbe(path, args.src!) + "\n";
      if (hasAttrs(args)) script += snip.stat("srcstat", args.src!, { follow: true }) + "\n";
    }
    return {
      script,
      parse(stdout) {
        const st: FileState = parseFileStat(stdout, path);
        const hard = args.state === "hard" ? parseHard(stdout) : undefined;
        if (hard) st.hard = hard;
        const anc = findRec(parseRecords(stdout), "anc")?.get("path");
        if (anc !== undefined) st.ancestor = anc;
        if (args.state === "link") st.srcExists = findRec(parseRecords(stdout), "linksrc")?.get("exists") === "1";
        const times = parseTimes(parseRecords(stdout));
        if (times) st.times = times;
        const src = statOf(parseRecords(stdout), "srcstat");
        if (src) {
          st.srcStat = { path: args.src!, type: src.type === "file" || src.type === "directory" ? src.type : "other", parentExists: true };
          Object.assign(st.srcStat, { mode: src.mode, uid: src.uid, gid: src.gid, owner: src.owner, group: src.group });
        }
        return st;
      },
    };
  },

  diff(st, args) {
    const path = pathOf(args);
    const want = wantedState(st, args);
    const kindNow = st.link !== undefined ? "link" : st.type;
    // No state on a symlink with follow: false is Ansible's state=link without src: the link's own attributes.
    if (args.state === undefined && st.link !== undefined && !follows(args)) return linkOwnChanges(st, args);
    switch (want) {
      case "absent":
        if (st.link === undefined && st.type === "absent") return [];
        return [
          {
            summary: `${kindNow === "directory" ? "directory" : kindNow} ${path} present → absent`,
            field: "state",
            before: kindNow,
            after: "absent",
            data: { op: "remove" },
          },
        ];
      case "file":
        if (st.type === "absent") {
          throw new ModuleError(
            `file ${path} is absent, cannot continue: state: file never creates files (use state: touch, or files.copy to give it content)`,
          );
        }
        if (st.link !== undefined && !follows(args))
          throw new ModuleError(`file (${path}) is link, cannot continue (follow: false; set follow: true to manage its target)`);
        if (st.type === "directory") throw new ModuleError(`${path} is a directory, not a file (use state: directory)`);
        return [...attrChanges(st, args, ""), ...timeChanges(st.times, args)];
      case "touch":
        if (st.link !== undefined && !follows(args)) return linkOwnChanges(st, args);
        if (st.type === "absent") return [missing("file", path, st, args)];
        return [...attrChanges(st, args, ""), ...timeChanges(st.times, args)];
      case "directory":
        if (st.link !== undefined && !follows(args))
          throw new ModuleError(`${path} already exists as a link (follow: false; set follow: true to manage its target)`);
        if (st.type === "absent") return [missing("directory", path, st, args)];
        if (st.type !== "directory")
          throw new ModuleError(`${path} exists but is not a directory (it is a ${kindNow}); remove it first or choose another path`);
        return [...recursive(attrChanges(st, args, ""), args), ...treeChanges(st, args, path), ...timeChanges(st.times, args)];
      case "link":
        return linkChanges(st, args, path);
      case "hard":
        return hardChanges(st, args, path);
    }
  },

  explain: withFsNote((st, args) => {
    const path = pathOf(args);
    const want = wantedState(st, args);
    if (want === "absent") return `${path} is absent`;
    if (want === "hard") return `${path} is a hard link to ${args.src}${attrExplain(st, args).length ? `; ${attrExplain(st, args).join(", ")} match` : ""}`;
    if (want === "link") {
      const attrs = attrLink(st, args);
      return `${path} links to ${st.link}${attrs.length ? ` (${attrs.join(", ")} match)` : ""}`;
    }
    const attrs = attrExplain(st, args);
    if (args.recurse && want === "directory" && st.tree) attrs.push(`the same below it (${st.tree.reduce((n, g) => n + g.count, 0)} entries)`);
    return `${want === "directory" ? "directory" : "file"} ${path} exists${attrs.length ? `; ${attrs.join(", ")} match` : ""}`;
  }),

  // Ansible's register keys (pathinfo.ts): state absent reads the path after removing it (gone), but
  // in check mode it is still there; everything else reads the path as the probe found it.
  result(st, args, _facts, mode) {
    const want = wantedState(st, args);
    if (want === "absent" && !mode?.check) return fileResult(args, want, undefined);
    return fileResult(args, want, statPathInfo(st, want !== "link" && want !== "absent" && follows(args)));
  },

  async apply(host, args, changes, st) {
    await applyPlan(host, args, changes, st);
    const want = wantedState(st, args);
    if (want === "absent") return;
    // the path as apply left it, for the registered result (one stat)
    return { data: fileResult(args, want, await readPathInfo(host, pathOf(args), want !== "link" && follows(args) && st.link !== undefined)) };
  },
});

/** apply's work: the plan diff made, on the host. */
async function applyPlan(host: Host, args: FileArgs, changes: Change<FileOp>[], st: FileState): Promise<void> {
  const path = pathOf(args);
  const plan = changes.flatMap((c) => (c.data ? [c.data] : []));
  const ops = attrOps(changes);
  if (plan.some((p) => p.op === "remove")) {
    await host.run(`rm -rf ${shPath(path)}`);
    return;
  }
  for (const p of plan) {
    // Create, then set exactly the attributes the task names, on every directory created (the
    // missing parents first, top down, then the path), as Ansible does.
    if (p.op === "mkdir") {
      const ops = (d: string) => [...newAttrOps(args, true, { fs: st.fs }), ...(d === p.create[p.create.length - 1] && p.times ? [p.times] : [])];
      await runAll(host, [`mkdir -p ${shPath(path)}`, ...p.create.flatMap((d) => attrCommands(d, ops(d), { isDir: true }))]);
      return;
    }
    if (p.op === "touch") {
      const ops = [...newAttrOps(args, false, { fs: st.fs }), ...(p.times ? [p.times] : [])];
      await runAll(host, [`touch ${shPath(path)}`, ...attrCommands(path, ops, { isDir: false })]);
      return;
    }
  }
  const hard = plan.find((p) => p.op === "hardlink");
  if (wantedState(st, args) === "hard") {
    // the attributes go through the path to the inode (src's once linked)
    await runAll(host, [...(hard ? [hardlinkCommand(path, hard.src, hard.replace)] : []), ...attrCommands(path, ops, { isDir: false })]);
    return;
  }
  const link = plan.find((p) => p.op === "link");
  const want = wantedState(st, args);
  // A symlink's own owner and group (follow: false): chown -h.
  if (st.link !== undefined && !follows(args) && (want === "touch" || args.state === undefined)) {
    await runAll(host, attrCommands(path, ops, { noDeref: true }));
    return;
  }
  if (want === "link") {
    const cmds: string[] = [];
    if (link) {
      if (link.replace === "rmdir") cmds.push(`rmdir ${shPath(path)}`);
      else if (link.replace === "rm") cmds.push(`rm -f ${shPath(path)}`);
      cmds.push(`ln -s ${shq(link.target)} ${shPath(path)}`);
    }
    // follow: chown and chmod go through the link to its target; else chown -h on the link itself.
    const follow = follows(args);
    cmds.push(...attrCommands(path, ops, { noDeref: !follow, isDir: follow && st.srcStat?.type === "directory" }));
    await runAll(host, cmds);
    return;
  }
  const recurse = args.recurse === true && want === "directory";
  await runAll(host, attrCommands(path, ops, { recurse, isDir: st.type === "directory" }));
}

function pathOf(a: FileArgs): string {
  return (a.path ?? a.dest ?? a.name)!;
}

function check(a: FileArgs): void {
  validateFsAttrs(a);
  // the times parse (and refuse a format keel cannot read) before any host is touched
  if ((a.state === "link" || a.state === "hard" || a.recurse) && (a.modification_time ?? "preserve") + (a.access_time ?? "preserve") !== "preservepreserve")
    throw new InputError(
      `modification_time and access_time are not supported with ${a.state === "link" || a.state === "hard" ? `state: ${a.state}` : "recurse"} in keel`,
      undefined,
      "set them in a task of their own on the path",
    );
  timeSpecs(a);
  if (wantsFsAttrs(a) && (a.state === "link" || a.state === "hard" || a.recurse))
    throw new InputError(
      `attributes and SELinux arguments are not supported with ${a.state === "link" || a.state === "hard" ? `state: ${a.state}` : "recurse"} in keel`,
      undefined,
      "set them in a task of their own on the link's target, or on each path",
    );
  if (a.mode !== undefined) parseMode(a.mode);
  if (a.state === "hard" && (a.src === undefined || !a.src.startsWith("/")))
    throw new InputError(
      a.src === undefined ? "state: hard needs src (the file to link to)" : `state: hard needs an absolute src; got ${a.src}`,
      undefined,
      "add src: /path/of/the/existing/file",
    );
  if (a.state === "link" && a.src === undefined)
    throw new InputError("state: link needs src (the link's target)", undefined, "add src: /path/the/link/points/to");
  if (a.src !== undefined && a.state !== "link" && a.state !== "hard")
    throw new InputError("src is only used with state: link or hard", undefined, "add state: link (or hard), or use files.copy to copy a file");
  if (a.recurse && a.state !== undefined && a.state !== "directory") throw new InputError("recurse needs state: directory", undefined, "set state: directory");
}

function wantedState(st: FileStat, a: FileArgs): NonNullable<FileArgs["state"]> {
  if (a.state) return a.state;
  if (a.recurse || st.type === "directory") return "directory";
  return "file";
}

function hasAttrs(a: FileArgs): boolean {
  return a.mode !== undefined || a.owner !== undefined || a.group !== undefined;
}
