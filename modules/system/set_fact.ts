// system.set_fact: set variables on the current host for the rest of the run.
// Ansible twin: ansible.builtin.set_fact. Runs on the controller; values are already templated.
// This is the one module whose schema allows any property (each is a variable to set); names must
// be valid variable names. `cacheable` is accepted for Ansible compatibility and ignored (keel has
// no fact cache across runs).
import { defineControllerModule } from "../../engine/core/module.js";

export type SetFactArgs = Record<string, unknown> & { cacheable?: boolean };

export default defineControllerModule<SetFactArgs>({
  name: "system.set_fact",
  aliases: ["set_fact"],
  description: "Set host variables (facts) for the rest of the run, e.g. `set_fact: { app_port: 8080 }`.",
  args: {
    type: "object",
    // The one exception to additionalProperties: false — every key is a variable name.
    additionalProperties: true,
    propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    // No minProperties: the loader validates before templating with templated values left out;
    // run() fails when no variable is given.
    properties: {
      cacheable: { type: "boolean", default: false, description: "Accepted for Ansible compatibility; ignored." },
    },
    description: "Any number of `name: value` pairs; each sets a variable on the host.",
  },

  resource: (a) => `facts ${factNames(a).join(", ")}`,

  run(a) {
    const names = factNames(a);
    if (!names.length) return { failed: true, msg: "set_fact needs at least one name: value pair" };
    const setFacts: Record<string, unknown> = {};
    for (const k of names) setFacts[k] = a[k];
    return { changed: false, setFacts };
  },
});

function factNames(a: SetFactArgs): string[] {
  return Object.keys(a).filter((k) => k !== "cacheable");
}
