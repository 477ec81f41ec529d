// keel vault ⇄ ansible-vault (ansible-core on this machine), both directions: files with and
// without vault ids, encrypt_string, rekey, edit, executable password files and client scripts.
// Writes are mode 0600. Skipped only where ansible-vault is not installed.
// Ansible → keel: what ansible-vault encrypted (files, an encrypt_string) is replayed from
// test/recordings/ansible/ansible-roundtrip-ciphertexts.json while its key holds (the plaintexts,
// passwords and ansible-vault commands, the installed ansible-core/ansible/python3); else, and with
// KEEL_ANSIBLE_LIVE=1, ansible-vault encrypts them live (KEEL_ANSIBLE_RECORD=1 also rewrites the
// recording). keel → Ansible: keel's ciphertexts are new every run (random salts), so ansible-vault
// reads them live.
import { describe, it, expect, afterAll, beforeEach } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, statSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { spawnAsync } from "../../spawn.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { clearSecrets } from "../../../engine/core/secrets.js";
import { recordingFile, replayOrRun, sha256 } from "../../ansible-record.js";
import { debianVersions } from "../recorded-batch.js";

const hasAnsible = spawnSync("ansible-vault", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "keel-vault-rt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => clearSecrets());
const p = (n: string) => join(dir, n);

async function keel(...args: string[]) {
  const o = io();
  const rc = await main(args, o);
  return { rc, out: o.stdout, err: o.stderr };
}
async function ansibleVault(...args: string[]): Promise<{ rc: number; out: string; err: string }> {
  const r = await spawnAsync("ansible-vault", args, { cwd: dir, env: { ...process.env, ANSIBLE_CONFIG: join(dir, "none.cfg") } });
  return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const PLAIN = "db_password: rt-secret-one\nlist: [1, 2]\n";
const PASSWORDS = { pw: "first password\n", pw2: "second password\n" };
for (const [n, text] of Object.entries(PASSWORDS)) writeFileSync(p(n), text);
/** What ansible-vault encrypts for the Ansible → keel tests: each as [ansible-vault arguments, the file (or "-": stdout)]. */
const ANSIBLE_MADE: Record<string, [string[], string]> = {
  pw: [["encrypt", "--vault-password-file", "pw", "x.yml"], "x.yml"],
  devPw2: [["encrypt", "--vault-id", "dev@pw2", "x.yml"], "x.yml"],
  pw2: [["encrypt", "--vault-password-file", "pw2", "x.yml"], "x.yml"],
  token: [["encrypt_string", "--vault-id", "dev@pw2", "--name", "token", "ansible-made-value-5"], "-"],
};
/** ansible-vault's outputs for ANSIBLE_MADE: recorded, or made live in a folder of their own. */
async function ansibleMade(): Promise<Record<string, string>> {
  const made = await replayOrRun(
    "ansible-roundtrip-ciphertexts",
    { plain: sha256(PLAIN), passwords: sha256(JSON.stringify(PASSWORDS)), commands: JSON.stringify(ANSIBLE_MADE), python: debianVersions(["python3"]) },
    async () => {
      const out: Record<string, string> = {};
      const d = mkdtempSync(join(tmpdir(), "keel-vault-made-"));
      try {
        for (const [n, text] of Object.entries(PASSWORDS)) writeFileSync(join(d, n), text);
        for (const [name, [args, file]] of Object.entries(ANSIBLE_MADE)) {
          writeFileSync(join(d, "x.yml"), PLAIN);
          const r = await spawnAsync("ansible-vault", args, { cwd: d, env: { ...process.env, ANSIBLE_CONFIG: join(d, "none.cfg") } });
          if (r.status !== 0) throw new Error(`ansible-vault ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
          out[name] = file === "-" ? r.stdout : readFileSync(join(d, file), "utf8");
        }
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
      return out;
    },
  );
  console.log(`ansible-vault's ciphertexts: ${made.source}`);
  return made.value;
}
let made: Promise<Record<string, string>> | undefined;
/** ansible-vault's output `name` (written to `file` unless it is an encrypt_string), and a message for keel's assertions on it. */
async function fromAnsible(name: string, file?: string): Promise<{ text: string; from: string }> {
  made ??= ansibleMade();
  const text = (await made)[name]!;
  if (file) writeFileSync(p(file), text);
  return {
    text,
    from: `ansible-vault's output '${name}' from ${recordingFile("ansible-roundtrip-ciphertexts")} (if recorded: re-run with KEEL_ANSIBLE_LIVE=1 to compare with a live Ansible)`,
  };
}
/** The vault text of a `name: !vault |` block, dedented (what ansible-vault view reads). */
function blockText(yaml: string): string {
  return (
    yaml
      .split("\n")
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean)
      .join("\n") + "\n"
  );
}

describe.skipIf(!hasAnsible)("keel vault and ansible-vault, both directions", () => {
  it("keel encrypt (no vault id: 1.1) → ansible-vault view; the file becomes mode 0600", async () => {
    writeFileSync(p("a.yml"), PLAIN, { mode: 0o644 });
    const r = await keel("vault", "encrypt", "--vault-password-file", p("pw"), p("a.yml"));
    expect(r.rc).toBe(0);
    expect(r.err).toContain("Encryption successful");
    expect(readFileSync(p("a.yml"), "utf8").split("\n")[0]).toBe("$ANSIBLE_VAULT;1.1;AES256");
    expect(statSync(p("a.yml")).mode & 0o777).toBe(0o600);
    expect(await ansibleVault("view", "--vault-password-file", "pw", "a.yml")).toMatchObject({ rc: 0, out: PLAIN });
  });

  it("keel encrypt --vault-id prod@FILE (1.2) → ansible-vault decrypt", async () => {
    writeFileSync(p("b.yml"), PLAIN);
    expect((await keel("vault", "encrypt", "--vault-id", `prod@${p("pw")}`, p("b.yml"))).rc).toBe(0);
    expect(readFileSync(p("b.yml"), "utf8").split("\n")[0]).toBe("$ANSIBLE_VAULT;1.2;AES256;prod");
    expect((await ansibleVault("decrypt", "--vault-id", "prod@pw", "b.yml")).rc).toBe(0);
    expect(readFileSync(p("b.yml"), "utf8")).toBe(PLAIN);
  });

  it("ansible-vault encrypt (with and without vault id) → keel vault view and decrypt", async () => {
    const c = await fromAnsible("pw", "c.yml");
    const d = await fromAnsible("devPw2", "d.yml");
    expect(c.text.split("\n")[0], c.from).toBe("$ANSIBLE_VAULT;1.1;AES256");
    expect(d.text.split("\n")[0], d.from).toBe("$ANSIBLE_VAULT;1.2;AES256;dev");
    expect(await keel("vault", "view", "--vault-password-file", p("pw"), p("c.yml")), c.from).toMatchObject({ rc: 0, out: PLAIN });
    // two passwords given: the one labelled like the file is tried first, either fits by content
    expect(await keel("vault", "view", "--vault-id", `x@${p("pw")}`, "--vault-id", `dev@${p("pw2")}`, p("d.yml")), d.from).toMatchObject({ rc: 0, out: PLAIN });
    expect((await keel("vault", "decrypt", "--vault-id", `dev@${p("pw2")}`, p("d.yml"))).rc, d.from).toBe(0);
    expect(readFileSync(p("d.yml"), "utf8")).toBe(PLAIN);
    expect(statSync(p("d.yml")).mode & 0o777).toBe(0o600);
  });

  it("a wrong password: exit 1, a clear message, the file untouched", async () => {
    await fromAnsible("pw", "e.yml");
    const before = readFileSync(p("e.yml"), "utf8");
    const r = await keel("vault", "decrypt", "--vault-password-file", p("pw2"), p("e.yml"));
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/decryption failed: none of the vault passwords given \(vault ids: default\) fits/);
    expect(readFileSync(p("e.yml"), "utf8")).toBe(before);
  });

  it("keel encrypt_string (with and without id) → ansible-vault; ansible-vault encrypt_string → keel loads it", async () => {
    const r = await keel("vault", "encrypt_string", "--vault-password-file", p("pw"), "--name", "api_key", "keel-made-value-3");
    expect(r.rc).toBe(0);
    expect(r.out).toMatch(/^api_key: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n( {10}[0-9a-f]{1,80}\n)+$/);
    writeFileSync(p("s1"), blockText(r.out));
    // decrypt --output=- writes the exact bytes (view adds a newline)
    expect(await ansibleVault("decrypt", "--output=-", "--vault-password-file", "pw", "s1")).toMatchObject({ rc: 0, out: "keel-made-value-3" });
    const r2 = await keel("vault", "encrypt_string", "--vault-id", `ops@${p("pw2")}`, "keel-made-value-4");
    expect(r2.out.split("\n")[1]!.trim()).toBe("$ANSIBLE_VAULT;1.2;AES256;ops");
    writeFileSync(p("s2"), blockText(r2.out));
    expect(await ansibleVault("decrypt", "--output=-", "--vault-id", "ops@pw2", "s2")).toMatchObject({ rc: 0, out: "keel-made-value-4" });

    const a = await fromAnsible("token");
    writeFileSync(p("vars-inline.yml"), a.text + "\nplain: x\n");
    writeFileSync(
      p("pb.yml"),
      `- hosts: localhost\n  gather_facts: false\n  vars_files: [vars-inline.yml]\n  tasks:\n    - copy: { dest: ${p("out.txt")}, content: "{{ token }}" }\n`,
    );
    const run = await keel("run", p("pb.yml"), "-c", "local", "--vault-id", `dev@${p("pw2")}`);
    expect(run.rc, a.from).toBe(0);
    expect(readFileSync(p("out.txt"), "utf8"), a.from).toBe("ansible-made-value-5");
  });

  it("rekey to a new vault id: ansible-vault opens it with the new password only", async () => {
    const f = await fromAnsible("pw", "f.yml");
    const r = await keel("vault", "rekey", "--vault-password-file", p("pw"), "--new-vault-id", `new@${p("pw2")}`, p("f.yml"));
    expect(r.rc, f.from).toBe(0);
    expect(readFileSync(p("f.yml"), "utf8").split("\n")[0]).toBe("$ANSIBLE_VAULT;1.2;AES256;new");
    expect((await ansibleVault("view", "--vault-password-file", "pw", "f.yml")).rc).not.toBe(0);
    expect(await ansibleVault("view", "--vault-id", "new@pw2", "f.yml")).toMatchObject({ rc: 0, out: PLAIN });
  });

  it("edit runs $EDITOR on the plaintext and re-encrypts with the same vault id", async () => {
    const g = await fromAnsible("devPw2", "g.yml");
    writeFileSync(p("ed.sh"), `#!/bin/sh\nprintf 'added: yes\\n' >> "$1"\n`);
    chmodSync(p("ed.sh"), 0o755);
    const old = process.env.EDITOR;
    process.env.EDITOR = p("ed.sh");
    try {
      expect((await keel("vault", "edit", "--vault-id", `dev@${p("pw2")}`, p("g.yml"))).rc, g.from).toBe(0);
    } finally {
      process.env.EDITOR = old;
    }
    expect(readFileSync(p("g.yml"), "utf8").split("\n")[0]).toBe("$ANSIBLE_VAULT;1.2;AES256;dev");
    expect((await ansibleVault("view", "--vault-id", "dev@pw2", "g.yml")).out).toBe(PLAIN + "added: yes\n");
  });

  it("an executable password file runs (its stdout is the password); a -client script gets --vault-id LABEL", async () => {
    writeFileSync(p("pass.sh"), `#!/bin/sh\necho 'second password'\n`);
    chmodSync(p("pass.sh"), 0o755);
    const h = await fromAnsible("pw2", "h.yml");
    expect(await keel("vault", "view", "--vault-password-file", p("pass.sh"), p("h.yml")), h.from).toMatchObject({ rc: 0, out: PLAIN });
    writeFileSync(p("kr-client.sh"), `#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = dev ] && echo 'second password' && exit 0\nexit 2\n`);
    chmodSync(p("kr-client.sh"), 0o755);
    expect(await keel("vault", "view", "--vault-id", `dev@${p("kr-client.sh")}`, p("h.yml")), h.from).toMatchObject({ rc: 0, out: PLAIN });
    const r = await keel("vault", "view", "--vault-id", `prod@${p("kr-client.sh")}`, p("h.yml"));
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/client script .* has no password for vault id 'prod'/);
  });
});
