// Modules that need no facts in Ansible need none in keel: with gather_facts: false, apt finds
// apt-get itself, package finds the host's manager in its own probe, and dnf/yum on a Debian host
// fail naming what they looked for (issue 16). Check mode on a shared lab host: nothing changes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { HOSTS, INVENTORY, describeLab, keel } from "./lab.js";

describeLab("package modules without facts (gather_facts: false)", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-nofacts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pb = (name: string, tasks: string) => {
    const p = join(dir, name);
    writeFileSync(p, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
    return p;
  };

  it("apt (with its pkg alias and a noted argument) and package probe and diff without facts", async () => {
    const p = pb(
      "ok.yml",
      [
        "    - name: apt with pkg",
        "      apt: { pkg: [bash, coreutils], state: present, force_apt_get: true }",
        "    - name: package",
        "      package: { name: bash }",
        "    - name: apt absent",
        "      ansible.builtin.apt: { name: keel-no-such-package-installed, state: absent }",
        "",
      ].join("\n"),
    );
    const r = await keel(["run", p, "-i", INVENTORY, "--limit", HOSTS[0]!.name, "--check", "-v"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/no package manager backend/);
    expect(r.stdout).toMatch(/ok +\S+ +apt with pkg +\(packages\.apt packages bash, coreutils\)/);
    expect(r.stdout).toMatch(/changed=0/);
  }, 120_000);

  it("dnf and yum on a Debian host fail naming the managers they looked for", async () => {
    const p = pb("dnf.yml", "    - name: dnf here\n      yum: { name: bash, enablerepo: epel }\n");
    const r = await keel(["run", p, "-i", INVENTORY, "--limit", HOSTS[0]!.name, "--check"]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/dnf here.*\n.*dnf: no package manager for this module on the host \(looked for dnf, yum\)/);
  }, 120_000);

  it("an argument keel does not implement stops the load, naming it, before any host", async () => {
    // apt implements every argument since session 12 (deb, force, clean…); dnf still refuses allowerasing
    const p = pb("erase.yml", "    - name: erase\n      dnf: { name: bash, allowerasing: true }\n");
    const r = await keel(["run", p, "-i", INVENTORY, "--limit", HOSTS[0]!.name, "--check"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/erase\.yml:5:\d+: .*dnf: the argument allowerasing is not implemented by keel/);
    expect(r.stderr).toMatch(/hint: keel does not let dnf erase packages/);
  }, 120_000);
});
