// A small Registry of test-only module definitions, so the loader's tests do not depend on the
// modules being written elsewhere. Only their names and argument schemas matter here; the loader
// never calls probe/diff/apply, and these throw if anything does.
import { Registry } from "../../../engine/core/registry.js";
import { defineModule, type JSONSchema } from "../../../engine/core/module.js";

function testModule(name: string, aliases: string[], args: JSONSchema, freeForm?: string) {
  const unused = () => {
    throw new Error(`test module ${name}: not for running`);
  };
  return defineModule({
    name,
    aliases,
    description: `test module ${name}`,
    args: { type: "object", additionalProperties: false, ...args },
    freeForm,
    resource: () => name,
    probe: unused,
    diff: unused,
    apply: unused,
  });
}

const exec = { chdir: { type: "string" }, creates: { type: "string" }, removes: { type: "string" } };

export const testRegistry = new Registry([
  testModule("files.copy", ["copy"], {
    properties: {
      dest: { type: "string", minLength: 1 },
      content: { type: "string" },
      src: { type: "string" },
      mode: { type: ["string", "integer"] },
      owner: { type: "string" },
      backup: { type: "boolean" },
    },
    required: ["dest"],
    anyOf: [{ required: ["content"] }, { required: ["src"] }],
  }),
  testModule("files.template", ["template"], {
    properties: { src: { type: "string" }, dest: { type: "string" }, mode: { type: "string" } },
    required: ["src", "dest"],
  }),
  testModule("files.lineinfile", ["lineinfile"], {
    properties: { path: { type: "string" }, regexp: { type: "string" }, line: { type: "string" }, state: { type: "string", enum: ["present", "absent"] } },
    required: ["path"],
  }),
  testModule("packages.package", ["package", "apt", "dnf"], {
    properties: {
      name: { type: ["string", "array"], items: { type: "string" } },
      state: { type: "string", enum: ["present", "absent", "latest"] },
      update_cache: { type: "boolean" },
      cache_valid_time: { type: "integer" },
    },
    required: ["name"],
  }),
  testModule(
    "system.command",
    ["command"],
    {
      properties: { cmd: { type: "string" }, argv: { type: "array", items: { type: "string" } }, ...exec },
      oneOf: [{ required: ["cmd"] }, { required: ["argv"] }],
    },
    "cmd",
  ),
  testModule("system.shell", ["shell"], { properties: { cmd: { type: "string" }, executable: { type: "string" }, ...exec }, required: ["cmd"] }, "cmd"),
  testModule("users.user", ["user"], {
    properties: {
      name: { type: "string" },
      uid: { type: "integer" },
      groups: { type: "array", items: { type: "string" } },
      shell: { type: "string" },
      state: { type: "string", enum: ["present", "absent"] },
    },
    required: ["name"],
  }),
  testModule("services.service", ["service", "systemd"], {
    properties: { name: { type: "string" }, state: { type: "string", enum: ["started", "stopped", "restarted", "reloaded"] }, enabled: { type: "boolean" } },
    required: ["name"],
  }),
]);
