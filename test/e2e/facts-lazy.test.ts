// Lazy facts (engine/facts/needs.ts) on a real host: a playbook that reads only keel's own facts
// gets the short probe and still sees them; one that reads an Ansible fact outside that set
// (hardware, network, python) still gets it. Read-only (debug) on a shared lab host.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { HOSTS, INVENTORY, describeLab, keel } from "./lab.js";

describeLab("lazy facts", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-lazyfacts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const host = HOSTS[0]!;
  const run = (name: string, msg: string) => {
    const p = join(dir, name);
    writeFileSync(p, `- hosts: all\n  tasks:\n    - name: show\n      debug:\n        msg: "${msg}"\n`);
    // the phase marks name the analysis' decision (and why everything is gathered)
    return keel(["run", p, "-i", INVENTORY, "--limit", host.name], { env: { KEEL_PROFILE_PHASES: "1" } });
  };

  it("a playbook that reads only keel's own facts gathers those, and sees them", async () => {
    const r = await run("free.yml", "os={{ facts.os_pretty }} ip={{ facts.ipv4 }} pkg={{ facts.pkg_mgr }}");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/facts: keel's own/);
    expect(r.stdout).toContain(`os=Debian GNU/Linux 12 (bookworm) ip=${host.address} pkg=apt`);
  }, 120_000);

  it("a playbook that reads Ansible facts gets them all", async () => {
    const r = await run("reads.yml", "vcpus={{ ansible_processor_vcpus }} ip={{ ansible_default_ipv4.address }} py={{ ansible_python_version }}");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/facts: all \(task 'show' at .*reads\.yml:3:\d+ reads 'ansible_processor_vcpus'\)/);
    expect(r.stdout).toMatch(new RegExp(`vcpus=[1-9]\\d* ip=${host.address.replace(/\./g, "\\.")} py=3\\.\\d+\\.\\d+`));
  }, 120_000);
});
