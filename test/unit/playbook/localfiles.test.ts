// Load-time checks of controller files (issue 10 #7): a missing literal copy src, a missing
// template, a template with a syntax error or an unsupported tag fail when the playbook loads,
// before task 1 touches any host.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync, existsSync, rmSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import { main } from "../../../engine/cli/main.js";
import { captureIO } from "../../capture-io.js";
import { testRegistry } from "./test-registry.js";
import { registry } from "../../../modules/index.js";

const dir = mkdtempSync(join(tmpdir(), "keel-localfiles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "templates"));
mkdirSync(join(dir, "files"));
writeFileSync(join(dir, "files", "present.txt"), "here\n");
writeFileSync(join(dir, "templates", "good.j2"), "{% if x %}a{% endif %} {{ y | default('z') }}\n");
writeFileSync(join(dir, "templates", "unclosed.j2"), "line one\n{% if x %}\nno end\n");
writeFileSync(join(dir, "templates", "include.j2"), "a\n{% include 'other.j2' %}\n");
writeFileSync(join(dir, "templates", "badfilter.j2"), "{{ x | nosuchfilter }}\n");

let n = 0;
function playbook(task: string): string {
  const p = join(dir, `pb${n++}.yml`);
  writeFileSync(p, `- hosts: all\n  tasks:\n    - name: first\n      copy: { dest: /tmp/x, content: x }\n    - name: second\n${task}`);
  return p;
}
function loadError(task: string): InputError {
  try {
    loadPlaybook(playbook(task), { registry: testRegistry });
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected a load error");
}

describe("controller files checked at load", () => {
  it("a missing literal copy src, at the src argument", () => {
    const e = loadError("      copy: { dest: /tmp/y, src: missing.txt }\n");
    expect(e.message).toMatch(/file 'missing.txt' not found/);
    expect(e.pos).toMatchObject({ line: 6 });
  });
  it("a copy src that is a folder loads (copied recursively, as Ansible), with or without its trailing slash", () => {
    mkdirSync(join(dir, "files", "confd"), { recursive: true });
    for (const src of ["confd", "confd/"]) expect(() => loadPlaybook(playbook(`      copy: { dest: /tmp/y/, src: ${src} }\n`), { registry })).not.toThrow();
  });
  it("a template src that is a folder: refused at load, not an internal error", () => {
    mkdirSync(join(dir, "templates", "tdir"), { recursive: true });
    const e = loadError("      template: { dest: /tmp/y, src: tdir }\n");
    expect(e.message).toMatch(/template: src 'tdir' is a folder/);
    expect(e.pos).toMatchObject({ line: 6 });
  });
  it("a missing template", () => {
    expect(loadError("      template: { dest: /tmp/y, src: nothere.j2 }\n").message).toMatch(/template 'nothere.j2' not found/);
  });
  it("an unclosed {% if %}, at the template's own line", () => {
    const e = loadError("      template: { dest: /tmp/y, src: unclosed.j2 }\n");
    expect(e.message).toMatch(/'\{% if %\}' is not closed/);
    expect(e.pos?.file).toBe(join(dir, "templates", "unclosed.j2"));
    expect(e.hint).toMatch(/used by the task at/);
  });
  it("an unknown filter in a template", () => {
    expect(loadError("      template: { dest: /tmp/y, src: badfilter.j2 }\n").message).toMatch(/unknown filter 'nosuchfilter'/);
  });
  it("{% include %} while keel does not support it", () => {
    let supported = true;
    try {
      loadPlaybook(playbook("      template: { dest: /tmp/y, src: include.j2 }\n"), { registry: testRegistry });
    } catch (e) {
      supported = false;
      expect((e as Error).message).toMatch(/include/);
    }
    // if include support lands, the template's missing other.j2 is what must fail instead
    if (supported) expect(existsSync(join(dir, "templates", "other.j2"))).toBe(false);
  });
  it("copy with remote_src: src is on the host, not looked for on the controller (geerlingguy.containerd)", () => {
    const t = "      copy: { dest: /tmp/y, src: /nowhere/on/the/controller.toml, remote_src: true }\n";
    expect(() => loadPlaybook(playbook(t), { registry })).not.toThrow();
    expect(() => loadPlaybook(playbook(t.replace("true", "false")), { registry })).toThrow(/not found/);
  });
  it("present files, good templates and templated src load", () => {
    for (const t of [
      "      copy: { dest: /tmp/y, src: present.txt }\n",
      "      template: { dest: /tmp/y, src: good.j2 }\n",
      '      template: { dest: /tmp/y, src: "{{ which }}.j2" }\n',
    ]) {
      expect(() => loadPlaybook(playbook(t), { registry: testRegistry })).not.toThrow();
    }
  });
  it("keel run: a templated copy src that is a folder is copied recursively; drift is clean, then sees a tampered file; unarchive of a folder fails naming it", async () => {
    mkdirSync(join(dir, "files", "confd", "sub"), { recursive: true });
    writeFileSync(join(dir, "files", "confd", "a.conf"), "a=1\n");
    writeFileSync(join(dir, "files", "confd", "sub", "b.conf"), "b=2\n");
    const out = join(dir, "out");
    const p = join(dir, "rundir.yml");
    writeFileSync(p, `- hosts: all\n  gather_facts: false\n  vars: { d: confd }\n  tasks:\n    - copy: { dest: ${out}/, src: "{{ d }}", mode: "0600" }\n`);
    writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    const o = captureIO();
    expect(await main(["run", p, "-i", join(dir, "inv.yml")], o), o.stdout + o.stderr).toBe(0);
    expect(readFileSync(join(out, "confd", "sub", "b.conf"), "utf8")).toBe("b=2\n");
    expect(statSync(join(out, "confd", "a.conf")).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, "confd", "sub")).mode & 0o777).toBe(0o755);
    const d1 = captureIO();
    expect(await main(["drift", p, "-i", join(dir, "inv.yml")], d1), d1.stdout + d1.stderr).toBe(0);
    writeFileSync(join(out, "confd", "sub", "b.conf"), "tampered\n");
    const d2 = captureIO();
    expect(await main(["drift", p, "-i", join(dir, "inv.yml")], d2)).toBe(2);
    expect(d2.stdout).toMatch(/sub\/b\.conf: content differs/);
    const u = join(dir, "unarchive.yml");
    writeFileSync(u, `- hosts: all\n  gather_facts: false\n  tasks:\n    - unarchive: { dest: ${out}/, src: confd }\n`);
    const o2 = captureIO();
    expect(await main(["run", u, "-i", join(dir, "inv.yml")], o2)).toBe(2);
    expect(o2.stdout + o2.stderr).toMatch(/src 'confd' is a folder .*this module reads one file/);
    expect(o2.stdout + o2.stderr).not.toMatch(/internal error|EISDIR/);
  });
  it("keel run: exit 1 and task 1 did not write", async () => {
    const out = join(dir, "written-by-task-1");
    const p = join(dir, "run.yml");
    writeFileSync(
      p,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { dest: ${out}, content: x }\n    - template: { dest: ${out}.2, src: unclosed.j2 }\n`,
    );
    writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    const o = captureIO();
    expect(await main(["run", p, "-i", join(dir, "inv.yml")], o)).toBe(1);
    expect(o.stderr).toMatch(/unclosed\.j2:\d+:\d+: '\{% if %\}' is not closed/);
    expect(existsSync(out)).toBe(false);
  });
});
