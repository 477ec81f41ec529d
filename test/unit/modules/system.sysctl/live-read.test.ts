import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import sysctl from "../../../../modules/system/sysctl.js";

// The probe's live value, read by a real sh from this machine's /proc/sys, for keys whose values
// have more than one character. A /proc/sys file read at a non-zero offset gives nothing and dash's
// read takes a byte at a time, so a probe reading it with `read` saw "16" as "1" and judged
// max_addresses = 1 already live (os_hardening's compat row, 2026-12-04).
const KEYS = ["kernel.pid_max", "net.ipv6.conf.default.max_addresses", "net.ipv4.ip_local_port_range"];

describe("system.sysctl probe: the live value is read whole", () => {
  for (const key of KEYS) {
    it(key, () => {
      const proc = `/proc/sys/${key.replace(/\./g, "/")}`;
      const want = readFileSync(proc, "utf8").trim().replace(/\s+/g, " ");
      expect(want.length).toBeGreaterThan(1);
      const probe = sysctl.probe({ name: key, value: "1", sysctl_file: "/tmp/keel-sysctl-live-read.conf" } as never, {} as never) as unknown as {
        script: string;
        parse: (stdout: string) => { live?: string };
      };
      const out = execFileSync("sh", ["-c", probe.script], { encoding: "utf8" });
      expect(probe.parse(out).live).toBe(want);
    });
  }
});
