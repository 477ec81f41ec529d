// system.wait_for beyond its fixture cases (which the registry test runs).
import { execFileSync, spawnSync } from "node:child_process";
import { connect, createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import mod, { DRAIN_AWK, conditionScript, drainedScript } from "../../../../modules/system/wait_for.js";

describe("system.wait_for", () => {
  it("needs exactly one of port and path", () => {
    expect(() => mod.validate!({})).toThrow(/exactly one of port and path/);
    expect(() => mod.validate!({ port: 1, path: "/x" })).toThrow(/exactly one of port and path/);
    expect(() => mod.validate!({ port: 1, search_regex: "x" })).toThrow(/search_regex needs path/);
  });
  it("checks a file in a real sh", () => {
    const sh = (c: string) => {
      try {
        execFileSync("sh", ["-c", c]);
        return true;
      } catch {
        return false;
      }
    };
    expect(sh(conditionScript({ path: "/etc/hostname" }))).toBe(true);
    expect(sh(conditionScript({ path: "/nonexistent-keel" }))).toBe(false);
    expect(sh(conditionScript({ path: "/nonexistent-keel", state: "absent" }))).toBe(true);
  });
});

describe("system.wait_for state drained (Ansible's LinuxTCPConnectionInfo, run in this machine's sh and awk)", () => {
  const count = (a: Parameters<typeof drainedScript>[0]) => {
    const r = spawnSync("sh", ["-c", drainedScript(a)], { encoding: "utf8" });
    return { n: Number(r.stdout.trim()), rc: r.status };
  };
  async function withConnection(host: string, fn: (port: number) => void | Promise<void>): Promise<void> {
    const server = createServer((s) => s.on("error", () => {}));
    await new Promise<void>((ok) => server.listen(0, host, ok));
    const port = (server.address() as AddressInfo).port;
    const client = connect(port, host);
    await new Promise<void>((ok) => client.on("connect", ok));
    try {
      await fn(port);
    } finally {
      client.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  }
  it("counts an established connection on 127.0.0.1, not one excluded by its remote address, and none on another port", async () => {
    await withConnection("127.0.0.1", (port) => {
      expect(count({ port, state: "drained" })).toEqual({ n: 1, rc: 1 });
      expect(count({ port, state: "drained", host: "0.0.0.0" })).toEqual({ n: 1, rc: 1 });
      expect(count({ port, state: "drained", exclude_hosts: ["127.0.0.1"] })).toEqual({ n: 0, rc: 0 });
      expect(count({ port, state: "drained", active_connection_states: ["TIME_WAIT"] })).toEqual({ n: 0, rc: 0 });
      expect(count({ port: port === 1 ? 2 : 1, state: "drained" })).toEqual({ n: 0, rc: 0 });
    });
  });
  it("reads /proc/net/tcp6 for ::1 (IPv6 addresses in its per-word little-endian hex)", async () => {
    if (spawnSync("sh", ["-c", "grep -q . /proc/net/if_inet6"]).status !== 0) return; // no IPv6 on this machine
    await withConnection("::1", (port) => {
      expect(count({ port, state: "drained", host: "::1" })).toEqual({ n: 1, rc: 1 });
      expect(count({ port, state: "drained", host: "::" })).toEqual({ n: 1, rc: 1 });
      expect(count({ port, state: "drained", host: "::1", exclude_hosts: ["::1"] })).toEqual({ n: 0, rc: 0 });
      expect(count({ port, state: "drained", host: "127.0.0.1" })).toEqual({ n: 0, rc: 0 });
    });
  });
  it("converts addresses to /proc/net/tcp* hex exactly as Ansible's _convert_host_to_hex (values printed by ansible-core 2.14)", () => {
    const conv =
      DRAIN_AWK.split("BEGIN {")[0] + 'BEGIN { n = split(a, L, " "); for (i = 1; i <= n; i++) { x = L[i]; if (x ~ /:/) print v6(x); else print v4(x) } }';
    const r = spawnSync("awk", ["-v", "a=127.0.0.1 ::1 2001:db8::5:1 fe80::1:2:3:4 ::ffff:10.1.2.3 ::", conv], { encoding: "utf8" });
    expect(r.stdout.trim().split("\n")).toEqual([
      "0100007F",
      "00000000000000000000000001000000",
      "B80D0120000000000000000001000500",
      "000080FE000000000200010004000300",
      "0000000000000000FFFF00000302010A",
      "00000000000000000000000000000000",
    ]);
  });
  it("takes Ansible's rules on drained, exclude_hosts and path", () => {
    expect(() => mod.validate!({ path: "/x", state: "drained" })).toThrow(/state=drained should only be used for checking a port/);
    expect(() => mod.validate!({ port: 1, exclude_hosts: ["10.0.0.1"] })).toThrow(/exclude_hosts should only be with state=drained/);
    expect(() => mod.validate!({ port: 1, state: "drained", exclude_hosts: ["a b"] })).toThrow(/not an address or host name/);
  });
});
