// Pipelined applies (engine/run/applies.ts) on the local connection, in-process: the same events as
// a sequential run (KEEL_PIPELINE=0) and fewer round trips, for plays that exercise what stops a
// batch (a failing task, ignore_errors, a register read later, a changed file read again, a handler).
// Each run gets its own fresh folder; the folder's path is the only thing taken out of the events.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";

const dir = mkdtempSync(join(tmpdir(), "keel-pipelined-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: tree
      file: { path: "{{ root }}/etc", state: directory, mode: "0755" }
    - name: a
      copy: { dest: "{{ root }}/etc/a", content: "a\\n", mode: "0644" }
    - name: b
      copy: { dest: "{{ root }}/etc/b", content: "b\\n" }
      notify: touched
    - name: line one
      lineinfile: { path: "{{ root }}/etc/conf", line: "one = 1", create: true }
    - name: line two (reads what line one wrote)
      lineinfile: { path: "{{ root }}/etc/conf", line: "two = 2" }
    - name: block
      blockinfile: { path: "{{ root }}/etc/conf", block: "three = 3" }
    - name: skipped
      copy: { dest: "{{ root }}/etc/never", content: "x" }
      when: false
    - name: fails (no such folder), ignored
      copy: { dest: "{{ root }}/missing/x", content: "x" }
      ignore_errors: true
    - name: c
      copy: { dest: "{{ root }}/etc/c", content: "c\\n" }
      register: c
    - name: d, after a register
      copy: { dest: "{{ root }}/etc/d", content: "{{ c.changed }}\\n" }
    - name: link to a
      file: { src: "{{ root }}/etc/a", dest: "{{ root }}/etc/a.link", state: link }
    - name: e
      copy: { dest: "{{ root }}/etc/e", content: "e\\n" }
    - name: fails for real
      copy: { dest: "{{ root }}/missing/y", content: "y" }
    - name: never reached
      copy: { dest: "{{ root }}/etc/f", content: "f\\n" }
  handlers:
    - name: touched
      copy: { dest: "{{ root }}/etc/handled", content: "yes\\n" }
`;
writeFileSync(join(dir, "play.yml"), PLAY);

let n = 0;
const COMMANDS = `- hosts: all
  gather_facts: false
  tasks:
    - name: a
      copy: { dest: "{{ root }}/a", content: "a\\n" }
    - name: command after an apply (starts its own batch)
      command: { cmd: "touch {{ root }}/ran", creates: "{{ root }}/ran" }
    - name: b (its probe read again after the command, behind a guard)
      copy: { dest: "{{ root }}/b", content: "b\\n" }
    - name: c
      copy: { dest: "{{ root }}/c", content: "c\\n" }
    - name: shell that fails
      shell: "echo out; echo err >&2; exit 3"
    - name: never reached
      copy: { dest: "{{ root }}/d", content: "d\\n" }
`;
writeFileSync(join(dir, "commands.yml"), COMMANDS);

async function run(pipeline: boolean, root: string, extra: string[] = [], play = "play.yml") {
  const inv = join(dir, `inv-${++n}.yml`);
  writeFileSync(inv, `all:\n  vars:\n    ansible_connection: local\n  hosts:\n    one:\n      root: ${root}\n`);
  const before = process.env.KEEL_PIPELINE;
  process.env.KEEL_PIPELINE = pipeline ? "1" : "0";
  try {
    const o = io();
    const code = await main(["run", join(dir, play), "-i", inv, "--json", "-", ...extra], o);
    const rep = JSON.parse(o.stdout) as { events: unknown[]; summary: { round_trips: Record<string, number> } };
    const events = JSON.parse(
      JSON.stringify(rep.events, (k, v) => (k === "durationMs" || k === "roundTrips" || k === "time" ? undefined : v))
        .split(root)
        .join("ROOT"),
    );
    return { code, events, roundTrips: rep.summary.round_trips.one! };
  } finally {
    if (before === undefined) delete process.env.KEEL_PIPELINE;
    else process.env.KEEL_PIPELINE = before;
  }
}

describe("pipelined applies", () => {
  it("first run, second run and check mode: the same events as sequential runs, in fewer round trips", async () => {
    const p = join(dir, "piped");
    const s = join(dir, "sequential");
    const rts: number[][] = [];
    for (const extra of [[], [], ["--check"]]) {
      const a = await run(true, p, extra);
      const b = await run(false, s, extra);
      expect(a.code).toBe(2);
      expect(a.events).toEqual(b.events);
      rts.push([a.roundTrips, b.roundTrips]);
    }
    // First run, pipelined: the probes; [tree]; [a, b, line one] (a needs the folder tree made);
    // [line two] (it reads what line one wrote); [block] (likewise); [c] (registered: nothing after
    // it joins); the probe of d (its content comes from c's result); [d, link, e]. The failing
    // copies fail in their diff, before any call. Sequentially: one round trip per apply, one more
    // for each file apply's read-back of the path (its registered result), and one probe batch
    // after each.
    expect(rts[0]).toEqual([8, 28]);
    expect(rts[1]![0]).toBeLessThan(rts[1]![1]!);
    for (const f of ["a", "b", "c", "d", "e"]) expect(readFileSync(join(p, "etc", f), "utf8")).toBe(readFileSync(join(s, "etc", f), "utf8"));
    expect(readFileSync(join(p, "etc/conf"), "utf8")).toBe("one = 1\ntwo = 2\n# BEGIN ANSIBLE MANAGED BLOCK\nthree = 3\n# END ANSIBLE MANAGED BLOCK\n");
  });

  it("commands start batches and never join one after another apply; a failing shell stops the host where sequential does", async () => {
    const p = join(dir, "cmd-piped");
    const s = join(dir, "cmd-sequential");
    for (const d of [p, s]) mkdirSync(d);
    const rts: number[][] = [];
    for (const extra of [[], []]) {
      const a = await run(true, p, extra, "commands.yml");
      const b = await run(false, s, extra, "commands.yml");
      expect(a.code).toBe(2);
      expect(a.events).toEqual(b.events);
      rts.push([a.roundTrips, b.roundTrips]);
    }
    // First run, pipelined: the probes; [a] (the command may not follow it: if it cut the link, a's
    // result would be lost with it), with the probes after it; [command, guard b, b, guard c, c]
    // (the command writes anything: b and c are read again behind guards), then the shell's probe
    // runs at the end; [shell], which fails. Sequentially: one round trip per apply (and one for
    // each copy's read-back of its file, for the registered result), and after each the probes of
    // the tasks after it.
    expect(rts[0]).toEqual([4, 13]);
    // Second run: the command is skipped (creates), the shell runs and fails again.
    expect(rts[1]).toEqual([2, 2]);
    for (const f of ["a", "b", "c", "ran"]) expect(readFileSync(join(p, f), "utf8")).toBe(readFileSync(join(s, f), "utf8"));
  });
});
