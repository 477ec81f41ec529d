import { describe, expect, it } from "vitest";
import mod, { assignment, keyMatches, norm, procPath } from "../../../../modules/system/sysctl.js";

describe("system.sysctl pure parts", () => {
  it("normalises whitespace", () => expect(norm(" 4096\t87380   6291456 ")).toBe("4096 87380 6291456"));
  it("maps keys to /proc/sys paths, both notations", () => {
    expect(procPath("net.ipv4.ip_forward")).toBe("net/ipv4/ip_forward");
    expect(procPath("net/ipv4/conf/eth0.100/rp_filter")).toBe("net/ipv4/conf/eth0.100/rp_filter");
  });
  it("parses sysctl.d assignments", () => {
    expect(assignment("-net.ipv4.ip_forward= 1")).toEqual({ key: "net.ipv4.ip_forward", value: "1" });
    expect(assignment("# net.ipv4.ip_forward=1")).toBeUndefined();
    expect(assignment("; x=1")).toBeUndefined();
  });
  it("matches keys written with slashes or globs", () => {
    expect(keyMatches("net/ipv4/ip_forward", "net.ipv4.ip_forward")).toBe(true);
    expect(keyMatches("net.ipv4.conf.*.rp_filter", "net.ipv4.conf.all.rp_filter")).toBe(true);
    expect(keyMatches("net.ipv4.conf.*.rp_filter", "net.ipv4.conf.all.log_martians")).toBe(false);
    expect(keyMatches("net.ipv4.ip_forward", "net.ipv4.ip_forward_use_pmtu")).toBe(false);
  });
  it("requires value with state present", () => {
    expect(() => mod.validate!({ name: "net.ipv4.ip_forward" })).toThrow(/value is required/);
  });
});
