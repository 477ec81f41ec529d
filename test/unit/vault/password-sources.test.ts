// Vault passwords from several sources, as ansible-core 2.14 takes them (cli/__init__.py, cli/vault.py):
// - the configured vault_identity_list comes BEFORE --vault-id (they are read in that order);
// - a password file or script that fails is a warning and the others are used; an error only
//   when no password at all could be read (a team's identity list names files not everyone has);
// - encrypting with several different passwords and no --encrypt-vault-id (or vault_encrypt_identity)
//   is refused, never a silent pick of the first.
// Where ansible-vault is installed, the same commands run through it and must agree.
import { describe, it, expect, afterAll, beforeEach } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { spawnAsync } from "../../spawn.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO } from "../../capture-io.js";
import { clearSecrets } from "../../../engine/core/secrets.js";
import { vaultDefaults, vaultIdSpecs } from "../../../engine/cli/commands/vault-flags.js";

const hasAnsible = spawnSync("ansible-vault", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "keel-vault-src-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (n: string) => join(dir, n);
writeFileSync(p("pw1"), "password one\n");
writeFileSync(p("pw2"), "password two\n");
// a client script that logs the vault id it is asked for
writeFileSync(
  p("log-client.sh"),
  `#!/bin/sh\necho "$2" >> ${p("asked")}\ncase "$2" in prod) echo 'password one';; dev) echo 'password two';; *) exit 2;; esac\n`,
);
chmodSync(p("log-client.sh"), 0o755);
const PLAIN = "token: sources-plaintext\n";

/** keel, then ansible-vault, with the same arguments and environment (the config file is none). */
async function keel(args: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith("ANSIBLE_")) delete process.env[k];
  Object.assign(process.env, { ANSIBLE_CONFIG: p("none.cfg") }, env);
  const o = captureIO();
  try {
    const rc = await main(args, o);
    return { rc, out: o.stdout, err: o.stderr };
  } finally {
    process.env = saved;
  }
}
async function ansibleVault(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ANSIBLE_")));
  const r = await spawnAsync("ansible-vault", args, { cwd: dir, env: { ...clean, ANSIBLE_CONFIG: p("none.cfg"), ...env } });
  return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const asked = () => (existsSync(p("asked")) ? readFileSync(p("asked"), "utf8").split("\n").filter(Boolean) : []);

beforeEach(() => {
  clearSecrets();
  rmSync(p("asked"), { force: true });
});

describe("vault password sources", () => {
  it("ask_vault_pass in ansible.cfg (or ANSIBLE_ASK_VAULT_PASS) prompts as -J does, after the other sources", () => {
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith("ANSIBLE_")) delete process.env[k];
      writeFileSync(p("ask.cfg"), `[defaults]\nask_vault_pass = True\nvault_password_file = ${p("pw1")}\n`);
      process.env.ANSIBLE_CONFIG = p("ask.cfg");
      expect(vaultIdSpecs({}, vaultDefaults())).toEqual([`default@${p("pw1")}`, "default@prompt"]);
      process.env.ANSIBLE_CONFIG = p("none.cfg");
      expect(vaultIdSpecs({}, vaultDefaults())).toEqual([]);
      process.env.ANSIBLE_ASK_VAULT_PASS = "yes";
      expect(vaultIdSpecs({}, vaultDefaults())).toEqual(["default@prompt"]);
    } finally {
      process.env = saved;
    }
  });

  it("ANSIBLE_VAULT_IDENTITY_LIST is read before --vault-id", async () => {
    writeFileSync(p("a.yml"), PLAIN);
    expect((await keel(["vault", "encrypt", "--vault-id", `dev@${p("pw2")}`, p("a.yml")])).rc).toBe(0);
    rmSync(p("asked"), { force: true });
    const env = { ANSIBLE_VAULT_IDENTITY_LIST: `prod@${p("log-client.sh")}` };
    expect(await keel(["vault", "view", "--vault-id", `dev@${p("log-client.sh")}`, p("a.yml")], env)).toMatchObject({ rc: 0, out: PLAIN });
    expect(asked()).toEqual(["prod", "dev"]);
    if (!hasAnsible) return;
    rmSync(p("asked"), { force: true });
    expect(await ansibleVault(["view", "--vault-id", "dev@log-client.sh", "a.yml"], env)).toMatchObject({ rc: 0, out: PLAIN });
    expect(asked()).toEqual(["prod", "dev"]);
  });

  it("a missing password file among others is a warning; the file opens with the password that was read", async () => {
    const r = await keel(["vault", "view", "--vault-id", `prod@${p("missing")}`, "--vault-id", `dev@${p("pw2")}`, p("a.yml")]);
    expect(r).toMatchObject({ rc: 0, out: PLAIN });
    expect(r.err).toMatch(/^warning: vault id 'prod': the vault password file .*missing was not found; going on without it\n$/);
    // a client script without a password for its id is the same
    const c = await keel(["vault", "view", "--vault-id", `other@${p("log-client.sh")}`, "--vault-id", `dev@${p("pw2")}`, p("a.yml")]);
    expect(c).toMatchObject({ rc: 0, out: PLAIN });
    expect(c.err).toMatch(/warning: vault id 'other': the vault password client script .* has no password for vault id 'other'/);
    if (hasAnsible) expect(await ansibleVault(["view", "--vault-id", "prod@missing", "--vault-id", "dev@pw2", "a.yml"])).toMatchObject({ rc: 0, out: PLAIN });
  });

  it("no password read at all is an error (exit 1), not a warning", async () => {
    const r = await keel(["vault", "view", "--vault-id", `prod@${p("missing")}`, p("a.yml")]);
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/^error: the vault password file .*missing was not found\n/);
    if (hasAnsible) expect((await ansibleVault(["view", "--vault-id", "prod@missing", "a.yml"])).rc).not.toBe(0);
  });

  it("encrypt with two different passwords and no --encrypt-vault-id is refused; --encrypt-vault-id or ANSIBLE_VAULT_ENCRYPT_IDENTITY chooses", async () => {
    writeFileSync(p("b.yml"), PLAIN);
    const two = ["--vault-id", `prod@${p("pw1")}`, "--vault-id", `dev@${p("pw2")}`];
    const r = await keel(["vault", "encrypt", ...two, p("b.yml")]);
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/the vault ids prod \(.*pw1\), dev \(.*pw2\) are available to encrypt with\nhint: say which one with --encrypt-vault-id/);
    expect(readFileSync(p("b.yml"), "utf8")).toBe(PLAIN);
    if (hasAnsible) expect((await ansibleVault(["encrypt", "--vault-id", "prod@pw1", "--vault-id", "dev@pw2", "b.yml"])).rc).not.toBe(0);
    expect((await keel(["vault", "encrypt", ...two, "--encrypt-vault-id", "dev", p("b.yml")])).rc).toBe(0);
    expect(readFileSync(p("b.yml"), "utf8").split("\n")[0]).toBe("$ANSIBLE_VAULT;1.2;AES256;dev");
    const s = await keel(["vault", "encrypt_string", ...two, "x"], { ANSIBLE_VAULT_ENCRYPT_IDENTITY: "prod" });
    expect(s.out.split("\n")[1]!.trim()).toBe("$ANSIBLE_VAULT;1.2;AES256;prod");
    // the same password given twice (ansible.cfg's file and the flag) is one password: no question
    writeFileSync(p("c.yml"), PLAIN);
    const same = await keel(["vault", "encrypt", "--vault-password-file", p("pw1"), p("c.yml")], { ANSIBLE_VAULT_PASSWORD_FILE: p("pw1") });
    expect(same.rc).toBe(0);
  });
});
