// End-to-end transport tests over real SSH: the test starts its own sshd on 127.0.0.1 (a free high
// port, temporary host and client keys, everything in a temp dir) and talks to it with keel's
// transport. It does not need the lab. Local-connection equivalents run against this machine.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, hostname, networkInterfaces, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Client } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keygen, freePort, startLocalSshd, SSHD } from "./local-sshd.js";
import { connect, type ConnectOptions } from "../../engine/transport/index.js";
import { gatherFacts } from "../../engine/facts/index.js";
import { hashHostName } from "../../engine/transport/known-hosts.js";
import { ConnectionError, CommandError } from "../../engine/core/errors.js";
import type { HostSpec } from "../../engine/core/host.js";
import type { Connection } from "../../engine/core/connection.js";

const HAVE_SSHD = existsSync(SSHD);
if (!HAVE_SSHD && !process.env.CI) console.warn(`transport e2e skipped: ${SSHD} is missing (install openssh-server to run it)`);
const suite = HAVE_SSHD || process.env.CI ? describe : describe.skip;

const IS_ROOT = userInfo().uid === 0;
const ME = userInfo().username;

let dir = "";
let port = 0;
let sshd: ChildProcess | undefined;

/** Line for the temp known_hosts, from a host public key file. */
const pubKeyB64 = (file: string) => readFileSync(file, "utf8").split(" ")[1]!;

function spec(over: Partial<HostSpec> = {}): HostSpec {
  return {
    name: "testhost",
    address: "127.0.0.1",
    port,
    user: ME,
    connection: "ssh",
    privateKeyFile: join(dir, "client_key"),
    become: false,
    becomeUser: "root",
    becomeMethod: "sudo",
    knownHostsFile: join(dir, "known_hosts"),
    vars: {},
    groups: [],
    ...over,
  };
}

/** A known_hosts file holding the server's real ed25519 key, plain form. */
function trustedKnownHosts(name = "known_hosts"): string {
  const f = join(dir, name);
  writeFileSync(f, `[127.0.0.1]:${port} ssh-ed25519 ${pubKeyB64(join(dir, "host_ed25519.pub"))}\n`);
  return f;
}

async function expectConnErr(p: Promise<unknown>, failure: string, message: RegExp): Promise<ConnectionError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, "expected a ConnectionError").toBeInstanceOf(ConnectionError);
  expect((e as ConnectionError).failure).toBe(failure);
  expect((e as ConnectionError).message).toMatch(message);
  return e as ConnectionError;
}

/** Children of a pid, from /proc (to stop exactly the processes this test started). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}
function descendantsOf(pid: number): number[] {
  const kids = childrenOf(pid);
  return [...kids, ...kids.flatMap(descendantsOf)];
}
function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

suite("ssh transport against a private sshd on 127.0.0.1", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-sshd-"));
    keygen(join(dir, "host_ed25519"), "ed25519");
    keygen(join(dir, "host_ecdsa"), "ecdsa");
    keygen(join(dir, "client_key"), "ed25519");
    keygen(join(dir, "other_key"), "ed25519");
    const started = await startLocalSshd(dir, { hostKeys: [join(dir, "host_ed25519"), join(dir, "host_ecdsa")] });
    port = started.port;
    sshd = started.proc;
  });

  afterAll(() => {
    if (sshd?.pid) {
      killAll(descendantsOf(sshd.pid));
      sshd.kill("SIGTERM");
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("host keys", () => {
    it("refuses an unknown host key, with a hint", async () => {
      const kh = join(dir, "kh_empty");
      await expectConnErr(
        connect(spec({ knownHostsFile: kh })),
        "hostkey",
        /unknown host key for testhost \(127\.0\.0\.1:\d+\): server offered ssh-ed25519 SHA256:.*--accept-new-host-keys/,
      );
      expect(existsSync(kh)).toBe(false);
    });

    it("accepts and records a new key with acceptNewHostKeys, then knows it", async () => {
      const kh = join(dir, "kh_new");
      writeFileSync(kh, "# existing content without a final newline");
      const c = await connect(spec({ knownHostsFile: kh }), { acceptNewHostKeys: true });
      await c.close();
      const lines = readFileSync(kh, "utf8").split("\n");
      expect(lines[0]).toBe("# existing content without a final newline");
      expect(lines[1]).toBe(`[127.0.0.1]:${port} ssh-ed25519 ${pubKeyB64(join(dir, "host_ed25519.pub"))}`);
      const again = await connect(spec({ knownHostsFile: kh }));
      await again.close();
      expect(readFileSync(kh, "utf8").split("\n").filter(Boolean)).toHaveLength(2);
    });

    it("fails closed on a mismatch, even with acceptNewHostKeys, and says how to fix it", async () => {
      const kh = join(dir, "kh_wrong");
      writeFileSync(kh, `# header\n[127.0.0.1]:${port} ssh-ed25519 ${pubKeyB64(join(dir, "other_key.pub"))}\n`);
      const e = await expectConnErr(
        connect(spec({ knownHostsFile: kh }), { acceptNewHostKeys: true }),
        "hostkey",
        /host key CHANGED for testhost \(127\.0\.0\.1:\d+\): .*kh_wrong line 2 has ssh-ed25519 SHA256:\S+, server offered ssh-ed25519 SHA256:\S+; if the host was rebuilt, remove the old key with ssh-keygen -R '\[127\.0\.0\.1\]:\d+'/,
      );
      expect(e.host).toBe("testhost");
      expect(readFileSync(kh, "utf8").split("\n").filter(Boolean)).toHaveLength(2);
    });

    it("accepts a hashed entry, and negotiates the key type it knows (ecdsa only)", async () => {
      const kh = join(dir, "kh_hashed");
      writeFileSync(kh, `${hashHostName(`[127.0.0.1]:${port}`)} ecdsa-sha2-nistp256 ${pubKeyB64(join(dir, "host_ecdsa.pub"))}\n`);
      const c = await connect(spec({ knownHostsFile: kh }));
      expect((await c.exec({ command: "echo ok" })).stdout).toBe("ok\n");
      await c.close();
    });

    it("ConnectOptions.knownHostsFile overrides the inventory's", async () => {
      const good = trustedKnownHosts("kh_override");
      const c = await connect(spec({ knownHostsFile: join(dir, "kh_none") }), { knownHostsFile: good });
      await c.close();
    });
  });

  describe("connection failures", () => {
    it("names an authentication failure", async () => {
      await expectConnErr(
        connect(spec({ privateKeyFile: join(dir, "other_key") }), { knownHostsFile: trustedKnownHosts() }),
        "auth",
        new RegExp(`authentication failed for ${ME}@testhost \\(127\\.0\\.0\\.1:\\d+\\) \\(tried: publickey .*other_key`),
      );
    });

    it("authenticates through ssh-agent when no key file is given", async () => {
      const sock = join(dir, "agent.sock");
      const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
      const saved = process.env.SSH_AUTH_SOCK;
      try {
        for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
        const add = spawnSync("ssh-add", [join(dir, "client_key")], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: "utf8" });
        expect(add.status, add.stderr).toBe(0);
        process.env.SSH_AUTH_SOCK = sock;
        const c = await connect(spec({ privateKeyFile: undefined }), { knownHostsFile: trustedKnownHosts() });
        expect((await c.exec({ command: "echo via-agent" })).stdout).toBe("via-agent\n");
        await c.close();
      } finally {
        if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = saved;
        agent.kill("SIGTERM");
      }
    });

    it("names a missing key file", async () => {
      await expectConnErr(
        connect(spec({ privateKeyFile: join(dir, "nope") }), { knownHostsFile: trustedKnownHosts() }),
        "auth",
        /cannot read private key file .*nope/,
      );
    });

    it("names a closed port", async () => {
      const closed = await freePort();
      await expectConnErr(connect(spec({ port: closed })), "refused", new RegExp(`connection refused by testhost \\(127\\.0\\.0\\.1:${closed}\\)`));
    });

    it("times out a handshake that never comes", async () => {
      // a listener that accepts and never speaks SSH
      const silent = createServer(() => undefined);
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
      const p = (silent.address() as { port: number }).port;
      try {
        await expectConnErr(connect(spec({ port: p }), { connectTimeoutMs: 500 }), "timeout", /timed out after 500 ms connecting to testhost/);
      } finally {
        silent.close();
      }
    });
  });

  describe("one connection", () => {
    let c: Connection;
    beforeAll(async () => {
      c = await connect(spec(), { knownHostsFile: trustedKnownHosts() });
    });
    afterAll(async () => {
      await c?.close();
    });

    it("runs commands: stdout, stderr, exit code, stdin, cwd, env, and counts round trips", async () => {
      const before = c.roundTrips;
      expect(await c.exec({ command: "echo out; echo err >&2; exit 7" })).toEqual({ stdout: "out\n", stderr: "err\n", rc: 7 });
      expect(await c.exec({ command: "tr a-z A-Z", stdin: "hello\n" })).toEqual({ stdout: "HELLO\n", stderr: "", rc: 0 });
      expect((await c.exec({ command: 'pwd; echo "$GREETING"', cwd: "/tmp", env: { GREETING: "it's $HOME" } })).stdout).toBe("/tmp\nit's $HOME\n");
      expect((await c.exec({ command: "cat; echo eof" })).stdout).toBe("eof\n"); // stdin is /dev/null
      expect((await c.exec({ command: "echo 'unbalanced" })).rc).toBe(2);
      expect((await c.exec({ command: "exit 0" })).rc).toBe(0);
      expect((await c.exec({ command: "echo still here" })).stdout).toBe("still here\n");
      expect(c.roundTrips - before).toBe(7);
    });

    it("serialises concurrent execs on the one shell", async () => {
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => c.exec({ command: `echo ${i}` })));
      expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    });

    // What the persistent shell is for: every command runs in the same remote shell, while a plain
    // ssh2 client starts a new one (a new channel, a new sshd session process, a new shell) per
    // command. Asserted structurally ($$ is the one shell's PID, even inside a subshell); the
    // round-trip times are printed for the reader, never asserted (they depend on the machine's load).
    it("runs every command in one remote shell, where an exec channel starts a shell per command", async () => {
      const N = 20;
      const pids = new Set<string>();
      let t0 = performance.now();
      for (let i = 0; i < N; i++) pids.add((await c.exec({ command: "echo $$" })).stdout);
      const shellMs = (performance.now() - t0) / N;
      expect(pids.size).toBe(1);

      // the same with one ssh2 exec channel per command, on a plain ssh2 client
      const raw = new Client();
      await new Promise<void>((resolve, reject) => {
        raw.on("ready", () => (raw.setNoDelay(true), resolve())).on("error", reject);
        raw.connect({ host: "127.0.0.1", port, username: ME, privateKey: readFileSync(join(dir, "client_key")) });
      });
      const execOnce = () =>
        new Promise<string>((resolve, reject) =>
          raw.exec("echo $$", (err, ch) => {
            if (err) return reject(err);
            let out = "";
            ch.on("data", (d: Buffer) => (out += d.toString())).on("close", () => resolve(out));
            ch.stderr.resume();
          }),
        );
      const M = 3;
      const rawPids = new Set<string>();
      t0 = performance.now();
      for (let i = 0; i < M; i++) rawPids.add(await execOnce());
      const execMs = (performance.now() - t0) / M;
      raw.end();
      expect(rawPids.size).toBe(M);
      console.log(`round trip: persistent shell ${shellMs.toFixed(2)} ms, fresh exec channel ${execMs.toFixed(2)} ms (${N} and ${M} commands; not asserted)`);
    });

    it("become: skips sudo for the login user, uses sudo -n for another", async () => {
      const self = await c.exec({ command: 'id -un; echo "sudo_user=${SUDO_USER:-}"', become: { user: ME } });
      expect(self.stdout).toBe(`${ME}\nsudo_user=\n`);
      if (!IS_ROOT) return; // sudo to nobody needs a sudoers rule; root has one
      const nobody = await c.exec({ command: "id -un; cat", become: { user: "nobody" }, stdin: "via sudo\n" });
      expect(nobody).toMatchObject({ stdout: "nobody\nvia sudo\n", rc: 0 });
    });

    it("putFile: 1 MB of binary, atomically, with mode", async () => {
      const path = `/tmp/keel-e2e-${port}.bin`;
      const bytes = randomBytes(1024 * 1024);
      const t0 = performance.now();
      const before = c.roundTrips;
      expect(await c.putFile(path, bytes, { mode: "0640" })).toEqual({});
      const ms = performance.now() - t0;
      expect(c.roundTrips - before).toBe(1);
      console.log(`putFile 1 MiB over ssh: ${ms.toFixed(0)} ms (one round trip, base64 here-doc through the shell)`);
      const r = await c.exec({ command: `sha256sum ${path} | cut -d' ' -f1; stat -c %a ${path}; ls -a /tmp | grep -c '^.keel-tmp-' || true` });
      expect(r.stdout).toBe(`${sha256(bytes)}\n640\n0\n`);
      expect(readFileSync(path).equals(bytes)).toBe(true); // same machine: check with node too
      rmSync(path);
    });

    it("putFile: a failed validation installs nothing; backup keeps the old file", async () => {
      const d = join(dir, "put");
      mkdirSync(d, { recursive: true });
      const path = join(d, "app.conf");
      writeFileSync(path, "good=1\n");
      const err = await c.putFile(path, Buffer.from("broken\n"), { validate: "grep -q '=' %s" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandError);
      expect((err as CommandError).message).toMatch(/validation of .*app\.conf failed with exit code 1 \(nothing was installed\)/);
      expect(readFileSync(path, "utf8")).toBe("good=1\n");
      expect(readdirSync(d)).toEqual(["app.conf"]);

      const { backup } = await c.putFile(path, Buffer.from("good=2\n"), { validate: "grep -q '=' %s", backup: true });
      expect(backup).toBeDefined();
      expect(readFileSync(backup!, "utf8")).toBe("good=1\n");
      expect(readFileSync(path, "utf8")).toBe("good=2\n");
      expect(readdirSync(d).sort()).toEqual(["app.conf", backup!.slice(d.length + 1)].sort());
    });

    it("putFile with become, and a failing write names the path", async () => {
      if (IS_ROOT) {
        const d = mkdtempSync(join(tmpdir(), "keel-nobody-")); // in /tmp itself: nobody can reach it
        spawnSync("chown", ["nobody", d]);
        try {
          const { backup } = await c.putFile(join(d, "f"), Buffer.from("x"), { become: { user: "nobody" } });
          expect(backup).toBeUndefined();
          expect(
            spawnSync("stat", ["-c", "%U", join(d, "f")])
              .stdout.toString()
              .trim(),
          ).toBe("nobody");
        } finally {
          rmSync(d, { recursive: true, force: true });
        }
      }
      await expect(c.putFile("/nonexistent-dir/f", Buffer.from("x"), {})).rejects.toThrow(/writing \/nonexistent-dir\/f failed with exit code 1/);
    });

    it("gathers facts in exactly one round trip", async () => {
      const before = c.roundTrips;
      const f = await gatherFacts(c);
      expect(c.roundTrips - before).toBe(1);
      expect(f.hostname).toBe(hostname());
      expect(f.user).toBe(ME);
      expect(f.cpus).toBeGreaterThan(0);
      expect(f.cpus).toBeLessThanOrEqual(cpus().length);
      expect(f.memory_mb).toBeGreaterThan(0);
      const mine = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === "IPv4" && !a.internal)
        .map((a) => a!.address);
      if (mine.length > 0) expect(mine).toContain(f.ipv4);
      expect(f.os_id).not.toBe("unknown");
    });
  });

  describe("keel facts (the built binary)", () => {
    const keel = (args: string[]) => spawnSync(process.execPath, [join(process.cwd(), "bin/keel.js"), ...args], { encoding: "utf8", timeout: 60_000 });
    const haveBuild = existsSync(join(process.cwd(), "dist/engine/cli/main.js"));

    it.skipIf(!haveBuild)("prints the facts of an ssh host; refuses an unknown key without the flag", () => {
      const kh = join(dir, "kh_cli");
      const inv = join(dir, "inv.yml");
      writeFileSync(
        inv,
        `all:\n  hosts:\n    box:\n      ansible_host: 127.0.0.1\n      ansible_port: ${port}\n      ansible_user: ${ME}\n      ansible_ssh_private_key_file: ${join(dir, "client_key")}\n      keel_known_hosts: ${kh}\n`,
      );
      const refused = keel(["facts", "box", "-i", inv]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/box: unreachable: unknown host key for box \(127\.0\.0\.1:\d+\).*--accept-new-host-keys/);
      const r = keel(["facts", "box", "-i", inv, "--accept-new-host-keys"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const f = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(f).toMatchObject({ hostname: hostname(), user: ME });
      const a = keel(["facts", "all", "-i", inv, "--ansible"]);
      expect(a.status).toBe(0);
      const vars = JSON.parse(a.stdout) as Record<string, Record<string, unknown>>;
      expect(vars.box!.ansible_hostname).toBe(hostname().split(".")[0]);
      expect((vars.box!.ansible_facts as Record<string, unknown>).os_family).toMatch(/^[A-Z]/);
    });
  });

  describe("broken connections", () => {
    it("a command timeout makes the host unreachable; reconnect brings it back", async () => {
      const c = await connect(spec(), { knownHostsFile: trustedKnownHosts() });
      try {
        await expectConnErr(c.exec({ command: "sleep 5", timeoutMs: 300 }), "timeout", /command on testhost \(127\.0\.0\.1:\d+\) timed out after 300 ms/);
        await expectConnErr(c.exec({ command: "true" }), "timeout", /timed out/);
        await c.reconnect(5000);
        expect((await c.exec({ command: "echo back" })).stdout).toBe("back\n");
      } finally {
        await c.close();
      }
    });

    it("killing sshd's session mid-command reports the connection lost", async () => {
      const c = await connect(spec(), { knownHostsFile: trustedKnownHosts() });
      const shellPid = Number((await c.exec({ command: "echo $$" })).stdout.trim());
      const running = c.exec({ command: "sleep 3; echo done" });
      await new Promise((r) => setTimeout(r, 200));
      // sshd's per-connection processes are children of the listener this test started
      const sessions = childrenOf(sshd!.pid!);
      expect(sessions.length).toBeGreaterThan(0);
      killAll(sessions);
      await expectConnErr(running, "lost", /connection to testhost \(127\.0\.0\.1:\d+\) lost/);
      await expectConnErr(c.exec({ command: "true" }), "lost", /lost/);
      killAll([shellPid, ...descendantsOf(shellPid)]); // the orphaned shell and its sleep
      // sshd itself is still listening: the host can come back
      await c.reconnect(5000);
      expect((await c.exec({ command: "echo back" })).stdout).toBe("back\n");
      await c.close();
    });

    it("reconnect gives up after its timeout with the last cause", async () => {
      const closed = await freePort();
      const c = await connect(spec(), { knownHostsFile: trustedKnownHosts() });
      (c as unknown as { spec: HostSpec }).spec.port = closed; // the host "moves away" (as during a reboot)
      await expectConnErr(c.reconnect(1500), "timeout", /testhost \(127\.0\.0\.1:\d+\) did not come back within 2 s: connection refused/);
      await c.close();
    });
  });
});

describe("local transport", () => {
  const local = (o: ConnectOptions = {}) => connect({ ...spec(), name: "localhost", connection: "local" }, o);

  it("runs commands with the same semantics and counts round trips", async () => {
    const c = await local();
    try {
      expect(await c.exec({ command: "echo out; echo err >&2; exit 7" })).toEqual({ stdout: "out\n", stderr: "err\n", rc: 7 });
      expect((await c.exec({ command: "cat", stdin: Buffer.from([0, 255, 10]) })).stdout).toBe(Buffer.from([0, 255, 10]).toString());
      expect((await c.exec({ command: "pwd; echo $X", cwd: "/", env: { X: "1" } })).stdout).toBe("/\n1\n");
      expect((await c.exec({ command: "cat; echo eof" })).stdout).toBe("eof\n");
      expect(c.roundTrips).toBe(4);
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) await c.exec({ command: "true" });
      console.log(`round trip: local persistent shell ${((performance.now() - t0) / 200).toFixed(2)} ms`);
      const f = await gatherFacts(c);
      expect(f.hostname).toBe(hostname());
      expect(f.user).toBe(ME);
    } finally {
      await c.close();
    }
  });

  it("become and putFile", async () => {
    const c = await local();
    try {
      expect((await c.exec({ command: 'echo "${SUDO_USER:-none}"', become: { user: ME } })).stdout).toBe("none\n");
      if (IS_ROOT) expect((await c.exec({ command: "id -un", become: { user: "nobody" } })).stdout).toBe("nobody\n");
      const d = mkdtempSync(join(tmpdir(), "keel-local-put-"));
      const path = join(d, "f.bin");
      const bytes = randomBytes(1024 * 1024);
      await c.putFile(path, bytes, { mode: "0600" });
      expect(readFileSync(path).equals(bytes)).toBe(true);
      await expect(c.putFile(path, Buffer.from("x"), { validate: "false %s" })).rejects.toBeInstanceOf(CommandError);
      expect(readFileSync(path).equals(bytes)).toBe(true);
      const { backup } = await c.putFile(path, Buffer.from("new"), { backup: true });
      expect(readFileSync(backup!).equals(bytes)).toBe(true);
      expect(readdirSync(d).filter((f) => f.startsWith(".keel-tmp-"))).toEqual([]);
      rmSync(d, { recursive: true });
    } finally {
      await c.close();
    }
  });

  it("a timeout stops the command and the host; reconnect restarts the shell", async () => {
    const c = await local();
    const t0 = Date.now();
    await expectConnErr(c.exec({ command: "sleep 5", timeoutMs: 200 }), "timeout", /command on localhost \(local\) timed out after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
    await c.reconnect(2000);
    expect((await c.exec({ command: "echo back" })).stdout).toBe("back\n");
    await c.close();
    await expectConnErr(c.exec({ command: "true" }), "lost", /closed/);
  });

  it("a shell that dies mid-command is reported lost", async () => {
    const c = await local();
    await expectConnErr(c.exec({ command: "kill -9 $$" }), "lost", /connection to localhost \(local\) lost: the shell was killed by SIGKILL/);
    await c.close();
  });
});
