// Jump hosts on real SSH: two targets on a private bridge the machine has no address on
// (test/lab/backnet.ts), reachable only through a scratch host acting as the bastion. keel reaches
// them through ssh_config's ProxyJump (one bastion connection for both, counted in the bastion's
// sshd log), through -J in ansible_ssh_common_args, through a two-hop chain and through a
// ProxyCommand; host keys of the bastion and of the targets are both checked; a target the
// bastion cannot reach, and an unreachable bastion, are reported with the bastion named.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeLab,
  hostExec,
  keel,
  lab,
  setupBackNet,
  startScratchHost,
  stopScratchHost,
  teardownBackNet,
  waitForPort,
  type BackNet,
  type ScratchHost,
} from "./lab.js";

const SSHD_LOG = "/var/log/keel-sshd.log";

describeLab("jump hosts (ProxyJump, ProxyCommand) to a network only the bastion reaches", () => {
  let dir = "";
  let bastion: ScratchHost | undefined;
  const targets: ScratchHost[] = [];
  let net: BackNet;
  let kh = "";
  let key = "";

  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const sshConfig = (extra = "") =>
    write(
      `ssh_config${Math.random().toString(36).slice(2, 8)}`,
      [
        "Host bastion",
        `  HostName ${bastion!.address}`,
        "  User root",
        `  IdentityFile ${key}`,
        "Host t1 t2",
        "  ProxyJump bastion",
        "Host t1",
        `  HostName ${net.targets[0]!.address}`,
        "Host t2",
        `  HostName ${net.targets[1]!.address}`,
        extra,
        "",
      ].join("\n"),
    );
  /** An inventory of the two targets by name only: where they are comes from ssh_config. */
  const inventory = (vars: Record<string, string> = {}, hosts = "t1: {}\n    t2: {}") =>
    write(
      `inv${Math.random().toString(36).slice(2, 8)}.yml`,
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${key}\n    keel_known_hosts: ${kh}\n${Object.entries(vars)
        .map(([k, v]) => `    ${k}: '${v}'\n`)
        .join("")}  hosts:\n    ${hosts}\n`,
    );
  const playbook = () =>
    write(
      "pb.yml",
      `- hosts: all\n  gather_facts: true\n  tasks:\n    - name: marker\n      copy:\n        dest: /tmp/keel-bastion-marker\n        content: "{{ inventory_hostname }} {{ ansible_all_ipv4_addresses | join(',') }}\\n"\n`,
    );
  const acceptedLogins = async () => Number((await hostExec(bastion!, `grep -c 'Accepted publickey' ${SSHD_LOG} || true`)).stdout.trim());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-bastion-"));
    bastion = await startScratchHost();
    targets.push(await startScratchHost(), await startScratchHost());
    key = lab().privateKey;
    net = await setupBackNet(bastion!, targets);
    // known_hosts with the bastion under its lab address and the targets under their back addresses
    kh = write(
      "known_hosts",
      [`${bastion!.address} ${bastion!.hostKey}`, ...net.targets.map((t, i) => `${t.address} ${targets[i]!.hostKey}`)].join("\n") + "\n",
    );
    // the bastion's sshd logs to a file, so that its logins can be counted
    await hostExec(bastion!, `echo 'SSHD_OPTS="-E ${SSHD_LOG}"' > /etc/default/ssh && service ssh restart >/dev/null`);
    await waitForPort(bastion!.address, 22);
  }, 180_000);

  afterAll(async () => {
    await teardownBackNet(bastion).catch(() => undefined);
    for (const h of [bastion, ...targets]) if (h) await stopScratchHost(h).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("the targets are not reachable directly", async () => {
    const direct = write(
      "inv-direct.yml",
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${key}\n    keel_known_hosts: ${kh}\n  hosts:\n    t1:\n      ansible_host: ${net.targets[0]!.address}\n    t2:\n      ansible_host: ${net.targets[1]!.address}\n`,
    );
    const r = await keel(["run", playbook(), "-i", direct, "-T", "2", "-F", write("empty_config", "")]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/t1: unreachable while connecting: .*no route to t1 \(198\.19\.254\.10:22\)/);
  });

  it("ssh_config ProxyJump: both targets converge through ONE bastion connection; a second run changes nothing", async () => {
    const before = await acceptedLogins();
    const cfg = sshConfig();
    const r = await keel(["run", playbook(), "-i", inventory(), "-F", cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await acceptedLogins()).toBe(before + 1);
    for (const [i, t] of targets.entries()) {
      expect((await hostExec(t, "cat /tmp/keel-bastion-marker")).stdout).toMatch(
        new RegExp(`^t${i + 1} (.*,)?${net.targets[i]!.address.replace(/\./g, "\\.")}(,.*)?\n$`),
      );
    }
    const again = await keel(["run", playbook(), "-i", inventory(), "-F", cfg]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/changed=0/);
  });

  it("-o ProxyJump in ansible_ssh_common_args, and a two-hop chain bastion,t2 to reach t1", async () => {
    // t2, as a jump host, gets its key from ssh_config (as with ssh -J, the target's key is not used for it)
    const cfg = write("plain_config", `Host bastion\n  HostName ${bastion!.address}\n  User root\nHost *\n  IdentityFile ${key}\n`);
    const inv = write(
      "inv-args.yml",
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${key}\n    keel_known_hosts: ${kh}\n  hosts:\n    t1:\n      ansible_host: ${net.targets[0]!.address}\n      ansible_ssh_common_args: '-o ProxyJump=bastion'\n    t1-via-t2:\n      ansible_host: ${net.targets[0]!.address}\n      ansible_ssh_extra_args: '-J bastion,root@${net.targets[1]!.address}'\n`,
    );
    const r = await keel(["run", playbook(), "-i", inv, "-F", cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/t1-via-t2\s.*ok=/);
  });

  it("ProxyCommand: the command's stdio is the connection (here OpenSSH's ssh -W through the bastion)", async () => {
    const cfg = write(
      "cmd_config",
      `Host t1\n  HostName ${net.targets[0]!.address}\n  ProxyCommand ssh -i ${key} -o BatchMode=yes -o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -W %h:%p root@${bastion!.address}\n`,
    );
    const r = await keel(["run", playbook(), "-i", inventory({}, "t1: {}"), "-F", cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("host keys: a wrong key for the bastion, or for a target behind it, refuses that host", async () => {
    const other = targets[1]!.hostKey;
    const badBastion = write("kh_bad_bastion", `${bastion!.address} ${other}\n${net.targets[0]!.address} ${targets[0]!.hostKey}\n`);
    const r = await keel(["run", playbook(), "-i", inventory({}, `t1: { keel_known_hosts: ${badBastion} }`), "-F", sshConfig()]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/t1: unreachable while connecting: .*jump host bastion .*host key CHANGED for jump host bastion/);
    const badTarget = write("kh_bad_target", `${bastion!.address} ${bastion!.hostKey}\n${net.targets[0]!.address} ${other}\n`);
    const r2 = await keel(["run", playbook(), "-i", inventory({}, `t1: { keel_known_hosts: ${badTarget} }`), "-F", sshConfig()]);
    expect(r2.code, r2.stdout + r2.stderr).toBe(4);
    expect(r2.stdout + r2.stderr).toMatch(/t1: unreachable while connecting: host key CHANGED for t1 \(198\.19\.254\.10:22\).*through jump host bastion/);
  });

  it("a target the bastion cannot reach, and a bastion that does not answer, are reported naming the bastion", async () => {
    const cfg = sshConfig(
      `Host ghost\n  HostName ${"198.19.254.99"}\n  ProxyJump bastion\nHost deadgate\n  HostName 198.19.253.1\n  IdentityFile ${key}\nHost behind-dead\n  HostName ${net.targets[0]!.address}\n  ProxyJump deadgate\n`,
    );
    const r = await keel(["run", playbook(), "-i", inventory({}, "ghost: {}\n    behind-dead: {}\n    t2: {}"), "-F", cfg, "-T", "3"]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(
      /ghost: unreachable while connecting: .*jump host bastion \(198\.\d+\.\d+\.\d+:22\) could not open a connection to 198\.19\.254\.99:22/,
    );
    expect(out).toMatch(
      /behind-dead: unreachable while connecting: .*jump host deadgate .*is unreachable: no route to jump host deadgate \(198\.19\.253\.1:22\)/,
    );
    // the reachable host behind the same bastion is unaffected
    expect(out).toMatch(/t2\s.*ok=\d+/);
  });
});
