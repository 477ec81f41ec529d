// End to end: firewall.nftables, roles/firewall (playbooks/firewall.yml) and the lockout guard,
// through the real `keel run` / `keel drift` over SSH, on a scratch lab host (firewall changes
// would disturb the other suites on lab01..04). nft runs inside the host's own network namespace.
//
// Everything is checked from outside keel: the ruleset through nsenter (hostExec), traffic from
// this machine (the controller) with raw TCP connects to listeners inside the host, and SSH with
// the system client. A foreign table (`ip docker`, as Docker would leave it) must survive every run.
import { connect } from "node:net";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, keel, ROOT, ssh, startScratchHost, stopScratchHost, type ProcResult, type ScratchHost } from "./lab.js";

const FIX = join(ROOT, "test/e2e/fixtures/firewall");
const PLAYBOOK = join(ROOT, "playbooks/firewall.yml");
// Port 80 is open for the host's group (lab), 5432 only for a group it is not in; 8081 for nobody.
const VARS = JSON.stringify({
  firewall_group_services: { lab: [{ proto: "tcp", dport: 80, action: "accept", comment: "web" }], db: [{ proto: "tcp", dport: 5432, action: "accept" }] },
});

interface Report {
  summary: {
    hosts: Record<string, { changed: number; failed: number; ok: number }>;
    round_trips: Record<string, number>;
    failures: { host: string; task?: string; pos?: string; message: string }[];
  };
}

let host: ScratchHost;
let dir = "";
let n = 0;

async function run(playbook: string, ...extra: string[]): Promise<ProcResult & { report: Report; out: string }> {
  const json = join(dir, `${++n}.json`);
  const r = await keel(["run", playbook, "-i", host.inventory, "--json", json, ...extra]);
  const out = `${r.stdout}\n${r.stderr}`;
  let report: Report;
  try {
    report = JSON.parse(readFileSync(json, "utf8")) as Report;
  } catch {
    throw new Error(`keel wrote no JSON report (exit ${r.code}):\n${out}`);
  }
  return { ...r, out, report };
}

async function drift(): Promise<{ code: number; out: string; report: any }> {
  const r = await keel(["drift", PLAYBOOK, "-i", host.inventory, "-e", VARS, "--format", "json"]);
  return { code: r.code, out: r.stderr, report: JSON.parse(r.stdout) };
}

const ruleset = async () => (await hostExec(host, "nft list ruleset")).stdout;

/** A TCP connect from the controller: "open" when the listener answered, else "refused" or "timeout". */
function probePort(port: number, timeoutMs = 2000): Promise<"open" | "refused" | "timeout"> {
  return new Promise((resolve) => {
    const s = connect({ host: host.address, port });
    const done = (v: "open" | "refused" | "timeout") => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done("timeout"));
    s.once("data", (d) => done(d.toString().startsWith("keel-listener") ? "open" : "refused"));
    s.once("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? "refused" : "timeout"));
  });
}

describeLab("firewall (nftables) on a scratch host", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-fw-"));
    host = await startScratchHost();
    // A foreign table keel must never touch, and listeners inside the host's network namespace.
    await hostExec(
      host,
      `nft -f - <<'EOF'
table ip docker {
  chain input {
    type filter hook input priority filter + 10; policy accept;
    tcp dport 2375 accept
  }
}
EOF`,
    );
    for (const port of [80, 8081])
      await hostExec(
        host,
        `setsid python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", ${port})); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"keel-listener\\n"); c.close()' </dev/null >/dev/null 2>&1 &`,
      );
    for (let i = 0; i < 50 && (await probePort(8081)) !== "open"; i++) await new Promise((r) => setTimeout(r, 200));
  }, 120_000);

  afterAll(async () => {
    if (host) await stopScratchHost(host);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("applies the role, then a second run changes nothing in at most 2 round trips", async () => {
    const first = await run(PLAYBOOK, "-e", VARS);
    expect(first.code, first.out).toBe(0);
    expect(first.report.summary.hosts[host.name]!.changed).toBe(1);
    const rs = await ruleset();
    expect(rs).toContain("table inet keel");
    expect(rs).toMatch(/policy drop;/);
    expect(rs).toContain('tcp dport 22 accept comment "ssh"');
    expect(rs).toContain('tcp dport 80 accept comment "web"');
    expect(rs).not.toContain("5432");
    expect(rs).toContain("table ip docker");
    expect((await hostExec(host, "grep -c 'BEGIN keel firewall.nftables inet keel' /etc/nftables.conf")).stdout.trim()).toBe("1");
    expect((await hostExec(host, "nft -c -f /etc/nftables.conf && echo ok")).stdout.trim()).toBe("ok");

    const second = await run(PLAYBOOK, "-e", VARS);
    expect(second.code, second.out).toBe(0);
    expect(second.report.summary.hosts[host.name]!.changed).toBe(0);
    expect(second.report.summary.round_trips[host.name]).toBeLessThanOrEqual(2);
    console.log(
      `firewall role: first run ${first.report.summary.hosts[host.name]!.changed} change(s), ${first.report.summary.round_trips[host.name]} round trips; second run 0 changes, ${second.report.summary.round_trips[host.name]} round trips`,
    );
  }, 120_000);

  it("lets the SSH port and an allowed port through from the controller, and not a denied one", async () => {
    expect((await ssh(host, "echo through")).stdout.trim()).toBe("through");
    expect(await probePort(80)).toBe("open");
    expect(await probePort(8081)).toBe("timeout");
  }, 60_000);

  it("reports a rule added by hand in nft syntax (live facet), and the open ports per host", async () => {
    await hostExec(host, "nft add rule inet keel input tcp dport 9999 accept");
    const d = await drift();
    expect(d.code, d.out).toBe(2);
    const h = d.report.hosts[0];
    const changes = h.items.flatMap((i: any) => i.changes);
    expect(changes).toContainEqual(
      expect.objectContaining({ field: "live", summary: "live: chain input has a rule that is not declared: tcp dport 9999 accept" }),
    );
    expect(changes.every((c: any) => c.field === "live")).toBe(true);
    expect(h.firewall).toMatchObject({ backend: "nftables", inbound_default: "drop" });
    expect(h.firewall.open_ports).toEqual(
      expect.arrayContaining([
        { proto: "tcp", port: "22", from: ["any"] },
        { proto: "tcp", port: "80", from: ["any"] },
        { proto: "tcp", port: "9999", from: ["any"] },
      ]),
    );
    expect(h.firewall.open_ports.some((p: any) => p.port === "2375" || p.port === "8081")).toBe(false);
    const fix = await run(PLAYBOOK, "-e", VARS);
    expect(fix.report.summary.hosts[host.name]!.changed, fix.out).toBe(1);
    expect(await ruleset()).not.toContain("9999");
  }, 120_000);

  it("reports a flushed ruleset, and a persisted file edited by hand as the persisted facet only", async () => {
    await hostExec(host, "nft delete table inet keel");
    let d = await drift();
    expect(d.report.hosts[0].items[0].changes).toContainEqual(
      expect.objectContaining({ field: "live", summary: "live: table inet keel is missing from the ruleset" }),
    );
    await run(PLAYBOOK, "-e", VARS);

    await hostExec(host, "sed -i 's/tcp dport 80 accept/tcp dport 8081 accept/' /etc/nftables.conf");
    d = await drift();
    expect(d.code, d.out).toBe(2);
    const changes = d.report.hosts[0].items[0].changes;
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ field: "persisted", summary: "persisted: /etc/nftables.conf differs from the declared table inet keel" });
    expect(changes[0].diff).toContain('-\t\ttcp dport 8081 accept comment "web"');
    const fix = await run(PLAYBOOK, "-e", VARS);
    expect(fix.report.summary.hosts[host.name]!.changed, fix.out).toBe(1);
    expect(await ruleset()).toContain("table ip docker");
  }, 120_000);

  it("refuses a ruleset that drops port 22 before touching anything, naming the rule", async () => {
    const before = await ruleset();
    const files = (await hostExec(host, "md5sum /etc/nftables.conf")).stdout;
    const r = await run(join(FIX, "lockout-ssh-drop.yml"));
    expect(r.code, r.out).toBe(2);
    const f = r.report.summary.failures[0]!;
    expect(f.pos).toMatch(/lockout-ssh-drop\.yml:\d+/);
    expect(f.message).toMatch(
      /refusing to apply: a NEW SSH connection from the controller \(198\.18\.\d+\.\d+ → 198\.18\.\d+\.\d+:22\) would be dropped by the rule `tcp dport 22 drop comment "no ssh"` in chain input of table inet keel\. Nothing was changed/,
    );
    expect(await ruleset()).toBe(before);
    expect((await hostExec(host, "md5sum /etc/nftables.conf")).stdout).toBe(files);
    expect((await hostExec(host, "ls /run/keel-firewall 2>/dev/null | wc -l")).stdout.trim()).toBe("0");
  }, 60_000);

  it("fails a raw rule nft rejects with nft's message and the task's file:line, nothing applied", async () => {
    const before = await ruleset();
    const r = await run(join(FIX, "raw-bad.yml"));
    expect(r.code, r.out).toBe(2);
    const f = r.report.summary.failures[0]!;
    expect(f.pos).toMatch(/raw-bad\.yml:5/);
    expect(f.message).toMatch(/nft refused the new table inet keel; nothing was applied:[\s\S]*Error: syntax error[\s\S]*accept-everything/);
    expect(await ruleset()).toBe(before);
  }, 60_000);

  it("stops bad input at load with file:line and a hint, before any host is touched", async () => {
    for (const [file, msg] of [
      ["bad-cidr.yml", /bad-cidr\.yml:\d+:\d+: chains\[0\] \(input\)\.rules\[0\]\.saddr: '10\.0\.0\.0\/33' is not a valid address or CIDR[\s\S]*hint: /],
      ["bad-port.yml", /bad-port\.yml:\d+:\d+: chains\[0\] \(input\)\.rules\[0\]\.dport: port 70000 is out of range[\s\S]*hint: ports are 1-65535/],
      [
        "bad-action.yml",
        /bad-action\.yml:\d+:\d+: argument 'chains\[0\]\.rules\[0\]\.action' of module 'firewall\.nftables' must be one of "accept", "drop", "reject"; got "allow"/,
      ],
      ["bad-ufw.yml", /bad-ufw\.yml:5:\d+: a port range or list needs proto: tcp or udp[\s\S]*hint: ufw refuses ranges and lists for proto any/],
    ] as const) {
      const r = await keel(["run", join(FIX, file), "-i", host.inventory]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).not.toContain(host.name);
    }
  }, 60_000);

  it("a ruleset that really cuts the controller (allow_lockout) is rolled back by the host's dead-man timer", async () => {
    const before = await ruleset();
    const t0 = Date.now();
    const r = await run(join(FIX, "cut.yml"));
    const runMs = Date.now() - t0;
    expect(r.code, r.out).toBe(2);
    const f = r.report.summary.failures[0]!;
    expect(f.message).toMatch(/after applying the new table inet keel, a NEW SSH connection failed/);
    expect(f.message).toMatch(/dead-man switch restored the previous table inet keel after 10 s/);
    expect(await ruleset()).toBe(before);
    const t1 = Date.now();
    expect((await ssh(host, "echo back")).stdout.trim()).toBe("back");
    expect(await probePort(80)).toBe("open");
    expect((await hostExec(host, "ps -eo args | grep -c '[k]eel-deadman' || true")).stdout.trim()).toBe("0");
    console.log(
      `lockout test: keel run ${(runMs / 1000).toFixed(1)} s (timer 10 s); ${f.message.match(/reconnected [\d.]+ s after arming it/)?.[0] ?? f.message}; ssh answered ${Date.now() - t1} ms after the run`,
    );
  }, 120_000);
});

describeLab("firewall role over IPv6, from a second scratch host", () => {
  // The lab's bridge carries no IPv6 for the controller, so a second lab host is the client: both get
  // a ULA address on eth0 (their own namespaces only), the first gets the role and listeners.
  let target: ScratchHost;
  let client: ScratchHost;
  let dir6 = "";
  let v6 = "";
  // A random ULA /64 per run: two runs (or another suite's hosts) on the shared bridge never collide.
  const net = `fd${randomBytes(1).toString("hex")}:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;
  const ADDR = { target: `${net}::1`, client: `${net}::2` };
  beforeAll(async () => {
    dir6 = mkdtempSync(join(tmpdir(), "keel-fw6-"));
    [target, client] = await Promise.all([startScratchHost(), startScratchHost()]);
    for (const [h, a] of [
      [target, ADDR.target],
      [client, ADDR.client],
    ] as const) {
      const r = await hostExec(h, `sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 && ip -6 addr add ${a}/64 dev eth0 nodad && echo ok`, { check: false });
      v6 += r.stdout.trim();
    }
    await hostExec(
      target,
      `setsid python3 -c 'import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("::", 80)); s.listen(16)
t = socket.socket(socket.AF_INET6); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("::", 8081)); t.listen(16)
import threading
def serve(x):
    while True:
        c, _ = x.accept(); c.sendall(b"keel-listener\\n"); c.close()
threading.Thread(target=serve, args=(t,), daemon=True).start(); serve(s)' </dev/null >/dev/null 2>&1 &`,
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all([target, client].filter(Boolean).map((h) => stopScratchHost(h)));
    if (dir6) rmSync(dir6, { recursive: true, force: true });
  });

  /** TCP connects from the client host to the target over IPv6: port → open | timeout | refused. */
  async function probe6(ports: number[]): Promise<Record<number, string>> {
    const py = `import socket
for p in (${ports.join(", ")},):
    s = socket.socket(socket.AF_INET6); s.settimeout(2)
    try:
        s.connect(("${ADDR.target}", p)); print(p, "open")
    except socket.timeout: print(p, "timeout")
    except OSError: print(p, "refused")
    s.close()`;
    const r = await hostExec(client, `python3 -c '${py}'`);
    return Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ") as [string, string]),
    );
  }

  it("lets SSH and an allowed port through over IPv6 and not a denied one; IPv4-only SSH sources close SSH over IPv6", async (ctx) => {
    if (v6 !== "okok") ctx.skip(); // no IPv6 in this kernel
    const go = async (vars: object) => {
      const j = join(dir6, `${Date.now()}.json`);
      const r = await keel(["run", PLAYBOOK, "-i", target.inventory, "-e", JSON.stringify(vars), "--json", j]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    };
    const web = { lab: [{ proto: "tcp", dport: 80, action: "accept", comment: "web" }] };
    await go({ firewall_group_services: web });
    for (let i = 0; i < 20 && (await probe6([80]))[80] === "refused"; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await probe6([22, 80, 8081])).toEqual({ 22: "open", 80: "open", 8081: "timeout" });
    await go({ firewall_group_services: web, firewall_ssh_sources: ["198.18.0.0/15"] });
    expect(await probe6([22, 80])).toEqual({ 22: "timeout", 80: "open" });
    expect((await ssh(target, "echo through")).stdout.trim()).toBe("through");
  }, 180_000);
});

describeLab("firewall.rule (keel's name: the host's backend) on a scratch host", () => {
  let h: ScratchHost;
  let dir2 = "";
  beforeAll(async () => {
    dir2 = mkdtempSync(join(tmpdir(), "keel-fw-rule-"));
    h = await startScratchHost();
  }, 120_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h);
    if (dir2) rmSync(dir2, { recursive: true, force: true });
  });

  it("applies the ufw-style playbook with keel's nftables backend, converges, filters, and refuses a deny of SSH", async () => {
    const json = (k: string) => join(dir2, `rule-${k}-${Date.now()}.json`);
    const go = async (fixture: string) => {
      const j = json(fixture);
      const r = await keel(["run", join(FIX, fixture), "-i", h.inventory, "--json", j]);
      return { ...r, report: JSON.parse(readFileSync(j, "utf8")) as Report, out: `${r.stdout}\n${r.stderr}` };
    };
    const first = await go("rule-style.yml");
    expect(first.code, first.out).toBe(0);
    expect(first.report.summary.hosts[h.name]!.changed).toBe(3); // state: enabled is then already true (the table exists)
    const rs = (await hostExec(h, "nft list table inet keel_rules")).stdout;
    expect(rs).toMatch(/hook input priority filter; policy drop;/);
    expect(rs).toContain('tcp dport 22 accept comment "ssh"');
    expect(rs).toContain('ip saddr 198.18.0.0/15 tcp dport 80 accept comment "web"');
    const second = await go("rule-style.yml");
    expect(second.report.summary.hosts[h.name]!.changed, second.out).toBe(0);
    expect(second.report.summary.round_trips[h.name]).toBeLessThanOrEqual(2);
    console.log(
      `firewall.rule playbook (nftables backend): first run ${first.report.summary.hosts[h.name]!.changed} changes, ${first.report.summary.round_trips[h.name]} round trips; second run 0 changes, ${second.report.summary.round_trips[h.name]} round trips`,
    );

    expect((await ssh(h, "echo through")).stdout.trim()).toBe("through");
    const before = (await hostExec(h, "nft list ruleset")).stdout;
    const deny = await go("rule-deny-ssh.yml");
    expect(deny.code, deny.out).toBe(2);
    expect(deny.report.summary.failures[0]!.message).toMatch(
      /refusing to apply: a NEW SSH connection from the controller .* would be dropped by the rule `tcp dport 22 drop` in chain input of table inet keel_rules/,
    );
    expect((await hostExec(h, "nft list ruleset")).stdout).toBe(before);
  }, 180_000);
});

describeLab("community.general.ufw drives the real ufw on a scratch host", () => {
  let h: ScratchHost;
  let dir3 = "";
  beforeAll(async () => {
    dir3 = mkdtempSync(join(tmpdir(), "keel-fw-ufw-"));
    h = await startScratchHost();
  }, 180_000);
  afterAll(async () => {
    if (h) await stopScratchHost(h);
    if (dir3) rmSync(dir3, { recursive: true, force: true });
  });

  it("installs ufw in the play, records a default while it is inactive, refuses to enable it without an SSH rule, enables it with one (NEW connection proven), converges, refuses a deny of SSH", async () => {
    const go = async (fixture: string) => {
      const j = join(dir3, `${fixture}-${Date.now()}.json`);
      const r = await keel(["run", join(FIX, fixture), "-i", h.inventory, "--json", j]);
      return { ...r, report: JSON.parse(readFileSync(j, "utf8")) as Report, out: `${r.stdout}\n${r.stderr}` };
    };
    // ufw comes from Debian (test/lab/realdebs.ts) through the lab's apt repository; the firewall
    // fact is gathered before the play installs it, the ufw tasks still drive ufw
    const same = await go("ufw-same-play.yml");
    expect(same.code, same.out).toBe(2);
    expect(same.report.summary.failures[0]!.message).toMatch(
      /refusing to apply: with ufw active and default incoming reject, no rule allows a NEW SSH connection from the controller .*Nothing was changed/,
    );
    expect((await hostExec(h, "ufw status")).stdout).toMatch(/^Status: inactive/);
    expect((await hostExec(h, "grep ^DEFAULT_INPUT_POLICY= /etc/default/ufw")).stdout.trim()).toBe('DEFAULT_INPUT_POLICY="REJECT"');
    expect((await hostExec(h, "nft list tables")).stdout).not.toContain("keel_rules");
    const installed = (await hostExec(h, "ufw version | head -n 1")).stdout.trim();

    const first = await go("ufw-style.yml");
    expect(first.code, first.out).toBe(0);
    expect(JSON.stringify(first.report)).toMatch(/ufw --force enable \(applied in \d+ ms; a new SSH connection worked in \d+ ms\)/);
    expect((await hostExec(h, "ufw status")).stdout).toMatch(/^Status: active/);
    expect(first.out).toContain("ufw rule missing: allow in proto tcp from 198.18.0.0/15 to any port 80 comment 'web'");
    const status = (await hostExec(h, "ufw status")).stdout;
    expect(status).toMatch(/80\/tcp\s+ALLOW\s+198\.18\.0\.0\/15\s+# web/);
    expect((await hostExec(h, "nft list tables")).stdout).not.toContain("keel_rules");
    const second = await go("ufw-style.yml");
    expect(second.report.summary.hosts[h.name]!.changed, second.out).toBe(0);
    expect(second.report.summary.round_trips[h.name]).toBeLessThanOrEqual(2);
    console.log(
      `ufw playbook (${installed}): first run ${first.report.summary.hosts[h.name]!.changed} changes, ${first.report.summary.round_trips[h.name]} round trips; second run 0 changes, ${second.report.summary.round_trips[h.name]} round trips`,
    );
    expect((await ssh(h, "echo through")).stdout.trim()).toBe("through");
    const deny = await go("ufw-deny-ssh.yml");
    expect(deny.code, deny.out).toBe(2);
    expect(deny.report.summary.failures[0]!.message).toMatch(
      /would be dropped by the ufw rule `deny tcp 22 0\.0\.0\.0\/0 any 0\.0\.0\.0\/0 in`\. Nothing was changed/,
    );
    expect((await hostExec(h, "ufw status")).stdout).toBe(status);
  }, 180_000);
});
