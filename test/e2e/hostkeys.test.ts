// Host key options as OpenSSH takes them, end to end through `keel run` against a private sshd on
// 127.0.0.1 (test/e2e/local-sshd.ts; no lab host involved): -o StrictHostKeyChecking=no|accept-new
// and -o UserKnownHostsFile=/dev/null in ansible_ssh_common_args, ansible_host_key_checking,
// ANSIBLE_HOST_KEY_CHECKING=False; an unknown key and a changed key are told apart.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keygen, startLocalSshd, SSHD } from "./local-sshd.js";
import { main } from "../../engine/cli/main.js";
import { captureIO as io } from "../capture-io.js";

const suite = existsSync(SSHD) || process.env.CI ? describe : describe.skip;
let dir = "";
let port = 0;
let sshd: ChildProcess | undefined;

/** Inventory of hosts that all point at the private sshd, with per-host extra variables. */
function inventory(name: string, hosts: Record<string, Record<string, unknown>>): string {
  const f = join(dir, name);
  const lines = ["all:", "  hosts:"];
  for (const [h, extra] of Object.entries(hosts)) {
    lines.push(`    ${h}:`);
    const vars = {
      ansible_host: "127.0.0.1",
      ansible_port: port,
      ansible_user: userInfo().username,
      ansible_ssh_private_key_file: join(dir, "client_key"),
      ...extra,
    };
    for (const [k, v] of Object.entries(vars)) lines.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

async function run(inv: string, env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const o = io();
    const code = await main(["run", join(dir, "pb.yml"), "-i", inv, "--json", join(dir, "r.json")], o);
    const rep = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { events: Array<{ type: string; message?: string }> };
    return { code, stdout: o.stdout, stderr: o.stderr, unreachable: rep.events.filter((e) => e.type === "host.unreachable").map((e) => e.message!) };
  } finally {
    process.env = saved;
  }
}
const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("warning: host key checking is disabled"));

suite("host key options (private sshd on 127.0.0.1)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-hostkeys-"));
    keygen(join(dir, "host_ed25519"), "ed25519");
    keygen(join(dir, "client_key"), "ed25519");
    keygen(join(dir, "other_key"), "ed25519");
    sshd = (await startLocalSshd(dir, { hostKeys: [join(dir, "host_ed25519")] })).proc;
    port = Number(readFileSync(join(dir, "sshd_config"), "utf8").match(/^Port (\d+)$/m)![1]);
    writeFileSync(join(dir, "pb.yml"), "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo reached\n      changed_when: false\n");
  });
  afterAll(() => {
    sshd?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an unknown key is refused as an unknown host key (not a changed one), and nothing is recorded", async () => {
    const kh = join(dir, "kh_unknown");
    const r = await run(inventory("i1.yml", { t1: { keel_known_hosts: kh } }));
    expect(r.code).toBe(4);
    expect(r.unreachable).toHaveLength(1);
    expect(r.unreachable[0]).toMatch(/^t1: unreachable while connecting: unknown host key for t1 \(127\.0\.0\.1:\d+\): server offered ssh-ed25519 SHA256:/);
    expect(r.unreachable[0]).not.toMatch(/mismatch|CHANGED/);
    expect(warnings(r.stderr)).toEqual([]);
    expect(existsSync(kh)).toBe(false);
  });

  it("-o StrictHostKeyChecking=no: connects, ONE warning line naming the hosts, no key recorded", async () => {
    const kh = join(dir, "kh_no");
    const r = await run(
      inventory("i2.yml", {
        t1: { keel_known_hosts: kh, ansible_ssh_common_args: "-o StrictHostKeyChecking=no" },
        t2: { keel_known_hosts: kh, ansible_ssh_extra_args: "-oStrictHostKeyChecking=off" },
        t3: { keel_known_hosts: join(dir, "kh_t3"), ansible_ssh_common_args: "-o StrictHostKeyChecking=accept-new" },
      }),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual(["warning: host key checking is disabled for 2 hosts (t1, t2): their identity is not verified and no key is recorded"]);
    expect(existsSync(kh)).toBe(false);
    expect(readFileSync(join(dir, "kh_t3"), "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no, the usual pair, connects", async () => {
    const r = await run(inventory("i3.yml", { t1: { ansible_ssh_common_args: "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no" } }));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
  });

  it("accept-new records an unknown key, then knows it; a changed key is still refused as CHANGED", async () => {
    const kh = join(dir, "kh_new");
    const inv = inventory("i4.yml", { t1: { keel_known_hosts: kh, ansible_ssh_common_args: "-o StrictHostKeyChecking=accept-new" } });
    expect((await run(inv)).code).toBe(0);
    const recorded = readFileSync(kh, "utf8");
    expect(recorded).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${port} ssh-ed25519 `));
    expect((await run(inv)).code).toBe(0);
    expect(readFileSync(kh, "utf8")).toBe(recorded);
    writeFileSync(kh, `[127.0.0.1]:${port} ssh-ed25519 ${readFileSync(join(dir, "other_key.pub"), "utf8").split(" ")[1]}\n`);
    const r = await run(inv);
    expect(r.code).toBe(4);
    expect(r.unreachable[0]).toMatch(/^t1: unreachable while connecting: host key CHANGED for t1 .* remove the old key with ssh-keygen -R/);
  });

  it("ANSIBLE_HOST_KEY_CHECKING=False and ansible_host_key_checking: false disable checking; true keeps it", async () => {
    const kh = join(dir, "kh_env");
    const r = await run(inventory("i5.yml", { t1: { keel_known_hosts: kh }, t2: { keel_known_hosts: kh } }), { ANSIBLE_HOST_KEY_CHECKING: "False" });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual(["warning: host key checking is disabled for 2 hosts (t1, t2): their identity is not verified and no key is recorded"]);
    expect(existsSync(kh)).toBe(false);
    // the host variable beats the environment, both ways
    const r2 = await run(
      inventory("i6.yml", { t1: { keel_known_hosts: kh, ansible_host_key_checking: false }, t2: { keel_known_hosts: kh, ansible_host_key_checking: true } }),
      { ANSIBLE_HOST_KEY_CHECKING: "False" },
    );
    expect(r2.code).toBe(4);
    expect(warnings(r2.stderr)).toEqual([expect.stringContaining("for 1 host (t1)")]);
    expect(r2.unreachable).toEqual([expect.stringMatching(/^t2: unreachable while connecting: unknown host key/)]);
  });

  it("ANSIBLE_SSH_ARGS comes first: its StrictHostKeyChecking=no beats the host's =yes; an option keel cannot honour in it is a load error", async () => {
    const kh = join(dir, "kh_args");
    const inv = inventory("i7.yml", { t1: { keel_known_hosts: kh, ansible_ssh_common_args: "-o StrictHostKeyChecking=yes" } });
    const r = await run(inv, { ANSIBLE_SSH_ARGS: "-C -o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=no" });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
    const o = io();
    process.env.ANSIBLE_SSH_ARGS = "-o HostKeyAlias=bastion";
    try {
      expect(await main(["run", join(dir, "pb.yml"), "-i", inv], o)).toBe(1);
    } finally {
      delete process.env.ANSIBLE_SSH_ARGS;
    }
    expect(o.stderr).toMatch(/ANSIBLE_SSH_ARGS\b.*\bsets -o HostKeyAlias=bastion, which keel does not honour/);
  });
});
