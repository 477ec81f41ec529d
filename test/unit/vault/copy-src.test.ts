// A vault-encrypted file sent by copy (src) or template is decrypted with the run's vault password,
// as Ansible's copy (decrypt: yes) and template do: the host gets the plaintext, never the ciphertext
// by accident, and the plaintext is masked in every output. Without a password the task fails before
// anything is written; decrypt: false sends the file as it is.
import { describe, it, expect, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { clearSecrets } from "../../../engine/core/secrets.js";
import { setVaultSecrets } from "../../../engine/vault/keyring.js";
import { encryptVault } from "../../../engine/vault/format.js";

const dir = mkdtempSync(join(tmpdir(), "keel-vault-src-"));
const p = (n: string) => join(dir, n);
const PW = "correct horse battery staple";
const SECRET = "db_password=vaulted-file-secret-42\napi_key=second-line-secret-77\n";

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  clearSecrets();
  setVaultSecrets([]);
});

async function keel(...args: string[]) {
  const o = io();
  const rc = await main(args, o);
  return { rc, out: o.stdout, err: o.stderr };
}

mkdirSync(p("files"));
mkdirSync(p("templates"));
writeFileSync(p("pw"), PW + "\n");
writeFileSync(p("files/app.conf"), encryptVault(Buffer.from(SECRET), Buffer.from(PW)));
writeFileSync(p("templates/app.j2"), encryptVault(Buffer.from("host={{ inventory_hostname }}\ntoken=templated-secret-99\n"), Buffer.from(PW)));
const playbook = (extra = "") =>
  `- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { src: app.conf, dest: ${p("out/app.conf")}${extra} }
    - template: { src: app.j2, dest: ${p("out/app.txt")} }
`;

describe("copy and template of a vault-encrypted src", () => {
  it("write the plaintext and show none of it (terminal -vv --diff, --json)", async () => {
    mkdirSync(p("out"), { recursive: true });
    writeFileSync(p("pb.yml"), playbook());
    const r = await keel("run", p("pb.yml"), "-c", "local", "--vault-password-file", p("pw"), "-vv", "--diff", "--json", p("r.json"));
    expect(r.err).toBe("");
    expect(r.rc).toBe(0);
    expect(readFileSync(p("out/app.conf"), "utf8")).toBe(SECRET);
    expect(readFileSync(p("out/app.txt"), "utf8")).toBe("host=localhost\ntoken=templated-secret-99\n");
    const all = r.out + readFileSync(p("r.json"), "utf8");
    for (const s of ["vaulted-file-secret-42", "second-line-secret-77", "templated-secret-99", "$ANSIBLE_VAULT"]) expect(all).not.toContain(s);
  });

  it("fail without a vault password, naming the file, and write nothing", async () => {
    rmSync(p("out"), { recursive: true, force: true });
    mkdirSync(p("out"));
    clearSecrets();
    setVaultSecrets([]);
    writeFileSync(p("pb.yml"), playbook());
    const r = await keel("run", p("pb.yml"), "-c", "local");
    expect(r.rc).not.toBe(0);
    expect(r.out + r.err).toMatch(/app\.conf is encrypted with ansible-vault, and keel has no vault password/);
    expect(existsSync(p("out/app.conf"))).toBe(false);
  });

  it("decrypt: false copies the vault file as it is (Ansible's copy)", async () => {
    writeFileSync(p("pb.yml"), playbook(", decrypt: false"));
    const r = await keel("run", p("pb.yml"), "-c", "local", "--vault-password-file", p("pw"));
    expect(r.rc).toBe(0);
    expect(readFileSync(p("out/app.conf"), "utf8")).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  });
});
