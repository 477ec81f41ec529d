// Where evidence was read: modules fill Change.source, and the audit shows it as read_from.
import { describe, expect, it } from "vitest";
import sysctl from "../../../../modules/system/sysctl.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";
import { locateTextChange } from "../../../../engine/report/audit/locate.js";
import { toEvidenceChange } from "../../../../engine/report/audit/build.js";

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

describe("a content change is located in the host's file: file:line, the lines found and required", () => {
  it("a replaced line names its line number and both lines", () => {
    const before = "# login.defs\nPASS_MIN_DAYS\t0\nPASS_MAX_DAYS\t99999\nUMASK\t022\n";
    const after = "# login.defs\nPASS_MIN_DAYS\t0\nPASS_MAX_DAYS\t365\nUMASK\t022\n";
    expect(locateTextChange({ path: "/etc/login.defs", before, after })).toEqual({
      where: "/etc/login.defs:3",
      observed: "PASS_MAX_DAYS\t99999",
      expected: "PASS_MAX_DAYS\t365",
    });
  });
  it("an added line: the path, observed absent; a missing file likewise", () => {
    expect(locateTextChange({ path: "/etc/fstab", before: "a\nb\n", after: "a\nb\ntmpfs /tmp tmpfs nodev 0 0\n" })).toEqual({
      where: "/etc/fstab",
      observed: "absent",
      expected: "tmpfs /tmp tmpfs nodev 0 0",
    });
    expect(locateTextChange({ path: "/x", before: "", after: "l1\n" })).toEqual({ where: "/x", observed: "absent", expected: "l1" });
  });
  it("a removed line, an insertion in the middle, a long region, same lines", () => {
    expect(locateTextChange({ path: "/f", before: "a\nX\nb\n", after: "a\nb\n" })).toEqual({ where: "/f:2", observed: "X", expected: "absent" });
    expect(locateTextChange({ path: "/f", before: "a\nb\n", after: "a\nN\nb\n" })).toEqual({ where: "/f", observed: "absent", expected: "N" });
    const many = Array.from({ length: 8 }, (_, i) => `l${i}`).join("\n");
    expect(locateTextChange({ path: "/f", before: "", after: many })!.expected).toBe("l0\nl1\nl2\nl3\nl4\n… (3 more lines)");
    expect(locateTextChange({ path: "/f", before: "a\n", after: "a" })).toBeUndefined();
  });
  it("the audit evidence of a lineinfile-like change carries them; a module's own source wins", () => {
    const diff = { path: "/etc/login.defs", before: "UMASK\t022\n", after: "UMASK\t027\n" };
    const ev = toEvidenceChange({ summary: "line replaced", diff }, "file /etc/login.defs", false);
    expect(ev).toMatchObject({ read_from: "/etc/login.defs:1", observed: "UMASK\t022", expected: "UMASK\t027" });
    const own = toEvidenceChange({ summary: "x", before: "6", after: "4", source: "sshd -T -C user=u,host=a,addr=a" }, "sshd MaxAuthTries", false);
    expect(own).toMatchObject({ read_from: "sshd -T -C user=u,host=a,addr=a", observed: "6", expected: "4" });
    expect(toEvidenceChange({ summary: "s", diff }, "r", true)).toMatchObject({ observed: "(secret)", expected: "(secret)" });
    // A sysctl key not set in any file: nothing observed, so "absent", never an empty observed value.
    const unset = { summary: "kernel.randomize_va_space not set in /etc/sysctl.d/x.conf (→ 2)", after: "2", source: "/etc/sysctl.d/x.conf" };
    expect(toEvidenceChange(unset, "sysctl", false)).toMatchObject({ observed: "absent", expected: "2", read_from: "/etc/sysctl.d/x.conf" });
  });
});
