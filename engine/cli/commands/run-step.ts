// keel run --step: ansible-playbook's "Perform task: TASK: name (N)o/(y)es/(c)ontinue:" before
// each task. It needs a person at a terminal: without one keel refuses before touching a host.
import { createInterface } from "node:readline";
import { InputError } from "../../core/errors.js";
import type { TaskRef } from "../../core/events.js";
import type { CliIO } from "../io.js";

/** The answer to one prompt: y runs the task, n (the default) skips it, c runs it and every later task without asking. */
export type StepAnswer = "yes" | "no" | "continue";

export function parseStepAnswer(line: string): StepAnswer {
  const a = line.trim().toLowerCase();
  if (a === "y" || a === "yes") return "yes";
  if (a === "c" || a === "continue") return "continue";
  return "no";
}

/** Refuse --step when no person can answer (stdin is not a terminal), as the run would hang or skip every task. */
export function checkStepPossible(stdinIsTTY: boolean): void {
  if (!stdinIsTTY) {
    throw new InputError(
      "--step asks before each task and needs a terminal, but stdin is not a TTY",
      undefined,
      "run it from a terminal, or use --start-at-task NAME / --tags to choose the tasks",
    );
  }
}

/**
 * RunOptions.confirmTask for --step: asks once per task (hosts that reach the same task share the
 * answer, so a play over 50 hosts asks once per task, as Ansible's linear strategy does).
 * `ask` reads one answer to a prompt (a readline on the terminal by default).
 */
export function stepper(io: CliIO, ask: (prompt: string) => Promise<string> = terminalAsk): (t: TaskRef) => Promise<boolean> {
  const answers = new Map<string, Promise<boolean>>();
  let queue: Promise<unknown> = Promise.resolve();
  let all = false;
  return (t) => {
    if (all) return Promise.resolve(true);
    let a = answers.get(t.id);
    if (!a) {
      // one prompt at a time, in the order the tasks come
      a = queue.then(async () => {
        if (all) return true;
        const ans = parseStepAnswer(await ask(`Perform task: TASK: ${t.name} (N)o/(y)es/(c)ontinue: `));
        if (ans === "continue") all = true;
        if (ans === "no") io.err(`skipping task '${t.name}' (--step)\n`);
        return ans !== "no";
      });
      queue = a;
      answers.set(t.id, a);
    }
    return a;
  };
}

function terminalAsk(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((res) => {
    rl.question(prompt, (line) => {
      rl.close();
      res(line);
    });
  });
}
