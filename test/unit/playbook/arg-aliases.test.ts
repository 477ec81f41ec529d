// Ansible's alias spellings of module arguments (`createhome`, sysctl's `key`/`val`, timezone's
// `rtc`, ufw's `if_in`): folded into the canonical argument at load, in both the mapping and the
// key=value forms; both spellings with different values is an error at the alias.
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { registry } from "../../../modules/index.js";
import { playbookSchema } from "../../../engine/playbook/schema.js";
import type { Task } from "../../../engine/core/plan.js";

function load(tasksYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "keel-argalias-"));
  writeFileSync(join(dir, "site.yml"), `- hosts: all\n  tasks:\n${tasksYaml}`);
  return loadPlaybook(join(dir, "site.yml"), { registry });
}

describe("argument aliases", () => {
  it("folds each alias into its canonical argument", () => {
    const plan = load(
      [
        "    - user: name=deploy createhome=no",
        "    - user: { user: app, createhome: true }",
        "    - sysctl: key=net.ipv4.ip_forward val=1",
        "    - timezone: { name: UTC, rtc: UTC }",
        "    - ufw: { rule: allow, if_in: eth0 }",
        "",
      ].join("\n"),
    );
    const args = (plan.plays[0]!.tasks as Task[]).map((t) => t.args);
    expect(args[0]).toEqual({ name: "deploy", create_home: false });
    expect(args[1]).toEqual({ name: "app", create_home: true });
    expect(args[2]).toMatchObject({ name: "net.ipv4.ip_forward", value: "1" });
    expect(args[2]).not.toHaveProperty("key");
    expect(args[3]).toEqual({ name: "UTC", hwclock: "UTC" });
    expect(args[4]).toMatchObject({ interface_in: "eth0" });
  });

  it("an empty package list (a role's default `[]`) loads under every name and spelling, as Ansible's apt does nothing with it", () => {
    const plan = load(
      ["    - apt: { name: [] }", "    - package: { name: [], state: present }", "    - ansible.builtin.apt: { pkg: [], update_cache: true }", ""].join("\n"),
    );
    const args = (plan.plays[0]!.tasks as Task[]).map((t) => t.args);
    expect(args[0]).toMatchObject({ name: [] });
    expect(args[1]).toMatchObject({ name: [] });
    expect(args[2]).toMatchObject({ pkg: [], update_cache: true });
  });

  it("lineinfile/blockinfile's destfile and systemd_service's service/unit, as Ansible spells them", () => {
    const plan = load(
      [
        "    - lineinfile: { destfile: /etc/x.conf, line: a }",
        "    - blockinfile: { destfile: /etc/y.conf, block: b }",
        "    - systemd_service: { unit: nginx, state: started }",
        "    - systemd: { service: nginx, enabled: true }",
        "",
      ].join("\n"),
    );
    const args = (plan.plays[0]!.tasks as Task[]).map((t) => t.args);
    expect(args[0]).toEqual({ path: "/etc/x.conf", line: "a" });
    expect(args[1]).toEqual({ path: "/etc/y.conf", block: "b" });
    expect(args[2]).toEqual({ name: "nginx", state: "started" });
    expect(args[3]).toEqual({ name: "nginx", enabled: true });
  });

  it("the same value under both spellings is accepted; different values are an error at the alias", () => {
    expect((load("    - user: { name: a, user: a }\n").plays[0]!.tasks[0] as Task).args).toEqual({ name: "a" });
    expect((load("    - user: { name: a, createhome: no, create_home: false }\n").plays[0]!.tasks[0] as Task).args).toEqual({ name: "a", create_home: false });
    expect(() => load("    - user: { name: a, createhome: no, create_home: yes }\n")).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/'createhome' is an alias of 'create_home'/), pos: expect.objectContaining({ line: 3 }) }),
    );
  });

  it("the editor schema accepts the aliases", () => {
    const s = JSON.stringify(playbookSchema(registry));
    expect(s).toContain('"createhome"');
  });
});
