// keel run --list-hosts / --list-tasks / --list-tags / --syntax-check / --start-at-task: the
// ansible-playbook habits that look at the plan without touching a host. The text is
// ansible-playbook's, byte for byte (test/unit/cli/run-list.test.ts compares with ansible-core),
// except the host order: keel lists hosts in inventory order, Ansible in set order.
import { InputError } from "../../core/errors.js";
import { fnmatch } from "../../core/fnmatch.js";
import type { Plan, Play, Task, TaskNode } from "../../core/plan.js";
import { tagsSelect, type TagFilter } from "../../run/select.js";
import { includeStandIn } from "../../run/scope.js";

export interface ListFlags {
  hosts: boolean;
  tasks: boolean;
  tags: boolean;
}

/** The name ansible-playbook shows for a task: "role : name", the name, or the module as written. */
export function taskDisplayName(t: Task): string {
  if (!t.name) return t.moduleAs;
  return t.role ? `${t.role.name} : ${t.name}` : t.name;
}

/** The tasks of a play that --list-tasks shows: block sections only (not rescue/always), after the tag filter. */
function listedTasks(nodes: TaskNode[], f: TagFilter, out: Task[] = []): Task[] {
  for (const n of nodes) {
    if (n.kind === "block" && n.include) {
      // a looped include: the include itself, then its tasks once (they run per item)
      if (!tagsSelect(n.include.tags, f)) continue;
      out.push(includeStandIn(n));
      listedTasks(n.block, f, out);
    } else if (n.kind === "block") listedTasks(n.block, f, out);
    else if (tagsSelect(n.tags, f)) out.push(n);
  }
  return out;
}

const sorted = (s: Iterable<string>) => [...new Set(s)].sort();

/**
 * The text of `ansible-playbook --list-hosts/--list-tasks/--list-tags` for a plan. `playbook` is
 * the path as the user gave it; `hostsOf` gives a play's hosts (after --limit).
 */
export function listText(plan: Plan, playbook: string, flags: ListFlags, filter: TagFilter, hostsOf: (p: Play) => string[]): string {
  let out = `\nplaybook: ${playbook}\n`;
  plan.plays.forEach((play, i) => {
    const playTags = sorted(play.tags);
    out += `\n  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${playTags.join(",")}]`;
    if (flags.hosts) {
      const hosts = hostsOf(play);
      out += `\n    pattern: ['${play.hosts}']\n    hosts (${hosts.length}):`;
      for (const h of hosts) out += `\n      ${h}`;
    }
    out += "\n";
    if (!flags.tasks && !flags.tags) return;
    const tasks = listedTasks(play.tasks, filter);
    if (flags.tasks) {
      out += "    tasks:\n";
      for (const t of tasks) out += `      ${taskDisplayName(t)}\tTAGS: [${sorted([...playTags, ...t.tags]).join(", ")}]\n`;
    }
    if (flags.tags) out += `      TASK TAGS: [${sorted([...playTags, ...tasks.flatMap((t) => t.tags)]).join(", ")}]\n`;
  });
  return out;
}

/** Does a task answer to --start-at-task NAME? Its name or shown name, exactly or as a glob (Ansible's fnmatch). */
export function startsAt(t: Task, want: string): boolean {
  const names = [t.name, t.name ? taskDisplayName(t) : undefined].filter((n): n is string => n !== undefined);
  return names.some((n) => n === want || fnmatch(n, want));
}

/**
 * The plan from the first task that answers to `want` on (ansible-playbook --start-at-task): the
 * plays before it run nothing (no facts either), the tasks before it in its play are dropped (a
 * block keeps its rescue and always sections when the start is inside its tasks), the later plays
 * run whole. Handlers stay. InputError when no task answers, as ansible-playbook refuses too.
 */
export function startAtTask(plan: Plan, want: string): Plan {
  let found = false;
  const cut = (nodes: TaskNode[]): TaskNode[] => {
    const out: TaskNode[] = [];
    for (const n of nodes) {
      if (found) {
        out.push(n);
        continue;
      }
      if (n.kind === "task") {
        if (startsAt(n, want)) {
          found = true;
          out.push(n);
        }
        continue;
      }
      const block = cut(n.block);
      if (found) {
        out.push({ ...n, block });
        continue;
      }
      const always = cut(n.always);
      if (found) out.push({ ...n, block: [], rescue: [], always });
    }
    return out;
  };
  const plays = plan.plays.map((p) => {
    if (found) return p;
    const tasks = cut(p.tasks);
    return found ? { ...p, tasks } : { ...p, tasks: [], gatherFacts: false };
  });
  if (!found) {
    throw new InputError(
      `--start-at-task '${want}': no task has this name`,
      undefined,
      "`keel run PLAYBOOK --list-tasks` lists the task names (role tasks as 'role : name'); * and ? match any text",
    );
  }
  return { ...plan, plays };
}
