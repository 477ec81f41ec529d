// README's module table (between the modules:start/end markers) lists every module of the registry
// (modules/index.ts), once, in the registry's order, with every alias; a module that stands for an
// Ansible module outside ansible.builtin shows that module's full name (ansible.posix.mount,
// community.general.pam_limits…), so a reader coming from Ansible finds it by the name they use.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MODULES } from "../../../modules/index.js";

const README = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
const table = README.slice(README.indexOf("<!-- modules:start -->"), README.indexOf("<!-- modules:end -->"));
const rows = new Map<string, string[]>();
for (const line of table.split("\n")) {
  const m = /^\| \[`([a-z_]+\.[a-z_0-9]+)`\]\([^)]*\) \| ([^|]*) \|/.exec(line);
  if (m)
    rows.set(
      m[1]!,
      [...m[2]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!),
    );
}
/** Ansible modules keel stands for that live outside ansible.builtin (ansible-core 2.14 + Debian's ansible 7.7.0). */
const NOT_BUILTIN: Record<string, string> = {
  mount: "ansible.posix.mount",
  sysctl: "ansible.posix.sysctl",
  authorized_key: "ansible.posix.authorized_key",
  ini_file: "community.general.ini_file",
  ufw: "community.general.ufw",
  pamd: "community.general.pamd",
  pam_limits: "community.general.pam_limits",
  timezone: "community.general.timezone",
  sudoers: "community.general.sudoers",
};

describe("README's module table", () => {
  it("has one row per registered module, in the registry's order", () => {
    expect([...rows.keys()]).toEqual(MODULES.map((m) => m.name));
  });
  for (const m of MODULES) {
    it(`${m.name}: its row lists every alias, and the full Ansible name where it is not ansible.builtin`, () => {
      const cell = rows.get(m.name) ?? [];
      expect(cell).toEqual(m.aliases ?? []);
      for (const a of m.aliases ?? []) if (NOT_BUILTIN[a]) expect(cell, `${a} is ${NOT_BUILTIN[a]} in Ansible`).toContain(NOT_BUILTIN[a]);
    });
  }
});
