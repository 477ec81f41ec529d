// The lab itself: real hosts reachable over real SSH, each isolated in its own network, hostname
// and filesystem; the local apt repository; and the helpers other e2e tests rely on to make drift,
// stop sshd, cut a link and add latency.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HOSTS,
  INVENTORY,
  SCRATCH_BASE,
  type ScratchHost,
  INVENTORY_INI,
  KNOWN_HOSTS,
  addHostUser,
  assertLabAddress,
  cutLink,
  describeLab,
  flushFirewall,
  hostExec,
  hostIndex,
  initPid,
  inLabNet,
  keel,
  lab,
  labHost,
  listFirewall,
  proxyKnownHostsLine,
  readHostFile,
  resetHost,
  restoreLink,
  ssh,
  startDelayProxy,
  startScratchHost,
  startSshd,
  stopScratchHost,
  stopSshd,
  writeHostFile,
} from "./lab.js";

describe("lab addressing (pure)", () => {
  it.each([
    ["198.18.0.1", true],
    ["198.19.255.254", true],
    ["198.17.255.255", false],
    ["198.20.0.1", false],
    ["10.0.0.1", false],
    ["127.0.0.1", false],
  ])("inLabNet(%s) = %s", (ip, want) => {
    expect(inLabNet(ip)).toBe(want);
  });

  it("refuses addresses outside 198.18.0.0/15", () => {
    expect(() => assertLabAddress("192.168.1.10")).toThrow(/refusing to use 192\.168\.1\.10/);
    expect(assertLabAddress("198.18.3.7")).toBe("198.18.3.7");
  });

  it.each([
    [1, "lab01", "198.18.0.11", "keel-lab01", "klab01"],
    [200, "lab200", "198.18.0.210", "keel-lab200", "klab200"],
    [300, "lab300", "198.18.1.54", "keel-lab300", "klab300"],
  ])("host %i is %s at %s", (i, name, address, netns, veth) => {
    expect(labHost(i)).toEqual({ index: i, name, address, netns, veth });
    expect(hostIndex(name)).toBe(i);
    expect(hostIndex(address)).toBe(i);
  });

  it("rejects host numbers out of range", () => {
    expect(() => labHost(0)).toThrow(/host number/);
    expect(() => labHost(1.5)).toThrow(/host number/);
  });
});

describeLab("shared lab hosts", () => {
  const [a] = HOSTS;

  it("has at least two hosts and inventories listing them all", () => {
    expect(HOSTS.length).toBeGreaterThanOrEqual(2);
    const inv = parseYaml(readFileSync(INVENTORY, "utf8"));
    expect(Object.keys(inv.all.children.lab.hosts)).toEqual(HOSTS.map((h) => h.name));
    expect(inv.all.children.lab.hosts[a.name].ansible_host).toBe(a.address);
    expect(Object.keys(inv.all.children.odd.hosts)).toContain("lab01");
    expect(Object.keys(inv.all.children.even.hosts ?? {})).not.toContain("lab01");
    expect(inv.all.vars).toMatchObject({ ansible_user: "root", ansible_ssh_private_key_file: lab().privateKey, keel_known_hosts: KNOWN_HOSTS });
    const ini = readFileSync(INVENTORY_INI, "utf8");
    for (const h of HOSTS) expect(ini).toContain(`${h.name} ansible_host=${h.address}\n`);
    const known = readFileSync(KNOWN_HOSTS, "utf8").trim().split("\n");
    expect(known).toHaveLength(HOSTS.length);
    for (const h of HOSTS) expect(known).toContain(`${h.name},${h.address} ${h.hostKey}`);
  });

  it("every host answers over SSH with the lab key, with its own hostname and host key", async () => {
    const results = await Promise.all(HOSTS.map((h) => ssh(h, "hostname; cat /etc/ssh/ssh_host_ed25519_key.pub")));
    for (const [i, r] of results.entries()) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const [hostname, key] = r.stdout.trim().split("\n");
      expect(hostname).toBe(HOSTS[i]!.name);
      expect(key!.split(" ").slice(0, 2).join(" ")).toBe(HOSTS[i]!.hostKey);
    }
    expect(new Set(HOSTS.map((h) => h.hostKey)).size).toBe(HOSTS.length);
  });

  it("labuser logs in with the same key and has passwordless sudo", async () => {
    const r = await ssh(a, "id -un; sudo -n id -u", { user: lab().sudoUser });
    expect(r.stdout).toBe(`${lab().sudoUser}\n0\n`);
  });

  it("keel() runs the built CLI", async () => {
    const r = await keel(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

// Destructive checks run on two scratch hosts of their own, so tests sharing the lab are not disturbed.
describeLab("scratch lab hosts", () => {
  let a: ScratchHost;
  let b: ScratchHost;
  beforeAll(async () => {
    [a, b] = await Promise.all([startScratchHost(), startScratchHost()]);
  });
  afterAll(async () => {
    for (const h of [a, b]) if (h) await stopScratchHost(h);
  });

  it("are outside the inventory and reachable with their own known_hosts", async () => {
    expect(a.index).toBeGreaterThanOrEqual(SCRATCH_BASE);
    expect(a.name).not.toBe(b.name);
    expect(readFileSync(INVENTORY, "utf8")).not.toContain(a.name);
    expect(readFileSync(a.inventory, "utf8")).toContain(`ansible_host: ${a.address}`);
    expect((await ssh(a, "hostname")).stdout).toBe(`${a.name}\n`);
  });

  it("a net.* sysctl set in one host stays in that host; kernel-wide sysctls are read-only", async () => {
    // A new netns inherits the machine's IPv4 settings (devconf_inherit_init_net 0), so host b
    // starts with the machine's value whatever it is; host a flips it.
    const machineBefore = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8");
    const bBefore = (await ssh(b, "cat /proc/sys/net/ipv4/ip_forward")).stdout;
    const flipped = bBefore.trim() === "1" ? "0" : "1";
    const set = await ssh(a, `sysctl -w net.ipv4.ip_forward=${flipped} && cat /proc/sys/net/ipv4/ip_forward`);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`${flipped}\n`);
    expect((await ssh(b, "cat /proc/sys/net/ipv4/ip_forward")).stdout).toBe(bBefore);
    expect(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8")).toBe(machineBefore);
    const kernel = await ssh(a, "sysctl -w vm.swappiness=13");
    expect(kernel.code).not.toBe(0);
    expect(readFileSync("/proc/sys/vm/swappiness", "utf8").trim()).not.toBe("13");
  });

  it("nftables rules stay in the host; flushFirewall removes them", async () => {
    const add = await ssh(
      a,
      "nft add table inet keel_lab_test && nft add chain inet keel_lab_test input '{ type filter hook input priority 0; }' && nft list tables",
    );
    expect(add.code).toBe(0);
    expect(add.stdout).toContain("table inet keel_lab_test");
    expect((await ssh(b, "nft list tables")).stdout).not.toContain("keel_lab_test");
    const onMachine = spawnSync("nft", ["list", "tables"], { encoding: "utf8" });
    expect(onMachine.status).toBe(0);
    expect(onMachine.stdout).not.toContain("keel_lab_test");
    expect((await hostExec(a, "nft list tables")).stdout).toContain("keel_lab_test");
    expect(await listFirewall(a)).toContain("keel_lab_test");
    await flushFirewall(a);
    expect(await listFirewall(a)).not.toContain("keel_lab_test");
  });

  it("apt works offline from the local repository, including a -security update", async () => {
    const env = "DEBIAN_FRONTEND=noninteractive";
    expect((await ssh(a, "apt-get update -q")).code).toBe(0);
    const install = await ssh(a, `${env} apt-get install -y -q keel-hello=1.0 && keel-hello`);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain("keel-hello 1.0\n");
    const upgradable = await ssh(a, "apt list --upgradable 2>/dev/null");
    expect(upgradable.stdout).toMatch(/keel-hello\/keel-security 1\.1 all \[upgradable from: 1\.0\]/);
    const upgrade = await ssh(a, `${env} apt-get install -y -q --only-upgrade keel-hello && keel-hello`);
    expect(upgrade.stdout).toContain("keel-hello 1.1\n");
    // The other host saw none of it.
    expect((await ssh(b, "dpkg-query -W -f='${Status}' keel-hello 2>&1")).code).not.toBe(0);
  });

  it("keel-daemon's sysv init script starts, reloads, restarts and stops the daemon", async () => {
    const env = "DEBIAN_FRONTEND=noninteractive";
    await ssh(a, "apt-get update -q");
    expect((await ssh(a, `${env} apt-get install -y -q keel-daemon`)).code).toBe(0);
    expect((await ssh(a, "service keel-daemon status")).code).toBe(0); // started on install
    expect((await ssh(a, "service keel-daemon reload >/dev/null && sleep 0.5 && wc -l < /run/keel-daemon.reloaded")).stdout.trim()).toBe("1");
    expect((await ssh(a, "service keel-daemon restart >/dev/null && sleep 0.3 && wc -l < /run/keel-daemon.started")).stdout.trim()).toBe("2");
    expect((await ssh(a, "service keel-daemon stop >/dev/null; service keel-daemon status")).code).toBe(3);
    expect((await ssh(a, "ps -eo stat= | grep -c Z")).stdout.trim()).toBe("0"); // PID 1 reaps
  });

  it("tamper helpers change files and users behind keel's back", async () => {
    await writeHostFile(b, "/etc/motd", "tampered\n", "0600");
    expect((await ssh(b, "cat /etc/motd; stat -c %a /etc/motd")).stdout).toBe("tampered\n600\n");
    expect(await readHostFile(b, "/etc/motd")).toBe("tampered\n");
    expect(await readHostFile(b, "/nonexistent")).toBeUndefined();
    await addHostUser(b, "intruder", { uid: 4242 });
    expect((await ssh(b, "id -u intruder")).stdout).toBe("4242\n");
    expect((await ssh(a, "id -u intruder")).code).not.toBe(0);
  });

  it("resetHost throws a host's changes away and keeps its address and host key", async () => {
    await writeHostFile(b, "/root/marker", "x");
    await resetHost(b.name);
    const r = await ssh(b, "test -e /root/marker && echo present || echo absent");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("absent\n");
  });

  it("stopSshd makes the host refuse SSH, startSshd brings it back", async () => {
    await stopSshd(b);
    const refused = await ssh(b, "true", { connectTimeout: 3 });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/refused/i);
    await startSshd(b);
    expect((await ssh(b, "true")).code).toBe(0);
  });

  it("cutLink makes the host unreachable (timeout, not refusal), restoreLink brings it back", async () => {
    await cutLink(b);
    try {
      const cut = await ssh(b, "true", { connectTimeout: 2 });
      expect(cut.code).toBe(255);
      expect(cut.stderr).toMatch(/timed out|No route to host|unreachable/i);
    } finally {
      await restoreLink(b);
    }
    expect((await ssh(b, "true")).code).toBe(0);
  });

  it("the delay proxy adds measurable latency and carries a real SSH session", async () => {
    const delayMs = 150;
    const proxy = await startDelayProxy({ target: a.address, delayMs });
    const banner = (host: string, port: number) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const s = connect({ host, port });
        s.once("data", () => (s.destroy(), resolve(performance.now() - t0)));
        s.once("error", reject);
      });
    const dir = mkdtempSync(join(tmpdir(), "keel-lab-proxy-"));
    try {
      // the fastest of five banners each way: one banner can take longer than the delay itself
      // when the machine is loaded (sshd forks per connection), which once left direct and
      // delayed 0.6 ms apart in a full run
      const fastest = async (host: string, port: number) => {
        let best = Infinity;
        for (let i = 0; i < 5; i++) best = Math.min(best, await banner(host, port));
        return best;
      };
      const direct = await fastest(a.address, 22);
      const delayed = await fastest(proxy.host, proxy.port);
      expect(delayed).toBeGreaterThanOrEqual(delayMs);
      expect(delayed - direct).toBeGreaterThanOrEqual(delayMs * 0.9);
      const kh = join(dir, "known_hosts");
      writeFileSync(kh, proxyKnownHostsLine(proxy, a.hostKey));
      const fast = await ssh(a, "hostname");
      const slow = await ssh(a, "hostname", { address: proxy.host, port: proxy.port, knownHosts: kh });
      expect(slow.code).toBe(0);
      expect(slow.stdout).toBe(`${a.name}\n`);
      // An SSH login takes several round trips; each costs 2 × delayMs more through the proxy.
      expect(slow.ms - fast.ms).toBeGreaterThan(4 * delayMs);
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stopScratchHost leaves nothing of the host: processes, link, namespace, files", async () => {
    const c = await startScratchHost();
    const pid = await initPid(c);
    expect(pid).toBeGreaterThan(0);
    await stopScratchHost(c);
    expect(await initPid(c)).toBeUndefined();
    expect(() => process.kill(pid!, 0)).toThrow();
    expect(spawnSync("ip", ["link", "show", c.veth]).status).not.toBe(0);
    expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toContain(c.netns);
    expect(existsSync(join(lab().stateDir, "hosts", c.name))).toBe(false);
  });
});
