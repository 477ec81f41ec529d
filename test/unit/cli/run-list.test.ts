// keel run --list-hosts/--list-tasks/--list-tags/--syntax-check print what ansible-playbook prints
// (compared with the installed ansible-core, host order aside); --start-at-task cuts the plan as
// ansible-playbook does; --step asks once per task and is refused without a terminal; the exit
// codes are ansible-playbook's. ansible-playbook's listings are replayed from
// test/recordings/ansible/run-list-listings.json while its key holds (the playbook, role and
// inventory files, the arguments, the harness, the installed ansible-core/ansible/python3); else,
// and with KEEL_ANSIBLE_LIVE=1, ansible-playbook runs live (KEEL_ANSIBLE_RECORD=1 also rewrites the
// recording). A recorded listing keel differs from is checked against a live run before the test fails.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { spawnAsync } from "../../spawn.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { registry } from "../../../modules/index.js";
import { startAtTask, taskDisplayName } from "../../../engine/cli/commands/run-list.js";
import { checkStepPossible, parseStepAnswer, stepper } from "../../../engine/cli/commands/run-step.js";
import { runExitCode } from "../../../engine/cli/commands/run.js";
import type { Task, TaskNode } from "../../../engine/core/plan.js";
import type { TaskRef } from "../../../engine/core/events.js";
import { sha256 } from "../../ansible-record.js";
import { debianVersions, RecordedBatch } from "../recorded-batch.js";

const hasAnsible = spawnSync("ansible-playbook", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "keel-runlist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The files ansible-playbook reads (a recording's key part). */
const FILES: Record<string, string> = {};
const write = (rel: string, text: string) => {
  FILES[rel] = text;
  writeFileSync(join(dir, rel), text);
};
write("inv.ini", "[web]\nlab01\nlab02\n[db]\nlab03\n[empty]\n");
mkdirSync(join(dir, "roles", "motd", "tasks"), { recursive: true });
write("roles/motd/tasks/main.yml", "- name: write motd\n  copy: { dest: /tmp/motd, content: hi }\n  tags: [motd]\n- debug: msg=unnamed-in-role\n");
write("more.yml", "- name: imported one\n  debug: msg=x\n  tags: imp\n");
write(
  "pb.yml",
  `- name: first play
  hosts: web
  tags: [p1]
  pre_tasks:
    - name: pre
      debug: msg=pre
  roles:
    - role: motd
      tags: [r]
  tasks:
    - name: hello
      debug: msg=hi
      tags: [a, b]
      notify: h1
    - block:
        - name: in block
          command: /bin/true
        - block:
            - name: nested
              ansible.builtin.command: /bin/true
              tags: deep
      rescue:
        - name: in rescue
          debug: msg=r
      always:
        - name: in always
          debug: msg=a
      tags: blk
    - debug: msg=noname
    - import_tasks: more.yml
    - meta: flush_handlers
    - name: tagged never
      debug: msg=n
      tags: [never, special]
  handlers:
    - name: h1
      debug: msg=h
- hosts: empty
  tasks:
    - name: never runs
      debug: msg=x
- name: third
  hosts: all:!lab02
  gather_facts: false
  tasks:
    - name: t3
      debug: msg=y
      tags: [always]
`,
);

function capture(): { io: Parameters<typeof main>[1]; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { io: { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, color: false }, out: () => out, err: () => err };
}

async function keel(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const saved = process.cwd();
  process.chdir(dir);
  try {
    const code = await main(["run", "pb.yml", "-i", "inv.ini", ...args], c.io);
    return { code, out: c.out(), err: c.err() };
  } finally {
    process.chdir(saved);
  }
}

async function ansiblePlaybook(args: string[]): Promise<string> {
  const r = await spawnAsync("ansible-playbook", ["-i", "inv.ini", "pb.yml", ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, ANSIBLE_NOCOLOR: "1" },
  });
  if (r.status !== 0) throw new Error(`ansible-playbook ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Host lines are in set order in Ansible's output: sort each play's host list. */
function sortHosts(text: string): string {
  return text.replace(
    /(hosts \(\d+\):\n)((?: {6}\S+\n)*)/g,
    (_m, head: string, body: string) =>
      head +
      body
        .split("\n")
        .filter(Boolean)
        .sort()
        .map((l) => l + "\n")
        .join(""),
  );
}

/** Every ansible-playbook run of this file, by its arguments. */
const ANSIBLE_RUNS: string[][] = [
  ["--list-tasks"],
  ["--list-tags"],
  ["--list-hosts"],
  ["--list-tasks", "--list-hosts", "--list-tags"],
  ["--list-tasks", "--tags", "a,motd"],
  ["--list-tasks", "--skip-tags", "blk"],
  ["--list-tasks", "--tags", "special"],
  ["--list-hosts", "--limit", "lab01"],
  ["--syntax-check"],
];
/** ansible-playbook's output for each run (host lines sorted): recorded, or all run live. */
const ansible = new RecordedBatch<string>(
  "run-list-listings",
  () => ({
    files: sha256(JSON.stringify(FILES)),
    runs: JSON.stringify(ANSIBLE_RUNS),
    harness: sha256(ansiblePlaybook.toString() + sortHosts.toString()),
    python: debianVersions(["python3"]),
  }),
  async () => {
    const out: Record<string, string> = {};
    for (const args of ANSIBLE_RUNS) out[args.join(" ")] = sortHosts(await ansiblePlaybook(args));
    return out;
  },
);

describe("keel run --list-* prints ansible-playbook's text", () => {
  const cases = ANSIBLE_RUNS.slice(0, -1);

  it.each(cases)("%s %s %s", async (...args) => {
    const k = await keel(args);
    expect(k.code, k.err).toBe(0);
    // the text is checked on its own too, so the test means something where ansible-core is absent
    expect(k.out).toMatch(/^\nplaybook: pb\.yml\n\n {2}play #1 \(web\): first play\tTAGS: \[p1\]\n/);
    if (hasAnsible) expect(sortHosts(k.out)).toBe(await ansible.expected(args.join(" "), sortHosts(k.out)));
  });

  it("the list of tasks: role tasks as 'role : name', unnamed ones by their module (no role), not rescue/always/handlers", async () => {
    const k = await keel(["--list-tasks"]);
    expect(k.out).toContain("      motd : write motd\tTAGS: [motd, p1, r]\n      debug\tTAGS: [p1, r]\n");
    expect(k.out).toContain("      nested\tTAGS: [blk, deep, p1]\n      debug\tTAGS: [p1]\n      imported one\tTAGS: [imp, p1]\n      meta\tTAGS: [p1]\n");
    expect(k.out).not.toMatch(/in rescue|in always|h1|tagged never/);
  });

  it("--list-hosts lists the hosts after --limit; a play whose group is empty lists none", async () => {
    const k = await keel(["--list-hosts", "--limit", "lab01:lab03"]);
    expect(k.out).toContain("    pattern: ['web']\n    hosts (1):\n      lab01\n");
    expect(k.out).toContain("  play #2 (empty): empty\tTAGS: []\n    pattern: ['empty']\n    hosts (0):\n");
    expect(k.out).toContain("    pattern: ['all:!lab02']\n    hosts (2):\n      lab01\n      lab03\n");
  });

  it("--syntax-check prints the playbook and exits 0; a broken playbook is exit 1 with file:line:col", async () => {
    const ok = await keel(["--syntax-check"]);
    expect(ok).toMatchObject({ code: 0, out: "\nplaybook: pb.yml\n" });
    if (hasAnsible) expect(ok.out).toBe(await ansible.expected("--syntax-check", ok.out));
    writeFileSync(join(dir, "bad.yml"), "- hosts: all\n  tasks:\n    - name: x\n      aptt: { name: nginx }\n");
    const c = capture();
    const code = await main(["run", join(dir, "bad.yml"), "--syntax-check"], c.io);
    expect(code).toBe(1);
    expect(c.err()).toMatch(/bad\.yml:4:7: unknown module 'aptt'/);
  });
});

describe("--start-at-task", () => {
  const plan = loadPlaybook(join(dir, "pb.yml"), { registry });
  const names = (nodes: TaskNode[]): string[] =>
    nodes.flatMap((n) =>
      n.kind === "block"
        ? [...names(n.block), ...names(n.rescue).map((x) => `rescue:${x}`), ...names(n.always).map((x) => `always:${x}`)]
        : [taskDisplayName(n as Task)],
    );

  it("drops the tasks before the first match, keeps a block's rescue/always, and runs later plays whole", () => {
    const p = startAtTask(plan, "nested");
    expect(names(p.plays[0]!.tasks)).toEqual(["nested", "rescue:in rescue", "always:in always", "debug", "imported one", "meta", "tagged never"]);
    expect(p.plays[0]!.gatherFacts).toBe(true);
    expect(p.plays[0]!.handlers.map((h) => h.name)).toEqual(["h1"]);
    expect(names(p.plays[2]!.tasks)).toEqual(["t3"]);
  });

  it("matches globs and 'role : name'; the plays before the match run nothing, not even facts", () => {
    expect(names(startAtTask(plan, "motd : write*").plays[0]!.tasks)[0]).toBe("motd : write motd");
    const p = startAtTask(plan, "t?");
    expect(p.plays[0]!.tasks).toEqual([]);
    expect(p.plays[0]!.gatherFacts).toBe(false);
    expect(names(p.plays[2]!.tasks)).toEqual(["t3"]);
  });

  it("patterns are Python's fnmatch, as Ansible's: '[^3]' is a set holding ^ and 3, '[!3]' negates, ']' first in a set is literal", () => {
    expect(names(startAtTask(plan, "t[^3]").plays[2]!.tasks)).toEqual(["t3"]);
    expect(names(startAtTask(plan, "[]t]3").plays[2]!.tasks)).toEqual(["t3"]);
    expect(() => startAtTask(plan, "t[!3]")).toThrow(/no task has this name/);
    expect(() => startAtTask(plan, "t[^x]")).toThrow(/no task has this name/);
  });

  it("starting in an always section drops the block and its rescue", () => {
    expect(names(startAtTask(plan, "in always").plays[0]!.tasks)).toEqual(["always:in always", "debug", "imported one", "meta", "tagged never"]);
  });

  it("a name no task has is refused before any host is touched", async () => {
    expect(() => startAtTask(plan, "no such task")).toThrow(/--start-at-task 'no such task': no task has this name/);
    const k = await keel(["--start-at-task", "no such task", "-c", "local"]);
    expect(k.code).toBe(1);
  });
});

describe("--step", () => {
  const ref = (id: string, name: string): TaskRef => ({ id, name, module: "system.debug", pos: { file: "pb.yml", line: 1, col: 1 }, play: "p" });

  it("is refused without a terminal, before any host is touched", async () => {
    expect(() => checkStepPossible(false)).toThrow(/--step asks before each task and needs a terminal/);
    expect(() => checkStepPossible(true)).not.toThrow();
    const k = await keel(["--step", "-c", "local"]);
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/stdin is not a TTY/);
  });

  it("answers: y runs, n (and anything else) skips, c runs this and every later task without asking", async () => {
    expect(["y", "Yes", "n", "", "x", "c"].map(parseStepAnswer)).toEqual(["yes", "yes", "no", "no", "no", "continue"]);
    const prompts: string[] = [];
    const answers = ["y", "n", "c"];
    const c = capture();
    const confirm = stepper(c.io!, async (p) => {
      prompts.push(p);
      return answers.shift()!;
    });
    // two hosts reach the same task: one prompt
    expect(await Promise.all([confirm(ref("t0", "one")), confirm(ref("t0", "one"))])).toEqual([true, true]);
    expect(await confirm(ref("t1", "two"))).toBe(false);
    expect(await confirm(ref("t2", "three"))).toBe(true);
    expect(await confirm(ref("t3", "four"))).toBe(true);
    expect(prompts).toEqual([
      "Perform task: TASK: one (N)o/(y)es/(c)ontinue: ",
      "Perform task: TASK: two (N)o/(y)es/(c)ontinue: ",
      "Perform task: TASK: three (N)o/(y)es/(c)ontinue: ",
    ]);
    expect(c.err()).toBe("skipping task 'two' (--step)\n");
  });
});

describe("exit codes are ansible-playbook's", () => {
  it.each([
    [{ failed: [], unreachable: [], notRun: [] }, 0],
    [{ failed: ["a"], unreachable: [], notRun: [] }, 2],
    [{ failed: [], unreachable: [], notRun: ["b"] }, 2],
    [{ failed: [], unreachable: ["a"], notRun: [] }, 4],
    [{ failed: ["a"], unreachable: ["b"], notRun: [] }, 4],
  ])("%j -> %i", (s, code) => {
    expect(runExitCode(s)).toBe(code);
  });
});
