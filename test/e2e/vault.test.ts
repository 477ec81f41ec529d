// Ansible Vault end to end on a real SSH host (issue 16): a vaulted group_vars file made with
// `keel vault encrypt`, a plain vars file naming its variables (Ansible's advice), a template, a
// user's password hash and commands that use them. The host gets the real values; no output,
// report or history holds them, nor what templates made of them (base64, the hash); a task that
// reads no vaulted variable stays readable although the vault file holds its value ("root").
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, readdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { describeLab, keel, ssh, useScratchHost } from "./lab.js";

const DB_PW = "e2e-Vault-Pw-4417";
const USER_PW = "e2e-user-pw-9920";
const DERIVED = [Buffer.from(DB_PW).toString("base64"), DB_PW.toUpperCase()];

describeLab("Ansible Vault on a lab host", () => {
  const host = useScratchHost();
  const dir = mkdtempSync(join(tmpdir(), "keel-vault-e2e-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const p = (n: string) => join(dir, n);
  const pw = ["--vault-password-file", p("pw")];
  let secrets: string[] = [DB_PW, USER_PW, ...DERIVED];

  function noSecrets(what: string, text: string): void {
    for (const s of secrets) expect(text.includes(s), `${what} shows ${s}:\n${text}`).toBe(false);
  }

  it("runs with the decrypted values and shows none of them (terminal, --json, --log)", async () => {
    const h = host();
    writeFileSync(p("pw"), "lab vault password\n");
    mkdirSync(p("inv/group_vars/all"), { recursive: true });
    copyFileSync(h.inventory, p("inv/hosts.yml"));
    writeFileSync(p("inv/group_vars/all/vault.yml"), `vault_db_password: ${DB_PW}\nvault_user_password: ${USER_PW}\nvault_db_user: root\n`);
    const enc = await keel(["vault", "encrypt", p("inv/group_vars/all/vault.yml"), ...pw]);
    expect(enc.code, enc.stderr).toBe(0);
    expect(readFileSync(p("inv/group_vars/all/vault.yml"), "utf8")).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    writeFileSync(p("inv/group_vars/all/vars.yml"), `db_password: "{{ vault_db_password }}"\nconf_owner: root\n`);
    mkdirSync(p("templates"));
    writeFileSync(p("templates/db.conf.j2"), "[client]\nuser = app\npassword = {{ db_password }}\n");
    writeFileSync(
      p("site.yml"),
      `- hosts: all
  tasks:
    - name: a plain directory owned by {{ conf_owner }}
      file: { path: /etc/keel-vault-e2e, state: directory, owner: "{{ conf_owner }}", mode: "0755" }
    - name: the database client file
      template: { src: db.conf.j2, dest: /etc/keel-vault-e2e/db.conf, mode: "0600" }
    - name: an application user with a hashed password
      user: { name: vaultapp, password: "{{ vault_user_password | password_hash('sha512', 'e2esalt') }}" }
    - name: a derived token
      copy: { dest: /etc/keel-vault-e2e/token, content: "{{ db_password | b64encode }}\\n" }
    - name: a check that prints the password back
      command: cat /etc/keel-vault-e2e/db.conf
      changed_when: false
`,
    );
    const r = await keel(["run", p("site.yml"), "-i", p("inv"), ...pw, "--diff", "-v", "--json", p("run.json"), "--log", p("run.log")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    if (process.env.KEEL_SHOW) console.log(r.stdout);
    // the host has the real values
    const conf = await ssh(h, "cat /etc/keel-vault-e2e/db.conf; cat /etc/keel-vault-e2e/token; getent shadow vaultapp | cut -d: -f2");
    expect(conf.stdout).toContain(`password = ${DB_PW}\n`);
    expect(conf.stdout).toContain(`${DERIVED[0]}\n`);
    const hash = conf.stdout.trim().split("\n").pop()!;
    expect(hash).toMatch(/^\$6\$e2esalt\$/);
    secrets = [...secrets, hash];
    noSecrets("stdout", r.stdout + r.stderr);
    noSecrets("--json", readFileSync(p("run.json"), "utf8"));
    noSecrets("--log", readFileSync(p("run.log"), "utf8"));
    // the task that reads no vaulted variable is shown as usual, "root" and all
    expect(r.stdout).toContain("a plain directory owned by root");
    const results = (
      JSON.parse(readFileSync(p("run.json"), "utf8")) as { events: { type: string; task?: { name: string }; result?: { secret: boolean } }[] }
    ).events
      .filter((e) => e.type === "task.result" && e.task!.name !== "Gathering Facts")
      .map((e) => [e.task!.name, e.result!.secret]);
    expect(Object.fromEntries(results)).toMatchObject({
      "a plain directory owned by root": false,
      "the database client file": true,
      "an application user with a hashed password": true,
      "a derived token": true,
      "a check that prints the password back": false,
    });
  }, 240_000);

  it("keel drift finds the tampered file and keeps the values out of every report and the history", async () => {
    const h = host();
    await ssh(h, "echo tampered > /etc/keel-vault-e2e/db.conf");
    const outs = ["json", "html", "md", "xml"].map((e) => p(`drift.${e}`));
    const d = await keel([
      "drift",
      p("site.yml"),
      "-i",
      p("inv"),
      ...pw,
      "--details",
      "--history",
      p("hist.sqlite"),
      ...outs.flatMap((f) => ["-o", f]),
      "-o",
      `github:${p("drift.gh")}`,
    ]);
    expect(d.code, d.stdout + d.stderr).toBe(2);
    expect(d.stdout).toContain("db.conf");
    noSecrets("drift stdout", d.stdout + d.stderr);
    for (const f of [...outs, p("drift.gh")]) noSecrets(f, readFileSync(f, "utf8"));
    for (const f of readdirSync(dir).filter((f) => f.startsWith("hist.sqlite"))) {
      const db = readFileSync(p(f));
      for (const s of secrets) expect(db.includes(Buffer.from(s)), `${f} holds ${s}`).toBe(false);
    }
    const again = await keel(["run", p("site.yml"), "-i", p("inv"), ...pw]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const clean = await keel(["drift", p("site.yml"), "-i", p("inv"), ...pw, "--no-history"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  }, 240_000);
});
