// system.fail: fail the task with a message. Ansible twin: ansible.builtin.fail, usually written
// with a `when:` that says when to fail. Runs on the controller.
import { defineControllerModule, type ControllerResult } from "../../engine/core/module.js";

export interface FailArgs {
  msg?: unknown;
}

export default defineControllerModule<FailArgs>({
  name: "system.fail",
  aliases: ["fail"],
  description: "Fail the task with a message (use with when:).",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      msg: { description: 'Why it failed. Default "Failed as requested from task".' },
    },
  },

  resource: () => "fail",

  run(a): ControllerResult {
    const msg = a.msg === undefined ? "Failed as requested from task" : typeof a.msg === "string" ? a.msg : JSON.stringify(a.msg);
    return { failed: true, changed: false, msg };
  },
});
