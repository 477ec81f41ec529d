// A module called by its Ansible name gets Ansible's defaults (engine/playbook/ansible-defaults.ts);
// by keel's name, keel's. An explicit argument always wins.
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { registry } from "../../../modules/index.js";
import type { Task } from "../../../engine/core/plan.js";

function argsOf(taskYaml: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "keel-ansible-defaults-"));
  writeFileSync(join(dir, "site.yml"), `- hosts: all\n  tasks:\n    - ${taskYaml}\n`);
  const plan = loadPlaybook(join(dir, "site.yml"), { registry });
  return (plan.plays[0]!.tasks[0] as Task).args;
}

describe("defaults that follow the module's name", () => {
  it.each([
    ["ansible.posix.sysctl: { name: net.ipv4.ip_forward, value: 0 }", "/etc/sysctl.conf"],
    ["sysctl: name=net.ipv4.ip_forward value=0", "/etc/sysctl.conf"],
    ["system.sysctl: { name: net.ipv4.ip_forward, value: 0 }", undefined],
    ["sysctl: { name: net.ipv4.ip_forward, value: 0, sysctl_file: /etc/sysctl.d/60-x.conf }", "/etc/sysctl.d/60-x.conf"],
  ])("%s → sysctl_file %s", (task, file) => {
    expect(argsOf(task).sysctl_file).toBe(file);
  });
});

describe("community.general.ufw drives ufw", () => {
  it.each([
    ["community.general.ufw: { state: enabled }", "ufw"],
    ["ufw: state=enabled", "ufw"],
    ["firewall.rule: { state: enabled }", undefined],
    ["firewall.rule: { state: enabled, backend: ufw }", "ufw"],
    ["ufw: { state: enabled, backend: auto }", "auto"],
  ])("%s → backend %s", (task, backend) => {
    expect(argsOf(task).backend).toBe(backend);
  });
});
