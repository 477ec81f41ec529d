// Dangerous defaults (issue 10 #8): `keel run` without an inventory refuses (drift keeps its local
// default); vaulted values and files are load errors, never text; connection settings keel does
// not honour (HostKeyAlias, BindAddress, unknown ssh options, become flags…) stop the load.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { loadInventory } from "../../../engine/inventory/index.js";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import { testRegistry } from "../playbook/test-registry.js";

const dir = mkdtempSync(join(tmpdir(), "keel-defaults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VAULT = `$ANSIBLE_VAULT;1.1;AES256\n          62313365396662343061393464336163383764373764613633653634306231386433626436623361\n`;

describe("keel run without an inventory", () => {
  const out = join(dir, "touched");
  writeFileSync(join(dir, "pb.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { dest: ${out}, content: x }\n`);
  it("refuses, exit 1, nothing written", async () => {
    const o = io();
    expect(await main(["run", join(dir, "pb.yml")], o)).toBe(1);
    expect(o.stderr).toMatch(/keel run needs an inventory: give -i INVENTORY, or -c local/);
    expect(existsSync(out)).toBe(false);
  });
  it("-c local is the explicit way to converge this machine", async () => {
    const o = io();
    expect(await main(["run", join(dir, "pb.yml"), "-c", "local"], o)).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});

describe("vaulted values", () => {
  it("an inline !vault value in a playbook is a load error at its line", () => {
    const p = join(dir, "vault-inline.yml");
    writeFileSync(p, `- hosts: all\n  vars:\n    db_password: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6231336539\n  tasks: []\n`);
    try {
      loadPlaybook(p, { registry: testRegistry });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(/vaulted value \(!vault\) but no vault password/);
      expect((e as InputError).pos).toMatchObject({ line: 3 });
      expect((e as InputError).hint).toMatch(/--vault-password-file FILE, --vault-id/);
    }
  });
  it("a vault-encrypted vars_files entry, group_vars file and inventory", async () => {
    writeFileSync(join(dir, "secret.yml"), VAULT);
    const p = join(dir, "vault-file.yml");
    writeFileSync(p, `- hosts: all\n  vars_files: [secret.yml]\n  tasks: []\n`);
    expect(() => loadPlaybook(p, { registry: testRegistry })).toThrow(/encrypted with ansible-vault/);
    writeFileSync(join(dir, "inv-vault.yml"), VAULT);
    await expect(loadInventory([join(dir, "inv-vault.yml")])).rejects.toThrow(/ansible-vault/);
    writeFileSync(join(dir, "inv-inline.yml"), `all:\n  hosts:\n    h1:\n      pw: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6231\n`);
    await expect(loadInventory([join(dir, "inv-inline.yml")])).rejects.toThrow(/vaulted value/);
  });
});

describe("connection settings keel does not honour", () => {
  const inv = async (vars: string) => {
    const p = join(dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(p, `all:\n  hosts:\n    h1:\n${vars}`);
    const i = await loadInventory([p]);
    return () => i.host("h1");
  };
  it.each([
    [`      ansible_ssh_common_args: "-o HostKeyAlias=bastion.example.com"`, /HostKeyAlias.*does not honour/, /remove it/],
    [`      ansible_ssh_common_args: "-o 'BindAddress 10.0.0.1'"`, /BindAddress/, /remove it/],
    [`      ansible_ssh_extra_args: "-4 -J bastion"`, /'-4'/, /-J, -F/],
    [`      ansible_ssh_extra_args: "-J"`, /ends with -J/, /-J VALUE/],
    [`      ansible_ssh_common_args: "-o StrictHostKeyChecking=maybe"`, /StrictHostKeyChecking=maybe/, /takes yes, ask, accept-new, no or off/],
    [`      ansible_ssh_common_args: "-o Ciphers=aes128-foo"`, /Ciphers aes128-foo: OpenSSH knows no algorithm 'aes128-foo'/, /Bad SSH2 cipher spec/],
    [`      ansible_ssh_common_args: "-o MACs=umac-128-etm@openssh.com"`, /MACs umac-128-etm@openssh.com leaves only/, /keel implements hmac-sha2-256-etm/],
    [`      ansible_become_flags: "-H -S -n"`, /ansible_become_flags is not supported/, /sudo/],
    [`      ansible_shell_executable: /bin/bash`, /ansible_shell_executable is not supported/, /sh/],
  ])("%s", async (vars, msg, hint) => {
    const host = await inv(vars + "\n");
    try {
      host();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(msg);
      expect((e as InputError).hint).toMatch(hint);
      expect((e as InputError).pos?.line).toBe(4);
    }
  });
  it("options keel honours or that cannot redirect the connection are accepted", async () => {
    const host = await inv(
      `      ansible_ssh_common_args: "-o UserKnownHostsFile=/tmp/kh -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ServerAliveInterval=30"\n      ansible_python_interpreter: /usr/bin/python3\n`,
    );
    expect(host().knownHostsFile).toBe("/tmp/kh");
  });
  it("ProxyJump, ProxyCommand, -J, -F, -i, -p and -l are kept as ssh options, in ssh's order", async () => {
    const host = await inv(`      ansible_ssh_common_args: "-o ProxyJump=admin@bastion:2222 -F ~/alt_config -p 2200"
      ansible_ssh_extra_args: "-J other -o 'ProxyCommand=ssh -W %h:%p b' -i /k -l bob"
`);
    const h = host();
    expect(h.sshOptions?.map((o) => [o.key, o.value])).toEqual([
      ["proxyjump", "admin@bastion:2222"],
      ["port", "2200"],
      ["proxyjump", "other"],
      ["proxycommand", "ssh -W %h:%p b"],
      ["identityfile", "/k"],
      ["user", "bob"],
    ]);
    expect(h.sshConfigFile).toMatch(/\/alt_config$/);
    expect(h.sshOptions?.[0]?.source).toBe("ansible_ssh_common_args (-o ProxyJump=admin@bastion:2222)");
  });
  it("keel run stops before connecting", async () => {
    const p = join(dir, "inv-proxy.yml");
    writeFileSync(p, `all:\n  hosts:\n    h1:\n      ansible_connection: local\n      ansible_ssh_common_args: "-o HostKeyAlias=jump"\n`);
    const o = io();
    expect(await main(["run", join(dir, "pb.yml"), "-i", p], o)).toBe(1);
    expect(o.stderr).toMatch(/inv-proxy\.yml:5:\d+: host 'h1': ansible_ssh_common_args sets -o HostKeyAlias=jump/);
  });
});
