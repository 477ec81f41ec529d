// The `firewall` fact: backend detection and the effective inbound policy, from a block captured on a
// lab host with keel's table (input policy drop) and a foreign `ip docker` table.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseFirewallFact } from "../../../engine/facts/firewall.js";
import { buildDriftReport } from "../../../engine/report/drift/model.js";
import { EMPTY_FACTS } from "../../../engine/core/facts.js";

const captured = readFileSync(new URL("../../fixtures/captured/facts-firewall-nftables.txt", import.meta.url), "utf8");

describe("firewall fact", () => {
  it("picks nftables and reads the open ports from the live ruleset (the docker table's accept does not open 2375)", () => {
    const f = parseFirewallFact(captured);
    expect(f).toMatchObject({ backend: "nftables", ufw: "absent", firewalld: "absent", nft: true });
    expect(f.inbound?.default).toBe("drop");
    expect(f.inbound?.open).toContainEqual({ proto: "tcp", port: "22", from: ["any"] });
    expect(f.inbound?.open).toContainEqual({ proto: "udp", port: "53", from: ["@trusted4"] });
    expect(f.inbound?.open.some((p) => p.port === "2375")).toBe(false);
  });
  it("with ufw in charge, reads the open ports from ufw's rules (captured after an Ansible ufw playbook)", () => {
    // ufw 0.36.2 on a lab host: 80,443/tcp allow, 22/tcp limit, 8000:8080/tcp from 10.0.0.0/8 on eth0,
    // 23 denied on eth0, outbound rules, default deny incoming. The iptables-nft ruleset ufw generates
    // (addrtype, recent) cannot be evaluated from nft's JSON, so ufw's tuples are the source.
    const f = parseFirewallFact(readFileSync(new URL("../../fixtures/captured/facts-firewall-ufw.txt", import.meta.url), "utf8"));
    expect(f.backend).toBe("ufw");
    expect(f.inbound).toEqual({
      default: "drop",
      open: [
        { proto: "tcp", port: "22", from: ["any"] },
        { proto: "tcp", port: "80", from: ["any"] },
        { proto: "tcp", port: "443", from: ["any"] },
        { proto: "tcp", port: "8000-8080", from: ["10.0.0.0/8"], on: "eth0" },
      ],
    });
  });
  it("follows ufw when enabled, then firewalld when running", () => {
    const rec = (ufw: string, enabled: string, fwd: string) =>
      `@fw\nufw_bin=${ufw}\nufw_enabled=${enabled}\nfirewalld=${fwd}\nnft_bin=/usr/sbin/nft\n@cmd nftj\nrc=1\nerr:b64=${Buffer.from("Error: Operation not permitted\n").toString("base64")}\n`;
    expect(parseFirewallFact(rec("/usr/sbin/ufw", "yes", "running"))).toMatchObject({
      backend: "ufw",
      ufw: "active",
      inbound_error: "cannot read /etc/ufw/user.rules (needs root)",
    });
    expect(parseFirewallFact(rec("/usr/sbin/ufw", "no", "running"))).toMatchObject({ backend: "firewalld", ufw: "inactive" });
    expect(parseFirewallFact(rec("", "", ""))).toMatchObject({ backend: "nftables", ufw: "absent", firewalld: "absent" });
  });
  it("reaches the drift report as the host's open ports", () => {
    const facts = { ...EMPTY_FACTS, firewall: parseFirewallFact(captured) };
    const r = buildDriftReport(
      [
        { type: "run.start", playbook: "p.yml", check: true, hosts: ["lab901"], time: "2026-12-03T00:00:00Z" },
        { type: "host.facts", host: "lab901", facts },
      ],
      { playbook: "p.yml" },
    );
    expect(r.hosts[0]!.firewall).toMatchObject({ backend: "nftables", inbound_default: "drop" });
    expect(r.hosts[0]!.firewall!.open_ports).toContainEqual({ proto: "tcp", port: "22", from: ["any"] });
  });
});

describe("firewall fact robustness", () => {
  it("a garbled block costs only the firewall fact", () => {
    expect(parseFirewallFact("@fw\nnot a record line\n")).toMatchObject({
      backend: "none",
      inbound_error: expect.stringMatching(/unreadable firewall probe output/),
    });
  });
});
