// Vaulted vars_files, group_vars/host_vars files, inline !vault values and vaulted inventories are
// decrypted with the run's vault password; decrypted values never reach output, --json or --log.
import { describe, it, expect, afterAll, beforeEach } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { clearSecrets } from "../../../engine/core/secrets.js";
import { setVaultSecrets } from "../../../engine/vault/keyring.js";
import { encryptVault } from "../../../engine/vault/format.js";
import { loadInventory } from "../../../engine/inventory/index.js";

const dir = mkdtempSync(join(tmpdir(), "keel-vault-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  clearSecrets();
  setVaultSecrets([]);
});
const p = (n: string) => join(dir, n);
const fx = (n: string) => join(__dirname, "fixtures", n);
const PW = "correct horse battery staple";
writeFileSync(p("pw"), PW + "\n");
const enc = (text: string, id = "default") => encryptVault(Buffer.from(text), Buffer.from(PW), id);
const inline = (text: string, indent: number) =>
  "!vault |\n" +
  enc(text)
    .trimEnd()
    .split("\n")
    .map((l) => " ".repeat(indent) + l)
    .join("\n") +
  "\n";

async function keel(...args: string[]) {
  const o = io();
  const rc = await main(args, o);
  return { rc, out: o.stdout, err: o.stderr };
}

describe("a run with vaulted variables", () => {
  copyFileSync(fx("v11.yml"), p("secrets.yml")); // ansible-vault's file: db_password: ansible-made-secret-1
  writeFileSync(p("inline.yml"), `api_token: ${inline("inline-token-value-7", 2)}`);
  writeFileSync(
    p("pb.yml"),
    `- hosts: localhost
  gather_facts: false
  vars_files: [secrets.yml, inline.yml]
  vars: { plain_user: root }
  tasks:
    - name: "show {{ db_password }}"
      debug: { msg: "the password is {{ db_password }}" }
    - copy: { dest: ${p("conf.txt")}, content: "pw={{ db_password }} token={{ api_token }}\\n" }
    - command: echo {{ api_token }}
      changed_when: false
    - debug: { msg: "port {{ port }} comes from the vaulted file" }
    - debug: { msg: "user {{ plain_user }} is not secret" }
`,
  );

  it("decrypts, writes the real values to the host, and shows none of them (terminal, --json, --log)", async () => {
    const r = await keel("run", p("pb.yml"), "-c", "local", "--vault-password-file", p("pw"), "-vv", "--diff", "--json", p("r.json"), "--log", p("r.log"));
    expect(r.err).toBe("");
    expect(r.rc).toBe(0);
    expect(readFileSync(p("conf.txt"), "utf8")).toBe("pw=ansible-made-secret-1 token=inline-token-value-7\n");
    const all = r.out + readFileSync(p("r.json"), "utf8") + readFileSync(p("r.log"), "utf8");
    for (const s of ["ansible-made-secret-1", "inline-token-value-7"]) expect(all).not.toContain(s);
    // a name that renders a vaulted variable is shown as written, as under no_log
    expect(r.out).toContain("show {{ db_password }}");
    const json = JSON.parse(readFileSync(p("r.json"), "utf8")) as { events: Array<{ type: string; result?: { secret: boolean; msg?: string } }> };
    const results = json.events.filter((e) => e.type === "task.result");
    // every task that reads a variable of a vaulted file (a number too) is masked whole; a task
    // without one stays readable, whatever the vault files hold
    expect(results.map((e) => e.result!.secret)).toEqual([true, true, true, true, false]);
    expect(results[4]!.result!.msg).toBe("user root is not secret");
  });

  it("without a password: a load error at the file, nothing touched", async () => {
    rmSync(p("conf.txt"), { force: true });
    const r = await keel("run", p("pb.yml"), "-c", "local");
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/secrets\.yml:1:1: this file is encrypted with ansible-vault, and keel has no vault password/);
    expect(r.err).toMatch(/hint: give the vault password: --vault-password-file/);
  });

  it("a wrong password: a load error naming the file", async () => {
    writeFileSync(p("bad"), "nope\n");
    const r = await keel("run", p("pb.yml"), "-c", "local", "--vault-password-file", p("bad"));
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/secrets\.yml:1:1: this file: decryption failed/);
  });

  it("ANSIBLE_VAULT_PASSWORD_FILE is a password source", async () => {
    process.env.ANSIBLE_VAULT_PASSWORD_FILE = p("pw");
    try {
      expect((await keel("run", p("pb.yml"), "-c", "local")).rc).toBe(0);
    } finally {
      delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    }
  });
});

describe("vaulted inventories", () => {
  mkdirSync(p("inv/group_vars"), { recursive: true });
  mkdirSync(p("inv/host_vars"), { recursive: true });
  writeFileSync(p("inv/hosts.yml"), "all:\n  hosts:\n    web1:\n    web2:\n");
  writeFileSync(p("inv/group_vars/all.yml"), enc("vault_db: group-secret-8\n", "prod"));
  writeFileSync(p("inv/host_vars/web1.yml"), `plain: visible\nhost_secret: ${inline("host-secret-9", 2)}`);
  writeFileSync(p("inv.ini"), enc("[web]\nweb3 ansible_host=10.0.0.3 pw=ini-secret-10\n"));

  it("group_vars files, host_vars !vault values and vaulted INI inventories decrypt", async () => {
    setVaultSecrets([{ id: "default", password: Buffer.from(PW), source: "test" }]);
    const inv = await loadInventory([p("inv"), p("inv.ini")]);
    expect(inv.hostVars("web1")).toMatchObject({ vault_db: "group-secret-8", host_secret: "host-secret-9", plain: "visible" });
    expect(inv.hostVars("web3")).toMatchObject({ pw: "ini-secret-10" });
  });

  it("keel inventory --list shows them masked", async () => {
    const r = await keel("inventory", "-i", p("inv"), "--list", "--vault-id", `prod@${p("pw")}`);
    expect(r.rc).toBe(0);
    expect(r.out).toContain('"plain": "visible"');
    expect(r.out).toContain('"host_secret": "(secret)"');
    expect(r.out).not.toMatch(/group-secret-8|host-secret-9/);
  });

  it("an inline !vault without a password is a load error at its line", async () => {
    writeFileSync(p("inline-inv.yml"), `all:\n  hosts:\n    h1:\n      pw: ${inline("x-secret", 8)}`);
    await expect(loadInventory([p("inline-inv.yml")])).rejects.toThrow(/vaulted value \(!vault\) but no vault password/);
  });
});
