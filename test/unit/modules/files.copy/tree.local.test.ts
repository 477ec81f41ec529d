// files.copy of a controller folder through `keel run` on the local connection (the probe, diff and
// apply of modules/files/copy-tree.ts on real files): backup and validate apply per file as in
// Ansible (a backup beside each replaced file; a file failing validate is not installed and fails
// the task), check mode lists each file that would change and writes nothing, a converged run is
// one round trip and changes nothing. The comparison with Ansible is test/e2e/copy-tree.test.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../../../engine/cli/main.js";
import { captureIO } from "../../../capture-io.js";

const dir = mkdtempSync(join(tmpdir(), "keel-copytree-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "files", "conf", "sub"), { recursive: true });
writeFileSync(join(dir, "files", "conf", "a.conf"), "a=1\n");
writeFileSync(join(dir, "files", "conf", "sub", "b.conf"), "b=2\n");
writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
const out = join(dir, "out");

async function run(task: string, ...extra: string[]) {
  const p = join(dir, "pb.yml");
  writeFileSync(p, `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: t\n      copy: { src: conf/, dest: ${out}/, ${task} }\n`);
  const o = captureIO();
  const code = await main(["run", p, "-i", join(dir, "inv.yml"), ...extra], o);
  return { code, text: o.stdout + o.stderr };
}

describe("files.copy of a folder, locally", () => {
  it("check mode lists each file and writes nothing; a run writes; a converged run is one round trip with nothing changed", async () => {
    const c = await run("mode: '0600'", "--check");
    expect(c.code, c.text).toBe(0);
    expect(c.text).toContain(`file ${out}/a.conf missing`);
    expect(c.text).toContain(`file ${out}/sub/b.conf missing`);
    expect(() => readdirSync(out)).toThrow();
    expect((await run("mode: '0600'")).code).toBe(0);
    const again = await run("mode: '0600'");
    expect(again.text).toMatch(/changed=0 .*round_trips=1\b/);
  });
  it("backup: a timestamped copy beside each replaced file, none for an unchanged one", async () => {
    writeFileSync(join(out, "sub", "b.conf"), "b=old\n");
    const r = await run("backup: true");
    expect(r.code, r.text).toBe(0);
    const backups = readdirSync(join(out, "sub")).filter((f) => f.startsWith("b.conf.") && f !== "b.conf");
    expect(backups.length).toBe(1);
    expect(readFileSync(join(out, "sub", backups[0]!), "utf8")).toBe("b=old\n");
    expect(readdirSync(out).filter((f) => f.startsWith("a.conf."))).toEqual([]);
  });
  it("validate runs on each file written: one that fails is not installed and fails the task", async () => {
    writeFileSync(join(out, "a.conf"), "a=old\n");
    const r = await run("validate: 'grep -q zzz %s'");
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/failed +localhost +t /);
    expect(readFileSync(join(out, "a.conf"), "utf8")).toBe("a=old\n");
  });
  it("checksum names one file's SHA1: refused with a folder src, nothing written", async () => {
    rmSync(out, { recursive: true, force: true });
    const r = await run("checksum: 0123456789abcdef0123456789abcdef01234567");
    expect(r.code).toBe(2);
    expect(r.text).toContain("checksum names the SHA1 of one file; src 'conf/' is a folder");
    expect(() => readdirSync(out)).toThrow();
  });
});
