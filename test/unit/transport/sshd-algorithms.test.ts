// ssh_config's algorithm options from the FILE against a real OpenSSH server: an sshd started by
// this test on loopback (its own config, host key and authorized key; killed at the end) accepts
// only aes256-ctr/aes192-ctr, diffie-hellman-group14-sha256, hmac-sha2-512 and an ed25519 host
// key. For each ssh_config, `keel run --ssh-config FILE` and `ssh -F FILE` connect or fail alike.
// Before keel applied these options from the file it ignored them and connected where ssh refuses
// (the Ciphers, KexAlgorithms, MACs and HostKeyAlgorithms cases). Skipped without sshd or root.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../engine/cli/main.js";
import { captureIO } from "../../capture-io.js";

const SSHD = "/usr/sbin/sshd";
const usable = spawnSync(SSHD, ["-V"], { encoding: "utf8" }).error === undefined && process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "keel-sshd-algos-"));
let sshd: ChildProcess | undefined;
let port = 0;
let n = 0;
let agentPid = 0;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
const listening = async (p: number) => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(p, "127.0.0.1", () => (c.end(), resolve(true)));
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("sshd did not start");
};
const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; err: string }>((resolve) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (d: Buffer) => (err += d.toString()));
    c.on("close", (code) => resolve({ code: code ?? 255, err }));
  });

function config(extra: string[], key = "ck"): string {
  const f = join(dir, `ssh_config-${n++}`);
  const lines = ["Host algo-target", "  HostName 127.0.0.1", `  Port ${port}`, "  User root", `  IdentityFile ${dir}/${key}`, `  UserKnownHostsFile ${dir}/kh`];
  writeFileSync(f, [...lines, "  StrictHostKeyChecking yes", ...extra.map((l) => `  ${l}`), ""].join("\n"));
  return f;
}

async function keel(file: string, agent = ""): Promise<{ code: number; out: string }> {
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  process.env.HOME = join(dir, "home");
  process.env.SSH_AUTH_SOCK = agent;
  try {
    const io = captureIO();
    const code = await main(["run", join(dir, "play.yml"), "-i", join(dir, "inv.yml"), "--ssh-config", file], io);
    return { code, out: io.stdout + io.stderr };
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

describe.skipIf(!usable)("ssh_config algorithm options against a real sshd, as ssh -F applies them", () => {
  beforeAll(async () => {
    for (const k of ["hk", "ck", "other"]) spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, k)]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "ck.pub")), { mode: 0o600 });
    port = await freePort();
    writeFileSync(
      join(dir, "sshd_config"),
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${dir}/hk`,
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        `PidFile ${dir}/sshd.pid`,
        "StrictModes no",
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "Ciphers aes256-ctr,aes192-ctr",
        "KexAlgorithms diffie-hellman-group14-sha256",
        "MACs hmac-sha2-512",
        "HostKeyAlgorithms ssh-ed25519",
        "",
      ].join("\n"),
    );
    spawnSync("mkdir", ["-p", "/run/sshd"]);
    writeFileSync(join(dir, "kh"), `[127.0.0.1]:${port} ${readFileSync(join(dir, "hk.pub"), "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    writeFileSync(join(dir, "inv.yml"), "all:\n  hosts:\n    algo-target:\n");
    writeFileSync(join(dir, "play.yml"), "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo reached\n");
    sshd = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: "ignore" });
    await listening(port);
  }, 30_000);

  afterAll(() => {
    if (sshd?.pid) process.kill(sshd.pid, "SIGTERM");
    if (agentPid) process.kill(agentPid, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  const ssh = (f: string) => run("ssh", ["-F", f, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "algo-target", "true"]);

  it("lists the server accepts (+, ^, plain): keel and ssh both connect", async () => {
    const f = config(["Ciphers aes128-ctr,aes192-ctr", "KexAlgorithms +diffie-hellman-group14-sha1", "MACs ^hmac-sha2-512", "HostKeyAlgorithms ssh-ed25519"]);
    expect(await ssh(f)).toMatchObject({ code: 0 });
    const r = await keel(f);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/algo-target\s*:\s*ok=0\s+changed=1\s+unreachable=0/);
  }, 60_000);

  it.each([
    ["Ciphers aes128-ctr", /no matching cipher/, /no matching C->S cipher/],
    ["KexAlgorithms -diffie-hellman-group14-sha256", /no matching key exchange/, /no matching key exchange/],
    ["MACs hmac-sha2-256,hmac-sha2-256-etm@openssh.com", /no matching MAC/, /no matching C->S MAC/],
    ["HostKeyAlgorithms rsa-sha2-512,ecdsa-sha2-nistp256", /no matching host key type/, /no matching host key format/],
  ])(
    "%s: the server has none of them: ssh and keel both fail to connect (keel: unreachable, exit 4)",
    async (line, sshSays, keelSays) => {
      const f = config([line]);
      const o = await ssh(f);
      expect(o.code).toBe(255);
      expect(o.err).toMatch(sshSays);
      const r = await keel(f);
      expect(r.code, r.out).toBe(4);
      expect(r.out).toMatch(keelSays);
    },
    60_000,
  );

  it("a list with nothing keel implements is an error at the file's line, before connecting (exit 1); with one it has, it connects as ssh does", async () => {
    const f = config(["MACs umac-128-etm@openssh.com"]);
    const r = await keel(f);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`${f}:8:1: MACs umac-128-etm@openssh.com leaves only algorithms keel's SSH client does not implement (umac-128-etm@openssh.com)`);
    const g = config(["MACs umac-128-etm@openssh.com,hmac-sha2-512"]);
    expect(await ssh(g)).toMatchObject({ code: 0 });
    expect((await keel(g)).code).toBe(0);
  }, 60_000);

  it("PubkeyAcceptedAlgorithms without the key's type: neither offers the key (ssh: denied; keel: says why)", async () => {
    const f = config(["PubkeyAcceptedAlgorithms rsa-sha2-512,rsa-sha2-256"]);
    expect((await ssh(f)).code).toBe(255);
    const r = await keel(f);
    expect(r.code, r.out).toBe(4);
    expect(r.out).toMatch(/PubkeyAcceptedAlgorithms \(rsa-sha2-512,rsa-sha2-256\) leaves out the key .*\/ck \(ssh-ed25519\)/);
  }, 60_000);

  it("IdentitiesOnly: yes offers only the key file's own key (the agent's other key is not tried); no lets the agent in; as ssh", async () => {
    // an agent holding the authorized key; the key file is another, unauthorized key
    const sock = join(dir, "agent.sock");
    const a = spawnSync("ssh-agent", ["-a", sock, "-s"], { encoding: "utf8" });
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(a.stdout)?.[1] ?? 0);
    expect(agentPid).toBeGreaterThan(0);
    expect(spawnSync("ssh-add", [join(dir, "ck")], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" }).status).toBe(0);
    const sshWith = (f: string) =>
      new Promise<number>((resolve) => {
        const c = spawn("ssh", ["-F", f, "-o", "BatchMode=yes", "algo-target", "true"], { stdio: "ignore", env: { ...process.env, SSH_AUTH_SOCK: sock } });
        c.on("close", (code) => resolve(code ?? 255));
      });
    const only = config(["IdentitiesOnly yes"], "other");
    expect(await sshWith(only)).toBe(255);
    const r = await keel(only, sock);
    expect(r.code, r.out).toBe(4);
    expect(r.out).toMatch(/authentication failed for root@algo-target .*tried: publickey .*\/other, ssh-agent/);
    const open = config(["IdentitiesOnly no"], "other");
    expect(await sshWith(open)).toBe(0);
    expect((await keel(open, sock)).code).toBe(0);
  }, 60_000);
});
