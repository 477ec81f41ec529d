// system.debug: show a message or a variable's value. Ansible twin: ansible.builtin.debug.
// Runs on the controller and changes nothing. Its message is printed with the result even without
// -v; with `verbosity: N` the task runs only from -v…v (N v's) on and is skipped below, as in Ansible.
import { defineControllerModule, type ControllerResult } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

export default defineControllerModule<DebugArgs>({
  name: "system.debug",
  aliases: ["debug"],
  description: "Show a message (msg) or the value of a variable or expression (var); changes nothing.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      msg: { description: 'The message: text, or any value (shown as JSON). Default "Hello world!".' },
      var: { type: "string", description: "A variable name or expression (no {{ }}) whose value is shown." },
      verbosity: { type: "integer", minimum: 0, default: 0, description: "Show only at this -v level or above." },
    },
  },

  validate(a) {
    if (a.msg !== undefined && a.var !== undefined) throw new InputError("debug takes msg or var, not both");
  },

  resource: (a) => (a.var !== undefined ? `debug ${a.var}` : "debug"),

  run(a, ctx): ControllerResult {
    if ((a.verbosity ?? 0) > (ctx.verbosity ?? 0)) return { changed: false, skipped: "Verbosity threshold not met." };
    if (a.var !== undefined) {
      let v: unknown;
      try {
        v = ctx.evaluate(a.var);
      } catch {
        return { changed: false, show: true, msg: `${a.var}: VARIABLE IS NOT DEFINED!` };
      }
      return { changed: false, show: true, msg: `${a.var}: ${show(v)}` };
    }
    return { changed: false, show: true, msg: a.msg === undefined ? "Hello world!" : typeof a.msg === "string" ? a.msg : show(a.msg) };
  },
});

function show(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}
