// `~` in ssh options (IdentityFile, UserKnownHostsFile, %d) is the home folder of the login's
// passwd entry, as OpenSSH's tilde_expand_filename makes it, never $HOME; `~user/` is that user's
// home. Paths Ansible itself expands before calling ssh (ansible_ssh_private_key_file) keep $HOME,
// as Python's expanduser does. Each case runs with HOME pointing elsewhere.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { loadSshConfig, passwdHome } from "../../../engine/transport/ssh-config.js";
import { resolveEndpoint } from "../../../engine/transport/route.js";
import { knownHostsFileOf, routeOf } from "../../../engine/run/connect.js";
import { loadInventory } from "../../../engine/inventory/index.js";

const dir = mkdtempSync(join(tmpdir(), "keel-tilde-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pw = userInfo().homedir;
let saved: string | undefined;
beforeEach(() => {
  saved = process.env.HOME;
  process.env.HOME = join(dir, "fake-home");
});
afterEach(() => {
  if (saved === undefined) delete process.env.HOME;
  else process.env.HOME = saved;
});

let n = 0;
function cfg(text: string) {
  const f = join(dir, `config-${n++}`);
  writeFileSync(f, text);
  return { file: f, cfg: loadSshConfig(f) };
}

describe("~ in ssh options", () => {
  it("the passwd entry's home, not $HOME (the test sets HOME elsewhere)", () => {
    expect(pw).not.toBe(process.env.HOME);
    expect(passwdHome()).toBe(pw);
    const { cfg: c } = cfg("Host h\n  IdentityFile ~/.ssh/k_%r\n  IdentityFile %d/.ssh/second\n  UserKnownHostsFile ~/.ssh/kh\n");
    const ep = resolveEndpoint("h", c, [{ key: "user", value: "deploy", source: "inventory" }]);
    expect(ep.identityFiles).toEqual([`${pw}/.ssh/k_deploy`, `${pw}/.ssh/second`]);
    expect(ep.knownHostsFile).toBe(`${pw}/.ssh/kh`);
  });

  it("~user/ is that user's home (getent); an unknown user stops at the line, as ssh stops", () => {
    const { file, cfg: c } = cfg("Host h\n  IdentityFile ~root/.ssh/id_ed25519\nHost bad\n  UserKnownHostsFile ~no-such-user-kq7/kh\n");
    expect(resolveEndpoint("h", c, []).identityFiles).toEqual(["/root/.ssh/id_ed25519"]);
    try {
      resolveEndpoint("bad", c, []);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toBe(`${file}:4: no user 'no-such-user-kq7' for '~no-such-user-kq7/kh'`);
      expect((e as InputError).pos).toEqual({ file, line: 4, col: 1 });
    }
  });

  it("-o UserKnownHostsFile=~/… in ssh_args and ansible_ssh_common_args: ssh's expansion; ansible_ssh_private_key_file: Ansible's ($HOME)", async () => {
    const inv = join(dir, "inv.yml");
    writeFileSync(
      inv,
      [
        "all:",
        "  hosts:",
        "    h1:",
        '      ansible_ssh_common_args: "-o UserKnownHostsFile=~/.ssh/inv_kh"',
        "      ansible_ssh_private_key_file: ~/.ssh/inv_key",
        "    h2: {}",
        "",
      ].join("\n"),
    );
    const i = await loadInventory([inv]);
    const h1 = i.host("h1");
    expect(h1.knownHostsFile).toBe(`${pw}/.ssh/inv_kh`);
    expect(h1.privateKeyFile).toBe(`${process.env.HOME}/.ssh/inv_key`);
    // before: the ssh_args value was used as written, a path named "~" in the current folder
    expect(knownHostsFileOf(i.host("h2"), { sshArgs: "-o UserKnownHostsFile=~/.ssh/cfg_kh" })).toBe(`${pw}/.ssh/cfg_kh`);
    writeFileSync(join(dir, "empty"), "");
    const { spec } = routeOf(i.host("h2"), { sshArgs: "-o IdentityFile=~/.ssh/cfg_id", sshConfigFile: join(dir, "empty") });
    expect(spec.identityFiles).toEqual([`${pw}/.ssh/cfg_id`]);
  });
});
