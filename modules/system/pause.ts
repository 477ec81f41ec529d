// system.pause: wait a number of seconds or minutes. Ansible twin: ansible.builtin.pause.
// Runs on the controller and changes nothing; it waits in check mode too, as Ansible's does.
// Waiting for a person (a prompt without seconds/minutes) is refused: keel runs hosts in parallel
// and a module never reads the terminal (only engine/cli does), so an interactive pause cannot be
// answered; give seconds:/minutes:, or split the playbook where a person must act.
import { defineControllerModule, type ControllerResult } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";

export interface PauseArgs {
  seconds?: number | string;
  minutes?: number | string;
  prompt?: string;
  echo?: boolean;
}

/** The longest pause keel accepts (a day): a typo such as `minutes: 6000` should not hang a run for days. */
export const MAX_PAUSE_S = 24 * 3600;

function amount(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0)
    throw new InputError(`pause: ${what} must be a whole number of ${what}, got ${JSON.stringify(v)}`, undefined, `write e.g. \`${what}: 10\``);
  return n;
}

/** How long to wait, in seconds, or an InputError for arguments that cannot be honoured. */
export function pauseSeconds(a: PauseArgs): number {
  const s = amount(a.seconds, "seconds");
  const m = amount(a.minutes, "minutes");
  if (s !== undefined && m !== undefined) throw new InputError("pause takes seconds or minutes, not both");
  if (s === undefined && m === undefined) {
    throw new InputError(
      a.prompt !== undefined
        ? `pause: prompt '${a.prompt}' waits for a person at a terminal, which keel does not do`
        : "pause without seconds or minutes waits for a person at a terminal, which keel does not do",
      undefined,
      "give `seconds:` or `minutes:`; to act by hand between steps, split the playbook (keel run --start-at-task NAME resumes at a task)",
    );
  }
  const total = s ?? m! * 60;
  if (total > MAX_PAUSE_S) throw new InputError(`pause: ${total} seconds is more than a day`, undefined, "a longer wait belongs outside the run (a scheduler)");
  return total;
}

export default defineControllerModule<PauseArgs>({
  name: "system.pause",
  aliases: ["pause"],
  description: "Wait a number of seconds or minutes before the next task (in check mode too); changes nothing. A prompt without a time is refused.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      seconds: { type: ["integer", "string"], description: "Seconds to wait (a whole number)." },
      minutes: { type: ["integer", "string"], description: "Minutes to wait (a whole number)." },
      prompt: { type: "string", description: "Text shown with the result; without seconds/minutes it would wait for a person, which keel refuses." },
      echo: { type: "boolean", description: "Accepted for compatibility (keel never reads the terminal in a pause)." },
    },
  },

  validate(a) {
    // templated values are checked when the task runs
    const templated = [a.seconds, a.minutes].some((v) => typeof v === "string" && v.includes("{{"));
    if (!templated) pauseSeconds(a);
  },

  resource: (a) => (a.minutes !== undefined ? `pause ${a.minutes} min` : `pause ${a.seconds ?? ""} s`),

  async run(a): Promise<ControllerResult> {
    const s = pauseSeconds(a);
    await new Promise((r) => setTimeout(r, s * 1000));
    const msg = `Paused for ${a.minutes !== undefined ? `${a.minutes} minute${Number(a.minutes) === 1 ? "" : "s"}` : `${s} second${s === 1 ? "" : "s"}`}`;
    return { changed: false, msg: a.prompt ? `${a.prompt}: ${msg}` : msg };
  },
});
