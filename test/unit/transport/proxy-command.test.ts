// A ProxyCommand that exits non-zero after keel has already given up on the host (here: no way to
// authenticate) must not crash the process: the proxy's socket error used to reach Node as an
// unhandled 'error' event, printed a stack trace after the recap and changed the exit code
// (session 6, issue 10 #9 class). The run ends as any unreachable host does: exit 4.
import { describe, it, expect, afterAll } from "vitest";
import { existsSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO } from "../../capture-io.js";
import { expandTokens } from "../../../engine/transport/ssh-config.js";

const dir = mkdtempSync(join(tmpdir(), "keel-proxycmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ProxyCommand that fails late", () => {
  it("an unreachable host, exit 4, no crash and no stack trace", async () => {
    writeFileSync(
      join(dir, "inv.yml"),
      // 198.18.255.254 is never contacted: the proxy command is the transport, and it only exits
      `all:\n  hosts:\n    target:\n      ansible_host: 198.18.255.254\n      ansible_ssh_common_args: "-o ProxyCommand='sleep 0.2; exit 127'"\n`,
    );
    writeFileSync(join(dir, "pb.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n`);
    const o = captureIO();
    const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
    process.env.HOME = dir; // no ~/.ssh keys: keel gives up before the proxy exits
    delete process.env.SSH_AUTH_SOCK;
    const unhandled: unknown[] = [];
    const onErr = (e: unknown) => unhandled.push(e);
    process.on("uncaughtException", onErr);
    try {
      const code = await main(["run", join(dir, "pb.yml"), "-i", join(dir, "inv.yml"), "-T", "3"], o);
      await new Promise((r) => setTimeout(r, 600)); // the proxy exits after keel gave up
      expect(code).toBe(4);
      expect(unhandled).toEqual([]);
      expect(o.stdout + o.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      process.off("uncaughtException", onErr);
      process.env.HOME = saved.HOME;
      if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    }
  });
});

describe("inventory values expanded into a ProxyCommand (%h %n %r)", () => {
  it.each([
    ["ansible_host with ';'", `    h1:\n      ansible_host: "x;touch ${dir}/pwned"\n`],
    ["ansible_user with $()", `    h2:\n      ansible_host: 198.18.255.254\n      ansible_user: "u$(touch ${dir}/pwned)"\n`],
    ["an inventory name with backticks", `    "h3\`touch ${dir}/pwned\`": {}\n`],
    ["a name starting with '-'", `    h4:\n      ansible_host: "-oProxyCommand=touch"\n`],
  ])("%s: refused at load, nothing runs", async (_what, host) => {
    writeFileSync(join(dir, "ssh_config"), "Host *\n  ProxyCommand touch %h.%n.%r.ran\n");
    writeFileSync(join(dir, "meta.yml"), `all:\n  hosts:\n${host}`);
    writeFileSync(join(dir, "pb.yml"), `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n`);
    const o = captureIO();
    const code = await main(["run", join(dir, "pb.yml"), "-i", join(dir, "meta.yml"), "-F", join(dir, "ssh_config"), "-T", "3"], o);
    expect(code).toBe(1);
    expect(o.stderr).toMatch(/would be expanded into the shell command .* shell metacharacter/);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });

  it("ordinary names are expanded as before", () => {
    expect(expandTokens("nc %h %p # %r %n", { host: "10.0.0.5", original: "web-1.example.com", port: 2222, user: "deploy_user" }, "cfg:1", "/root", true)).toBe(
      "nc 10.0.0.5 2222 # deploy_user web-1.example.com",
    );
    expect(expandTokens("nc [%h] %p", { host: "fe80::1%eth0", original: "v6", port: 22, user: "u" }, "cfg:1", "/root", true)).toBe("nc [fe80::1%eth0] 22");
  });
});
