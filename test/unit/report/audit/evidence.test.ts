// Where evidence was read: modules fill Change.source, and the audit shows it as read_from.
import { describe, expect, it } from "vitest";
import sysctl from "../../../../modules/system/sysctl.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

describe("system.sysctl names where it read each value", () => {
  it("the managed file's line, the overriding file's line, and /proc/sys for the live value", () => {
    const st = {
      live: "1",
      settings: [
        { file: "/etc/sysctl.d/60-keel-hardening.conf", line: 2, value: "1", rank: "60-keel-hardening.conf" },
        { file: "/etc/sysctl.d/99-local.conf", line: 7, value: "1", rank: "99-local.conf" },
      ],
      target: ["# keel", "net.ipv4.ip_forward = 1"],
    };
    const changes = sysctl.diff(st, { name: "net.ipv4.ip_forward", value: "0", sysctl_file: "/etc/sysctl.d/60-keel-hardening.conf" } as never, EMPTY_FACTS);
    expect(changes.map((c) => [c.field, c.before, c.after, c.source])).toEqual([
      ["file", "1", "0", "/etc/sysctl.d/60-keel-hardening.conf:2"],
      ["persisted", "1", "0", "/etc/sysctl.d/99-local.conf:7"],
      ["live", "1", "0", "/proc/sys/net/ipv4/ip_forward"],
    ]);
  });
});
