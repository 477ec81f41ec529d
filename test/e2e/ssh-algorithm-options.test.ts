// End to end: ssh_config's algorithm options (Ciphers, KexAlgorithms, MACs, HostKeyAlgorithms) from
// the FILE restrict what keel offers, per host, with the outcome `ssh -F FILE host` has. A scratch
// host's sshd accepts only aes256-ctr/aes192-ctr, diffie-hellman-group14-sha256, hmac-sha2-512 and
// its ed25519 host key. For each config, keel (`keel run --ssh-config FILE`) and OpenSSH (`ssh -F
// FILE`) connect or fail alike. Before keel applied these options from the file it ignored them
// and connected where ssh refuses (the "Ciphers aes128-ctr" case).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, keel, lab, startScratchHost, stopScratchHost, waitForPort, type ScratchHost } from "./lab.js";

let dir = "";
let h: ScratchHost;
let inv = "";
let play = "";
let n = 0;

/** An ssh_config for the host `algo-target` (reached by its HostName), with `extra` lines. */
function config(extra: string[]): string {
  const f = join(dir, `ssh_config-${n++}`);
  const lines = [
    "Host algo-target",
    `  HostName ${h.address}`,
    "  User root",
    `  IdentityFile ${lab().privateKey}`,
    `  UserKnownHostsFile ${h.knownHosts}`,
    "  StrictHostKeyChecking yes",
    ...extra.map((l) => `  ${l}`),
    "",
  ];
  writeFileSync(f, lines.join("\n"));
  return f;
}

/** What OpenSSH does with the same file: exit status and its first complaint. */
function openssh(file: string): { code: number; err: string } {
  const r = spawnSync("ssh", ["-F", file, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "algo-target", "true"], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? 255, err: r.stderr };
}

const env = () => ({ HOME: join(dir, "home"), SSH_AUTH_SOCK: "", NO_COLOR: "1" });

describeLab("ssh_config algorithm options (file) as OpenSSH applies them", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-algos-e2e-"));
    h = await startScratchHost();
    await hostExec(
      h,
      [
        "printf '%s\\n' 'Ciphers aes256-ctr,aes192-ctr' 'KexAlgorithms diffie-hellman-group14-sha256' 'MACs hmac-sha2-512' 'HostKeyAlgorithms ssh-ed25519' > /etc/ssh/sshd_config.d/05-keel-algos.conf",
        "sshd -t",
      ].join(" && "),
    );
    await hostExec(h, "service ssh restart >/dev/null");
    await waitForPort(h.address, 22);
    inv = join(dir, "inv.yml");
    writeFileSync(inv, "all:\n  hosts:\n    algo-target:\n");
    play = join(dir, "play.yml");
    writeFileSync(play, "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo reached\n");
  });

  afterAll(async () => {
    if (h) await stopScratchHost(h);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (file: string) => keel(["run", play, "-i", inv, "--ssh-config", file], { env: env(), timeoutMs: 60_000 });

  it("lists the server accepts: keel and ssh both connect", async () => {
    const f = config(["Ciphers aes128-ctr,aes192-ctr", "KexAlgorithms +diffie-hellman-group14-sha1", "MACs ^hmac-sha2-512", "HostKeyAlgorithms ssh-ed25519"]);
    expect(openssh(f)).toMatchObject({ code: 0 });
    const r = await run(f);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/algo-target\s*:\s*ok=1\s+changed=1/);
  });

  it.each([
    ["Ciphers aes128-ctr", /no matching cipher/i],
    ["KexAlgorithms -diffie-hellman-group14-sha256", /no matching key exchange/i],
    ["MACs hmac-sha2-256,hmac-sha2-256-etm@openssh.com", /no matching MAC/i],
    ["HostKeyAlgorithms rsa-sha2-512,ecdsa-sha2-nistp256", /no matching host key/i],
  ])("%s: the server has none of them: ssh and keel both fail to connect (exit 4)", async (line, sshSays) => {
    const f = config([line]);
    const o = openssh(f);
    expect(o.code).toBe(255);
    expect(o.err).toMatch(sshSays);
    const r = await run(f);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/Handshake failed: no matching/);
  });

  it("a list of algorithms keel's client lacks is an error naming them, at the file's line, before connecting (exit 1)", async () => {
    const f = config(["MACs umac-128-etm@openssh.com"]);
    const r = await run(f);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`${f}:8: MACs umac-128-etm@openssh.com leaves only algorithms keel's SSH client does not implement (umac-128-etm@openssh.com)`);
    expect(r.stderr).toMatch(/keel implements hmac-sha2-256-etm@openssh.com/);
  });
});
