// An empty `version` is no version for Ansible's pip (Package(name, '') adds no specifier), so a
// role's `version: "{{ supervisor_version | default(omit) }}"` with supervisor_version: '' (the
// default of geerlingguy.supervisor, compat row `supervisor`) installs the plain name. keel's schema
// refused '' after rendering ("must NOT have fewer than 1 characters").
import { describe, expect, it } from "vitest";
import mod from "../../../../modules/packages/pip.js";
import { checkArgs } from "../../../../engine/playbook/args.js";

const pos = { file: "tasks/main.yml", line: 8, col: 3 };

describe("packages.pip version ''", () => {
  it("is accepted as no version, as Ansible's pip does", () => {
    expect(() => checkArgs(mod, { name: "supervisor", state: "present", version: "" }, {}, pos)).not.toThrow();
    // the probe hands it to the host's Package(), which adds no specifier for an empty version
    expect(mod.probe({ name: "supervisor", version: "" }, {} as never).script).toContain('"version":""');
  });
  it("still conflicts with state latest (Ansible: version is not None)", () => {
    expect(() => checkArgs(mod, { name: "supervisor", state: "latest", version: "" }, {}, pos)).toThrow(/version is incompatible with state=latest/);
  });
});
