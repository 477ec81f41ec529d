// firewall.rule's pure parts: Ansible ufw arguments → intent (and the nonsense refused at load),
// ufw's tuples, and the lockout guard of both backends, against state captured on a lab host.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import mod, { type RuleState } from "../../../../modules/firewall/rule.js";
import { intentOf, type UfwArgs } from "../../../../modules/firewall/ufw-args.js";
import { parseTuples } from "../../../../modules/firewall/backends/ufw.js";
import { InputError } from "../../../../engine/core/errors.js";
import { parse } from "yaml";
import { BASE_FACTS } from "../harness.js";

const fixture = (name: string) => parse(readFileSync(new URL(`./${name}.yml`, import.meta.url), "utf8")) as { probe: { stdout: string } };
const stateOf = (name: string, backend: string): RuleState => mod.probe({}, { ...BASE_FACTS, firewall: { backend } }).parse(fixture(name).probe.stdout, 0);

describe("ufw arguments", () => {
  const bad = (a: UfwArgs, msg: RegExp) => {
    let err: unknown;
    try {
      intentOf(a);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(msg);
  };
  it("merges Ansible's aliases", () => {
    expect(intentOf({ rule: "allow", port: "ssh", src: "10.0.0.0/8", protocol: "tcp" }).rule).toMatchObject({
      action: "allow",
      dir: "in",
      proto: "tcp",
      src: "10.0.0.0/8",
      dport: "22",
      dst: "any",
    });
    expect(intentOf({ default: "deny", direction: "outgoing" }).policy).toEqual({ dir: "outgoing", value: "deny" });
  });
  it("leaves out an empty interface, address, port or comment, as Ansible's ufw builds its command from the truthy ones (Oefenweb's ufw role)", () => {
    const r = intentOf({
      rule: "allow",
      interface: "",
      direction: "in",
      from_ip: "",
      to_ip: "any",
      from_port: "",
      to_port: 22,
      protocol: "tcp",
      comment: "",
    }).rule;
    expect(r).toEqual({ action: "allow", dir: "in", proto: "tcp", src: "any", dst: "any", dport: "22", log: false, delete: false });
    // a policy task with the rule's empty arguments is still a policy, not "a rule without rule:"
    expect(intentOf({ policy: "deny", direction: "incoming", from_port: "", interface: "" })).toEqual({ policy: { dir: "incoming", value: "deny" } });
    // only the empty string is left out: blank text is still a bad port
    bad({ rule: "allow", from_port: " " }, /from_port: '' is not a port/);
  });
  it("takes the direction from interface_in / interface_out, as Ansible's ufw writes `in on IF` / `out on IF`", () => {
    expect(intentOf({ rule: "allow", interface_out: "eth0", port: 53, proto: "udp" }).rule).toMatchObject({ dir: "out", iface: "eth0", dport: "53" });
    expect(intentOf({ rule: "allow", if_in: "eth1", port: 22, proto: "tcp" } as UfwArgs).rule).toMatchObject({ dir: "in" });
    expect(intentOf({ rule: "allow", interface_in: "eth1", port: 22, proto: "tcp" }).rule).toMatchObject({ dir: "in", iface: "eth1" });
    expect(intentOf({ rule: "deny", interface: "eth0", direction: "out", proto: "tcp", port: 25 }).rule).toMatchObject({ dir: "out", iface: "eth0" });
  });
  it("refuses nonsensical combinations at load", () => {
    bad({ port: 22, proto: "tcp" }, /describe a rule, but rule: is missing/);
    bad({ policy: "deny", port: 22 }, /describe a rule, but the task sets a default policy/);
    bad({ rule: "allow", port: 22, to_port: 23 }, /to_port and port are the same argument/);
    bad({ rule: "allow", port: "8000:8080" }, /a port range or list needs proto: tcp or udp/);
    bad({ rule: "allow", port: 22, proto: "esp" }, /proto esp has no ports/);
    bad({ rule: "allow", from_ip: "10.0.0.1", to_ip: "2001:db8::1" }, /different IP families/);
    bad({ rule: "allow", port: 22, delete: true, insert: 1 }, /insert does not go with delete/);
    bad({ rule: "allow", direction: "out", interface_in: "eth0" }, /direction and interface_in exclude each other/);
    bad({ rule: "allow", direction: "in", interface_out: "eth0" }, /direction and interface_out exclude each other/);
    bad({ rule: "allow", interface: "eth0", port: 22, proto: "tcp" }, /interface needs direction: in or out/);
    bad({ rule: "allow", interface_in: "eth0", interface_out: "eth1" }, /only make sense for routed rules/);
    bad({ rule: "allow", port: 70000, proto: "tcp" }, /port 70000 is out of range/);
    bad({ rule: "allow", from_ip: "10.0.0.0/40" }, /not a valid address or CIDR/);
    bad({ rule: "allow", name: "OpenSSH" }, /application profiles/);
    bad({}, /nothing to do/);
  });
});

describe("ufw backend", () => {
  it("reads ufw's tuples, comments hex-decoded", () => {
    const t = parseTuples(
      "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368\n### tuple ### deny any 23 0.0.0.0/0 any 0.0.0.0/0 in_eth0\n",
      4,
    );
    expect(t).toEqual([
      { action: "allow", proto: "tcp", dport: "22", dst: "0.0.0.0/0", sport: "any", src: "0.0.0.0/0", dir: "in", comment: "ssh", family: 4 },
      { action: "deny", proto: "any", dport: "23", dst: "0.0.0.0/0", sport: "any", src: "0.0.0.0/0", dir: "in_eth0", family: 4 },
    ]);
  });
  it("refuses a deny of SSH before touching anything, naming the ufw rule", () => {
    const st = stateOf("ufw-converged", "ufw");
    expect(() => mod.diff(st, { rule: "deny", port: 22, proto: "tcp", insert: 1 }, BASE_FACTS)).toThrow(
      /would be dropped by the ufw rule `deny tcp 22 0\.0\.0\.0\/0 any 0\.0\.0\.0\/0 in`\. Nothing was changed/,
    );
    expect(() => mod.diff(st, { rule: "deny", port: 22, proto: "tcp" }, BASE_FACTS)).not.toThrow();
    expect(mod.diff(st, { rule: "deny", port: 22, proto: "tcp", insert: 1, allow_lockout: true }, BASE_FACTS)).toHaveLength(1);
  });
  it("does not count an allow on one interface when keel cannot tell which interface its SSH arrives on", () => {
    const st = stateOf("ufw-converged", "ufw");
    const ssh = { ...st.nft.ssh!, iif: undefined };
    delete ssh.iif;
    const only = {
      ...st,
      ufw: { ...st.ufw!, tuples: parseTuples("### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in_eth1\n", 4) },
      nft: { ...st.nft, ssh },
    };
    expect(() => mod.diff(only, { policy: "deny", direction: "incoming" }, BASE_FACTS)).not.toThrow(); // already deny: no change
    expect(() => mod.diff({ ...only, ufw: { ...only.ufw, defaults: { ...only.ufw.defaults, incoming: "allow" } } }, { policy: "deny" }, BASE_FACTS)).toThrow(
      /default incoming deny, no rule allows a NEW SSH connection/,
    );
  });
  it("refuses deleting the only SSH rule while the default is deny", () => {
    const st = stateOf("ufw-converged", "ufw");
    expect(() => mod.diff(st, { rule: "allow", port: 22, proto: "tcp", delete: true }, BASE_FACTS)).toThrow(
      /default incoming deny, no rule allows a NEW SSH connection/,
    );
  });
});

describe("nftables backend", () => {
  it("refuses a rule that drops SSH from the controller", () => {
    const st = stateOf("nft-converged", "nftables");
    expect(() => mod.diff(st, { rule: "reject", port: 22, proto: "tcp", insert: 1 }, BASE_FACTS)).toThrow(
      /rejected by the rule `tcp dport 22 reject` in chain input of table inet keel_rules/,
    );
  });
  it("refuses limit, which needs ufw", () => {
    const st = stateOf("nft-converged", "nftables");
    expect(() => mod.diff(st, { rule: "limit", port: 2222, proto: "tcp" }, BASE_FACTS)).toThrow(/limit is a ufw feature/);
  });
  it("with firewalld in charge but unreadable, says so naming the fact", () => {
    const st = { ...stateOf("nft-converged", "nftables"), backend: "firewalld" as const };
    expect(() => mod.diff(st, { rule: "allow", port: 80, proto: "tcp" }, BASE_FACTS)).toThrow(/the firewall fact says firewalld/);
  });
});

describe("firewalld backend", () => {
  it("refuses removing ssh access: a rich rule drop for the controller, or a zone without ssh", () => {
    const st = stateOf("firewalld-converged", "firewalld");
    expect(st.firewalld).toMatchObject({ zone: "public", runtime: { services: ["dhcpv6-client", "ssh"], ports: ["8080/tcp"], target: "default" } });
    expect(() => mod.diff(st, { rule: "deny", port: 22, proto: "tcp", from_ip: "198.18.0.0/15" }, BASE_FACTS)).toThrow(
      /dropped by the firewalld rich rule `rule family="ipv4" source address="198\.18\.0\.0\/15" port port="22" protocol="tcp" drop` in zone public/,
    );
    expect(() => mod.diff(st, { rule: "deny", port: 22, proto: "tcp", from_ip: "203.0.113.0/24" }, BASE_FACTS)).not.toThrow();
  });
});
