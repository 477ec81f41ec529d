// Shared parts of system.command and system.shell: the creates/removes probe, the diff, and apply.
//
// Failure contract: apply does NOT throw on a non-zero exit code. It returns { rc, stdout, stderr,
// msg: "non-zero return code" } and the runner marks the task failed when rc != 0, unless the task's
// failed_when decides otherwise (failed_when replaces the rc rule, as in Ansible). changed_when is
// also the runner's: the module always reports a command that ran as one change.
import type { ApplyResult, Change, Footprint, Host, Probe } from "../../engine/core/module.js";
import { shq } from "../../engine/core/shell.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";

export interface ExecArgs {
  cmd?: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
}

export interface ExecState {
  /** Whether `creates` matched an existing path (undefined when not given). */
  creates?: boolean;
  /** Whether `removes` matched an existing path (undefined when not given). */
  removes?: boolean;
}

/** Shared schema properties of command and shell. */
export const EXEC_PROPS = {
  chdir: { type: "string", description: "Change into this directory before running the command." },
  creates: {
    type: "string",
    description: "A path (glob allowed); when it exists the command is not run. Relative paths are relative to chdir.",
  },
  removes: {
    type: "string",
    description: "A path (glob allowed); when it does not exist the command is not run. Relative paths are relative to chdir.",
  },
  stdin: { type: "string", description: "Text written to the command's standard input." },
  stdin_add_newline: { type: "boolean", default: true, description: "Add a newline to the end of `stdin`." },
  strip_empty_ends: {
    type: "boolean",
    default: true,
    description: "Remove trailing newlines from stdout and stderr in the result.",
  },
} as const;

export { splitArgs } from "../../engine/core/shell.js";

/** Words sh would read as syntax in command position; quoting them makes them plain words. */
const RESERVED = new Set(["!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until", "while"]);

/** argv → sh text that runs exactly that program with those arguments, with no shell features. */
export function argvToShell(argv: string[]): string {
  return argv
    .map((w, i) => {
      const q = shq(w);
      // A first word like FOO=bar would be an assignment and `if` a keyword: force quotes.
      if (i === 0 && q === w && (RESERVED.has(w) || w.includes("="))) return `'${w}'`;
      return q;
    })
    .join(" ");
}

/** A path as a sh word that keeps glob characters active and quotes everything else. */
export function globWord(path: string): string {
  const parts = path.split(/([*?[\]])/).filter((p) => p !== "");
  return parts.map((p) => (/^[*?[\]]$/.test(p) ? p : shq(p))).join("");
}

function resolvePath(p: string, chdir: string | undefined): string {
  return chdir && !p.startsWith("/") ? `${chdir.replace(/\/+$/, "")}/${p}` : p;
}

/**
 * What a command reads (the folders its creates/removes globs look in) and writes: anything, so
 * every later probe is read again after it. `firstOnly`: it may start a pipelined batch but never
 * joins one after another apply (it may reboot the host or cut the link; engine/core/module.ts).
 */
export function execFootprint(a: ExecArgs): Footprint {
  const reads: string[] = [];
  for (const p of [a.creates, a.removes]) {
    if (p === undefined) continue;
    const full = resolvePath(p, a.chdir);
    // the literal folder above the first glob character: a new match appears below it
    const lit = full.slice(0, full.search(/[*?[]/) < 0 ? full.length : full.search(/[*?[]/));
    const dir = /[*?[]/.test(full) ? lit.slice(0, lit.lastIndexOf("/") + 1) : full;
    reads.push(dir.startsWith("/") ? `file:${dir.replace(/\/+$/, "") || "/"}` : "*");
  }
  return { reads, writes: ["*"], firstOnly: true };
}

export function execProbe(a: ExecArgs): Probe<ExecState> {
  const lines: string[] = [];
  for (const which of ["creates", "removes"] as const) {
    const p = a[which];
    if (p === undefined) continue;
    // The glob is expanded by the host's shell: found=1 when any match exists (or is a link).
    lines.push(
      `_kx=0; for _ky in ${globWord(resolvePath(p, a.chdir))}; do if [ -e "$_ky" ] || [ -L "$_ky" ]; then _kx=1; break; fi; done`,
      snip.begin("glob", which),
      snip.field("found", '"$_kx"'),
    );
  }
  if (!lines.length) lines.push(": no creates/removes to test");
  return {
    script: lines.join("\n") + "\n",
    parse(stdout) {
      const recs = parseRecords(stdout);
      const s: ExecState = {};
      const c = findRec(recs, "glob", "creates");
      if (c) s.creates = c.get("found") === "1";
      const r = findRec(recs, "glob", "removes");
      if (r) s.removes = r.get("found") === "1";
      return s;
    },
  };
}

/** `display` is the command as the user wrote it. */
export function execDiff(s: ExecState, a: ExecArgs, display: string): Change[] {
  if (a.creates !== undefined && s.creates) return [];
  if (a.removes !== undefined && s.removes === false) return [];
  const guarded = a.creates !== undefined || a.removes !== undefined;
  return [{ field: "command", summary: `run: ${display}`, after: display, ...(guarded ? {} : { unknown: true }) }];
}

export function execExplain(s: ExecState, a: ExecArgs): string {
  if (a.creates !== undefined && s.creates) return `skipped, ${a.creates} exists`;
  if (a.removes !== undefined && s.removes === false) return `skipped, ${a.removes} does not exist`;
  return "the command would run";
}

/** Ansible's start/end: "%Y-%m-%d %H:%M:%S.%f" in local time (keel's clock: the controller's). */
export function ansibleTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** Ansible's delta, str(timedelta): "H:MM:SS.ffffff". */
export function ansibleDelta(ms: number): string {
  const us = Math.max(0, Math.round(ms * 1000));
  const sec = Math.floor(us / 1e6);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${Math.floor(sec / 3600)}:${p(Math.floor(sec / 60) % 60)}:${p(sec % 60)}.${p(us % 1e6, 6)}`;
}

/**
 * Runs sh text on the host; never throws on a non-zero exit (see the header). `cmd` is the
 * registered cmd as ansible-core 2.14 returns it: the argv list for command, the text for shell.
 */
export async function execApply(host: Host, a: ExecArgs, text: string, display: string, cmd: string | string[] = display): Promise<ApplyResult> {
  const start = new Date();
  const stdin = a.stdin === undefined ? undefined : a.stdin + (a.stdin_add_newline === false ? "" : "\n");
  const r = await host.run(text, {
    check: false,
    ...(a.chdir !== undefined ? { cwd: a.chdir } : {}),
    ...(stdin !== undefined ? { stdin } : {}),
  });
  const end = new Date();
  const strip = a.strip_empty_ends !== false;
  const stdout = strip ? r.stdout.replace(/[\r\n]+$/, "") : r.stdout;
  const stderr = strip ? r.stderr.replace(/[\r\n]+$/, "") : r.stderr;
  return {
    rc: r.rc,
    stdout,
    stderr,
    msg: r.rc !== 0 ? "non-zero return code" : "",
    data: {
      cmd,
      start: ansibleTime(start),
      end: ansibleTime(end),
      delta: ansibleDelta(end.getTime() - start.getTime()),
      stdout_lines: stdout === "" ? [] : stdout.split("\n"),
      stderr_lines: stderr === "" ? [] : stderr.split("\n"),
    },
  };
}

/** "command: ls -l" with long commands shortened for reports. */
export function execResource(kind: string, display: string): string {
  const one = display.replace(/\s+/g, " ").trim();
  return `${kind}: ${one.length > 80 ? `${one.slice(0, 79)}…` : one}`;
}
