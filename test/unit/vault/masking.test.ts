// Vault masking (issue 16): a task item that reads a vaulted variable (directly, through another
// variable, through hostvars, a set_fact or a register) is masked whole, as a no_log one is; what a
// template made of a vaulted value (`| b64encode`, `| upper`) is as secret as the value; a vault
// file's other strings ("root") do not mask tasks that never read them. Checked in every output:
// the terminal (--diff -vv), --json, --log, `keel drift` in each report format, and the history.
// In-process CLI on the local connection.
import { describe, it, expect, afterAll, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { clearSecrets } from "../../../engine/core/secrets.js";
import { setVaultSecrets } from "../../../engine/vault/keyring.js";
import { encryptVault } from "../../../engine/vault/format.js";

const dir = mkdtempSync(join(tmpdir(), "keel-vault-mask-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  clearSecrets();
  setVaultSecrets([]);
});
const p = (n: string) => join(dir, n);
const PW = "vault pass for masking";
const DB_PW = "Db-Passw0rd-71x";
const API = "api-key-q9z3";
const USER_PW = "loop-item-pw-55";
const HOST_TOKEN = "host-token-k7w2";
// what templates make of them: these must not show either
const DERIVED = [Buffer.from(DB_PW).toString("base64"), API.toUpperCase(), Buffer.from(`${DB_PW}\n`).toString("base64")];
const SECRETS = [DB_PW, API, USER_PW, HOST_TOKEN, ...DERIVED];

writeFileSync(p("pw"), PW + "\n");
writeFileSync(
  p("vault.yml"),
  encryptVault(
    Buffer.from(`vault_db_password: ${DB_PW}\nvault_api_key: ${API}\nvault_db_user: root\nvault_users: [{name: alice, pw: ${USER_PW}}]\n`),
    Buffer.from(PW),
    "default",
  ),
);
// Ansible's own advice: a plain file names the vaulted variables
writeFileSync(p("vars.yml"), `db_password: "{{ vault_db_password }}"\nowner: root\nout: ${p("out")}\n`);
mkdirSync(p("templates"));
writeFileSync(p("templates/app.conf.j2"), "[client]\nuser = app\npassword = {{ vault_db_password }}\n");
writeFileSync(p("inv.yml"), `all:\n  hosts:\n    box:\n      ansible_connection: local\n`);
mkdirSync(p("host_vars"));
writeFileSync(p("host_vars/box.yml"), encryptVault(Buffer.from(`vault_host_token: ${HOST_TOKEN}\n`), Buffer.from(PW), "default"));
writeFileSync(
  p("play.yml"),
  `- hosts: all
  gather_facts: false
  vars_files: [vault.yml, vars.yml]
  tasks:
    - name: plain directory owned by {{ owner }}
      file: { path: "{{ out }}", state: directory, owner: "{{ owner }}" }
    - name: a plain message
      debug: { msg: "owner is {{ owner }}" }
    - name: config with the password, through a plain variable
      copy: { dest: "{{ out }}/db.conf", content: "password={{ db_password }}\\n" }
    - name: a template file that reads a vaulted variable
      template: { src: app.conf.j2, dest: "{{ out }}/app.conf" }
    - name: a derived value
      debug: { msg: "{{ vault_db_password | b64encode }}" }
    - name: set_fact from a vaulted variable
      set_fact: { token_upper: "{{ vault_api_key | upper }}" }
    - name: uses the fact
      command: echo {{ token_upper }}
      changed_when: false
    - name: through hostvars
      debug: { msg: "{{ hostvars[inventory_hostname].vault_host_token }}" }
    - name: a dump of hostvars
      debug: { var: "hostvars[inventory_hostname]" }
    - name: a dump of vars
      debug: { var: vars }
    - name: hostvars rendered whole
      debug: { msg: "{{ hostvars[inventory_hostname] }}" }
    - name: loop over vaulted users
      copy: { dest: "{{ out }}/{{ item.name }}.pw", content: "{{ item.pw }}" }
      loop: "{{ vault_users }}"
    - name: a registered result of a masked task
      command: echo {{ db_password }}
      register: conf
      changed_when: false
    - name: uses the register
      debug: { msg: "{{ conf.stdout | b64encode }}" }
    - name: a task that does not read the vault, but prints a secret back
      shell: cat {{ out }}/db.conf; echo done
      changed_when: false
`,
);

async function keel(...args: string[]) {
  const o = io();
  const rc = await main(args, o);
  return { rc, out: o.stdout + o.stderr };
}

function noSecrets(what: string, text: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${what} shows ${s}:\n${text}`).toBe(false);
}

type Ev = { type: string; task?: { name: string }; result?: { secret: boolean; msg?: string; stdout?: string; status: string } };

describe("vault masking", () => {
  it("keel run: what reads the vault is masked whole, the rest stays readable", async () => {
    const r = await keel(
      "run",
      p("play.yml"),
      "-i",
      p("inv.yml"),
      "--vault-password-file",
      p("pw"),
      "--diff",
      "-vv",
      "--json",
      p("run.json"),
      "--log",
      p("run.log"),
    );
    expect(r.rc, r.out).toBe(0);
    // the host really got the secrets
    expect(readFileSync(p("out/db.conf"), "utf8")).toBe(`password=${DB_PW}\n`);
    expect(readFileSync(p("out/app.conf"), "utf8")).toContain(`password = ${DB_PW}`);
    expect(readFileSync(p("out/alice.pw"), "utf8")).toBe(USER_PW);
    noSecrets("stdout", r.out);
    noSecrets("--json", readFileSync(p("run.json"), "utf8"));
    noSecrets("--log", readFileSync(p("run.log"), "utf8"));
    const events = (JSON.parse(readFileSync(p("run.json"), "utf8")) as { events: Ev[] }).events.filter((e) => e.type === "task.result");
    const secret = Object.fromEntries(events.map((e) => [e.task!.name, e.result!.secret]));
    expect(secret).toEqual({
      "plain directory owned by root": false, // the vault file holds "root" too: no matter
      "a plain message": false,
      "config with the password, through a plain variable": true,
      "a template file that reads a vaulted variable": true,
      "a derived value": true,
      "set_fact from a vaulted variable": true,
      "uses the fact": true,
      "through hostvars": true,
      "a dump of hostvars": true,
      "a dump of vars": true,
      "hostvars rendered whole": true,
      "loop over vaulted users": true,
      "a registered result of a masked task": true,
      "uses the register": true,
      "a task that does not read the vault, but prints a secret back": false,
    });
    const byName = (n: string) => events.find((e) => e.task!.name === n)!.result!;
    expect(byName("a plain message").msg).toBe("owner is root");
    // scrubbed in place: what the remote command printed back (the content the copy task rendered
    // from the password is a secret as a whole), the rest of its output kept
    const back = byName("a task that does not read the vault, but prints a secret back").stdout!;
    expect(back).toContain("(secret)");
    expect(back).toMatch(/done$/);
  });

  it("keel drift: every report format and the history", async () => {
    writeFileSync(p("out/db.conf"), "tampered\n");
    writeFileSync(p("out/app.conf"), "tampered\n");
    const hist = p("hist.sqlite");
    const outs = ["json", "html", "md", "xml"].map((e) => p(`drift.${e}`));
    const r = await keel(
      "drift",
      p("play.yml"),
      "-i",
      p("inv.yml"),
      "--vault-password-file",
      p("pw"),
      "--details",
      "--history",
      hist,
      "-o",
      `github:${p("drift.gh")}`,
      ...outs.flatMap((f) => ["-o", f]),
    );
    expect(r.rc, r.out).toBe(2);
    expect(r.out).toContain("db.conf");
    noSecrets("drift stdout", r.out);
    for (const f of [...outs, p("drift.gh")]) noSecrets(f, readFileSync(f, "utf8"));
    const json = readFileSync(p("drift.json"), "utf8");
    // the drift is still reported: the two tampered files, masked
    expect(json).toContain("(secret)");
    for (const f of readdirSync(dir).filter((f) => f.startsWith("hist.sqlite"))) {
      const db = readFileSync(p(f));
      for (const s of SECRETS) expect(db.includes(Buffer.from(s)), `${f} holds ${s}`).toBe(false);
    }
  });
});
