// system.assert: fail the task when a condition is false. Ansible twin: ansible.builtin.assert.
// Runs on the controller: each expression of `that` goes through ctx.evaluate (keel's safe condition
// language, the same as `when`), in order; the first false one fails the task and is named in msg.
import { defineControllerModule, type ControllerResult } from "../../engine/core/module.js";

export interface AssertArgs {
  that: string | boolean | (string | boolean)[];
  fail_msg?: string;
  msg?: string;
  success_msg?: string;
  quiet?: boolean;
}

export default defineControllerModule<AssertArgs>({
  name: "system.assert",
  aliases: ["assert"],
  description: "Fail with a message when one of the given conditions is false.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["that"],
    properties: {
      that: {
        anyOf: [{ type: "string" }, { type: "boolean" }, { type: "array", items: { anyOf: [{ type: "string" }, { type: "boolean" }] }, minItems: 1 }],
        description: "One condition or a list of conditions, written like `when:` (no {{ }}). All must be true.",
      },
      fail_msg: { type: "string", description: "Message when a condition is false. The failing condition is added to it." },
      msg: { type: "string", description: "Synonym of `fail_msg`." },
      success_msg: { type: "string", description: 'Message when every condition holds. Default "All assertions passed".' },
      quiet: { type: "boolean", default: false, description: "Say nothing when every condition holds." },
    },
  },

  resource: (a) => `assert ${conditions(a).map(String).join(" and ")}`,

  run(a, ctx): ControllerResult {
    for (const expr of conditions(a)) {
      const v = typeof expr === "boolean" ? expr : ctx.evaluate(expr);
      if (!truthy(v)) {
        const custom = a.fail_msg ?? a.msg;
        return {
          failed: true,
          changed: false,
          msg: custom !== undefined ? `${custom} (assertion: ${expr})` : `Assertion failed: ${expr}`,
        };
      }
    }
    return { changed: false, ...(a.quiet ? {} : { msg: a.success_msg ?? "All assertions passed" }) };
  },
});

function conditions(a: AssertArgs): (string | boolean)[] {
  return Array.isArray(a.that) ? a.that : [a.that];
}

/** Jinja's truthiness: false, null, 0, "" and empty lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === "object") return Object.keys(v).length > 0;
  return Boolean(v);
}
