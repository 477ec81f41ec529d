// system.cron — Ansible's `cron`: one job (or one environment variable) in a user's crontab or in
// a file of /etc/cron.d, found by its `#Ansible: NAME` marker line exactly as Ansible writes it, so
// a crontab Ansible converged is converged for keel too. The probe sends the crontab's text
// (`crontab -l` or the cron.d file); the edit is the pure function editCron, which follows
// ansible.builtin.cron's find_job/add_job/update_job/remove_job and its env handling line by line.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaks } from "../../engine/core/lines.js";
import { parseRecords } from "../../engine/core/record.js";
import { cmdOf, fileOf, snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";

export interface CronArgs {
  name?: string;
  user?: string;
  job?: string;
  value?: string;
  state?: "present" | "absent";
  cron_file?: string;
  backup?: boolean;
  minute?: string | number;
  hour?: string | number;
  day?: string | number;
  dom?: string | number;
  month?: string | number;
  weekday?: string | number;
  dow?: string | number;
  special_time?: "annually" | "daily" | "hourly" | "monthly" | "reboot" | "weekly" | "yearly";
  disabled?: boolean;
  env?: boolean;
  insertafter?: string;
  insertbefore?: string;
}

export interface CronState {
  /** The crontab's lines (Ansible's `lines`: header lines crontab -l adds are dropped); undefined when none exists. */
  lines?: string[];
  /** The whole text as read, for the diff. */
  text: string;
}

export interface CronPlan {
  /** The new text; undefined: remove the cron.d file (or the empty user crontab stays empty). */
  text?: string;
  removeFile?: boolean;
}

const MARK = "#Ansible: ";
const TIME = { type: ["string", "integer"], description: "" } as const;
const time = (d: string) => ({ ...TIME, description: `${d} Default "*".` });

export default defineModule<CronArgs, CronState, CronPlan>({
  name: "system.cron",
  aliases: ["cron"],
  description:
    "Ensure a cron job (or an environment variable) is in a user's crontab or an /etc/cron.d file, marked `#Ansible: NAME` as Ansible marks it, or absent.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      name: { type: "string", minLength: 1, description: "The job's name: the marker line `#Ansible: NAME` above it. With env, the variable's name." },
      user: {
        type: "string",
        pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$",
        description: "Whose crontab (crontab -u USER); with cron_file, the user the job runs as (required then for state=present).",
      },
      job: { type: "string", description: "The command to run (or the variable's value with env). Required for state=present." },
      value: { type: "string", description: "Alias of job." },
      state: { enum: ["present", "absent"], default: "present", description: "present (default) or absent." },
      cron_file: {
        type: "string",
        minLength: 1,
        pattern: "^[^\\0]+$",
        description: "A file in /etc/cron.d (a relative name) or an absolute path, instead of the user's crontab. state=absent without name removes the file.",
      },
      backup: { type: "boolean", default: false, description: "Keep a copy of the crontab before changing it (cron_file only: a timestamped copy beside it)." },
      minute: time("Minute (0-59, */5, …)."),
      hour: time("Hour (0-23, …)."),
      day: time("Day of month (1-31, …)."),
      dom: time("Alias of day."),
      month: time("Month (1-12, …)."),
      weekday: time("Day of week (0-6 for Sunday-Saturday, …)."),
      dow: time("Alias of weekday."),
      special_time: {
        enum: ["annually", "daily", "hourly", "monthly", "reboot", "weekly", "yearly"],
        description: "@daily, @reboot… instead of the five time fields.",
      },
      disabled: { type: "boolean", default: false, description: "Write the job commented out (#). Only with state=present." },
      env: { type: "boolean", default: false, description: 'Manage an environment variable line NAME="job" (at the top of the crontab) instead of a job.' },
      insertafter: { type: "string", description: "With env: put a new variable after the variable of this name." },
      insertbefore: { type: "string", description: "With env: put a new variable before the variable of this name." },
    },
    not: { required: ["insertafter", "insertbefore"] },
  },
  resource: (a) =>
    `cron ${a.env ? "variable " : "job "}${a.name ?? a.cron_file}${a.cron_file ? ` in ${cronPath(a.cron_file)}` : a.user ? ` of ${a.user}` : ""}`,

  validate(a) {
    const job = a.job ?? a.value;
    const present = (a.state ?? "present") === "present";
    const fields = [a.minute, a.hour, a.day ?? a.dom, a.month, a.weekday ?? a.dow];
    if (a.special_time && fields.some((f) => f !== undefined && String(f) !== "*"))
      throw new ArgError("special_time", "You must specify time and date fields or special time.", "drop minute/hour/day/month/weekday, or special_time");
    if (a.cron_file && present && !a.user) throw new ArgError("user", "To use cron_file=... parameter you must specify user=... as well", "add user: root");
    if (present && job === undefined) throw new ArgError("job", "You must specify 'job' to install a new cron job or variable", "add job: COMMAND");
    if (!a.name && !(a.cron_file && !present)) throw new ArgError("name", "a cron job needs a name (its #Ansible: marker)", "add name: …");
    if ((a.insertafter || a.insertbefore) && !a.env && present)
      throw new ArgError("insertafter", "Insertafter and insertbefore parameters are valid only with env=yes", "add env: true");
    if (a.env && a.name && /\s/.test(a.name)) throw new ArgError("name", "Invalid name for environment variable", "a variable name has no spaces");
    for (const k of ["name", "minute", "hour", "day", "dom", "month", "weekday", "dow", "insertafter", "insertbefore"] as const)
      refuseLineBreaks(k, a[k], "the crontab");
    if (job !== undefined) refuseLineBreaks("job", job.replace(/^[\r\n]+|[\r\n]+$/g, ""), "the crontab");
    for (const f of fields)
      if (f !== undefined && /\s/.test(String(f)))
        throw new ArgError("minute", `time field '${f}' contains white space`, "one cron field per argument, e.g. minute: '*/5'");
  },

  probe(a) {
    if (a.cron_file) {
      return {
        script: snip.readFile("cron", cronPath(a.cron_file)),
        parse(stdout) {
          const f = fileOf(parseRecords(stdout), "cron");
          if (!f.exists) return { text: "" };
          if (f.type !== "file") throw new ModuleError(`${cronPath(a.cron_file!)} is not a regular file`);
          if (f.content === undefined) throw new ModuleError(`cannot read ${cronPath(a.cron_file!)} (try become: true)`);
          const text = f.content.toString("utf8");
          return { lines: text === "" ? [] : text.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== ""), text };
        },
      };
    }
    const u = a.user ? ` -u ${shq(a.user)}` : "";
    return {
      script: snip.cmd("cron", `crontab${u} -l`),
      parse(stdout) {
        const c = cmdOf(parseRecords(stdout), "cron");
        if (!c) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        // rc 1 with "no crontab for USER" means none yet, as for Ansible.
        if (c.rc === 1 && /no crontab/i.test(c.err)) return { text: "" };
        if (c.rc !== 0) throw new ModuleError(`Unable to read crontab${a.user ? ` of ${a.user}` : ""}: ${c.err.trim() || `crontab exited ${c.rc}`}`);
        return { lines: readUserCrontab(c.out), text: c.out };
      },
    };
  },

  diff(st, a) {
    const r = editCron(st.lines ?? [], a);
    const path = a.cron_file ? cronPath(a.cron_file) : `crontab${a.user ? ` of ${a.user}` : ""}`;
    if (!r.changed) return [];
    if (r.removeFile) {
      if (st.lines === undefined) return [];
      return [
        {
          summary: `${path}: remove the file`,
          field: "state",
          before: "present",
          after: "absent",
          diff: { path, before: st.text, after: "" },
          data: { removeFile: true },
        },
      ];
    }
    const text = render(r.lines);
    return [
      { summary: `${path}: ${r.what}`, field: a.env ? "env" : "job", diff: { path, before: st.text, after: text }, data: { text } },
    ] satisfies Change<CronPlan>[];
  },

  /**
   * ansible.builtin.cron's return values (2.14): `jobs` and `envs`, the names of the jobs (`#Ansible:
   * NAME` markers) and variables in the crontab as the task leaves it (check mode: would leave it),
   * and `cron_file` when given; a task that removes the cron.d file returns `cron_file` and `state`
   * only.
   */
  result(st, a) {
    let r: CronEdit;
    try {
      r = editCron(st.lines ?? [], a);
    } catch {
      return {};
    }
    const file = a.cron_file !== undefined ? { cron_file: a.cron_file } : {};
    if (r.removeFile) return { ...file, state: a.state ?? "present" };
    return { jobs: jobNames(r.lines), envs: envNames(r.lines), ...file };
  },

  explain(_st, a) {
    if (a.cron_file && !a.name) return `${cronPath(a.cron_file)} is absent`;
    const what = a.env ? `variable ${a.name}` : `job '${a.name}'`;
    return (a.state ?? "present") === "present" ? `${what} is in place` : `${what} is absent`;
  },

  async apply(host, a, changes, st) {
    const d = changes[0]!.data!;
    if (a.cron_file) {
      const path = cronPath(a.cron_file);
      if (d.removeFile) {
        await host.run(`rm -f -- ${shq(path)}`);
        return;
      }
      // A new file gets 0644 (cron ignores group/world-writable files); an existing one keeps its mode.
      const res = await host.writeFile(path, d.text!, {
        ...(st.lines === undefined ? { mode: "0644" } : {}),
        ...(a.backup && st.lines !== undefined ? { backup: true } : {}),
      });
      return res.backup ? { backup_file: res.backup } : undefined;
    }
    const u = a.user ? ` -u ${shq(a.user)}` : "";
    // crontab(1) installs atomically and checks the syntax; it reads the new table from stdin.
    await host.run(`crontab${u} -`, { stdin: d.text! });
  },
});

/** /etc/cron.d/NAME for a relative cron_file, as Ansible resolves it. */
export function cronPath(f: string): string {
  return f.startsWith("/") ? f : `/etc/cron.d/${f}`;
}

/** crontab -l's lines without the three header lines some crons prepend (Ansible's read()). */
export function readUserCrontab(out: string): string[] {
  const lines = out.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.filter(
    (l, i) =>
      i > 2 ||
      !(/^# DO NOT EDIT THIS FILE - edit the master and reinstall\./.test(l) || /^# \(\/tmp\/.*installed on.*\)/.test(l) || /^# \(.*version.*\)/.test(l)),
  );
}

/** get_jobnames: the name after each `#Ansible: ` marker. */
export function jobNames(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith(MARK)).map((l) => l.split(MARK).join(""));
}

/** get_envnames: the name of each `NAME=...` line (no white space before the `=`). */
export function envNames(lines: string[]): string[] {
  return lines.filter((l) => /^\S+=/.test(l)).map((l) => l.split("=")[0]!);
}

/** Ansible's render(): the lines joined, one trailing newline, nothing for no lines. */
export function render(lines: string[]): string {
  const t = lines.join("\n");
  return t ? `${t.replace(/[\r\n]+$/, "")}\n` : "";
}

/** The job line exactly as Ansible's get_cron_job writes it. */
export function cronLine(a: CronArgs): string {
  const job = (a.job ?? a.value ?? "").replace(/^[\r\n]+|[\r\n]+$/g, "");
  const pre = a.disabled ? "#" : "";
  const user = a.cron_file ? ` ${a.user}` : "";
  if (a.special_time) return `${pre}@${a.special_time}${user} ${job}`;
  const f = (v: string | number | undefined) => (v === undefined ? "*" : String(v));
  return `${pre}${f(a.minute)} ${f(a.hour)} ${f(a.day ?? a.dom)} ${f(a.month)} ${f(a.weekday ?? a.dow)}${user} ${job}`;
}

export interface CronEdit {
  lines: string[];
  changed: boolean;
  what: string;
  removeFile?: boolean;
}

/** Pure: ansible.builtin.cron's edit of the crontab's lines for these arguments. */
export function editCron(input: string[], a: CronArgs): CronEdit {
  const lines = [...input];
  const present = (a.state ?? "present") === "present";
  const name = a.name ?? "";
  if (a.cron_file && !a.name && !present) return { lines: [], changed: true, what: "remove the file", removeFile: true };
  if (a.env) return editEnv(lines, a, present);
  if (present) {
    const job = cronLine(a);
    const found = findJob(lines, name, job);
    if (!found) return { lines: [...lines, `${MARK}${name}`, job], changed: true, what: `add job '${name}': ${job}` };
    if (found.job !== job || found.adopted) {
      updateJob(lines, name, job);
      return { lines, changed: true, what: found.job !== job ? `job '${name}': ${found.job} → ${job}` : `mark job '${name}' (#Ansible: ${name})` };
    }
    return { lines, changed: false, what: "" };
  }
  const found = findJob(lines, name);
  if (!found) return { lines, changed: false, what: "" };
  const out = removeJob(lines, name);
  if (a.cron_file && out.every((l) => l.trim() === ""))
    return { lines: [], changed: true, what: `remove job '${name}' (the file is then empty)`, removeFile: true };
  return { lines: out, changed: true, what: `remove job '${name}': ${found.job}` };
}

/** find_job: the line after `#Ansible: NAME`, else an identical unmarked job line, which gets the marker (adopted). */
function findJob(lines: string[], name: string, job?: string): { job: string; adopted?: boolean } | undefined {
  let comment: string | undefined;
  for (const l of lines) {
    if (comment !== undefined) {
      if (comment === name) return { job: l };
      comment = undefined;
    } else if (l.startsWith(MARK)) comment = l.slice(MARK.length);
  }
  if (job !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== job) continue;
      const prev = i > 0 ? lines[i - 1]! : lines[lines.length - 1]!; // Python's lines[-1] for i = 0
      if (!prev.startsWith(MARK)) {
        lines.splice(i, 0, `${MARK}${name}`);
        return { job, adopted: true };
      }
      if (name && prev === `${MARK}None` && i > 0) {
        lines[i - 1] = `${MARK}${name}`;
        return { job, adopted: true };
      }
    }
  }
  return undefined;
}

/** _update_job with do_add_job: the line after each `#Ansible: NAME` becomes `job`. */
function updateJob(lines: string[], name: string, job: string): void {
  for (let i = 0; i < lines.length - 1; i++) if (lines[i] === `${MARK}${name}`) lines[i + 1] = job;
}

/** _update_job with do_remove_job: drop the marker and the line after it. */
function removeJob(lines: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === `${MARK}${name}`) {
      i++;
      continue;
    }
    out.push(lines[i]!);
  }
  return out;
}

function editEnv(lines: string[], a: CronArgs, present: boolean): CronEdit {
  const name = a.name!;
  const find = (n: string) => lines.findIndex((l) => l.startsWith(`${n}=`));
  const at = find(name);
  if (!present) {
    if (at < 0) return { lines, changed: false, what: "" };
    const old = lines[at]!;
    lines.splice(at, 1);
    return { lines, changed: true, what: `remove variable ${old}` };
  }
  const decl = `${name}="${a.job ?? a.value ?? ""}"`;
  if (at >= 0) {
    if (lines[at] === decl) return { lines, changed: false, what: "" };
    const old = lines[at]!;
    lines[at] = decl;
    return { lines, changed: true, what: `variable ${old} → ${decl}` };
  }
  const other = a.insertafter ?? a.insertbefore;
  if (other === undefined) return { lines: [decl, ...lines], changed: true, what: `add variable ${decl}` };
  const o = find(other);
  if (o < 0) throw new ModuleError(`Variable named '${other}' not found.`);
  lines.splice(a.insertafter !== undefined ? o + 1 : o, 0, decl);
  return { lines, changed: true, what: `add variable ${decl}` };
}
