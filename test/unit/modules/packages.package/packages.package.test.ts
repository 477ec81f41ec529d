import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import mod from "../../../../modules/packages/package.js";
import { parseSpecs } from "../../../../modules/packages/package-module.js";
import apt from "../../../../modules/packages/apt.js";
import dnf from "../../../../modules/packages/dnf.js";
import { ageText as age } from "../../../../engine/core/age.js";
import { compareDebVersions, compareRpmVersions } from "../../../../engine/core/pkgversion.js";
import { lockError } from "../../../../engine/core/aptlock.js";
import { splitApk } from "../../../../modules/packages/backends/apk.js";
import { BASE_FACTS } from "../harness.js";

// Expected results computed with `dpkg --compare-versions A lt|eq|gt B` on Debian 12 (dpkg 1.21).
const DEB: [string, string, number][] = [
  ["5.2.15-2+b13", "5.2.15-2+b8", 1],
  ["1.0~rc1", "1.0", -1],
  ["1.0", "1.0~rc1", 1],
  ["1:1.0", "2.0", 1],
  ["1.0-1", "1.0-1", 0],
  ["1.0", "1.0-0", 0],
  ["1.0a", "1.0", 1],
  ["1.0+a", "1.0a", 1],
  ["1.0.", "1.0", 1],
  ["1.01", "1.1", 0],
  ["0.17+2.4-2+deb12u3", "0.17+2.4-2", 1],
  ["2.36-9+deb12u14", "2.36-9+deb12u7", 1],
  ["1:9.2p1-2+deb12u10", "9.9", 1],
  ["1.0~~", "1.0~", -1],
  ["1.0-1ubuntu1", "1.0-1", 1],
  ["1.2.3", "1.2.10", -1],
];

describe("compareDebVersions (dpkg order)", () => {
  for (const [a, b, want] of DEB) {
    it(`${a} vs ${b}`, () => expect(Math.sign(compareDebVersions(a, b))).toBe(want));
  }
});

describe("compareRpmVersions (rpmvercmp order)", () => {
  const cases: [string, string, number][] = [
    ["1.1-1", "1.0-1", 1],
    ["1.0-1", "1.0-1", 0],
    ["1.0-10", "1.0-9", 1],
    ["1:1.0-1", "2.0-1", 1],
    ["1.0~rc1-1", "1.0-1", -1],
    ["1.0^post1-1", "1.0-1", 1],
    ["1.0a-1", "1.0-1", 1],
    ["1.a-1", "1.1-1", -1],
    ["2.0", "2.0-5", 0],
    ["1.0.el8", "1.0.el7", 1],
  ];
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b}`, () => expect(Math.sign(compareRpmVersions(a, b))).toBe(want));
  }
});

describe("packages.package pure parts", () => {
  it("splits names, comma lists and pins", () => {
    expect(parseSpecs({ name: "a, b=1.0-1" })).toEqual([{ name: "a" }, { name: "b", version: "1.0-1" }]);
    expect(parseSpecs({ name: ["x", "x"] })).toEqual([{ name: "x" }]);
  });
  it("rejects shell-unsafe names and pins with latest", () => {
    expect(() => parseSpecs({ name: "a;rm -rf /" })).toThrow(/invalid package name/);
    expect(() => parseSpecs({ name: "-o" })).toThrow(/invalid package name/);
    expect(() => parseSpecs({ name: "a=1", state: "latest" })).toThrow(/contradicts state: latest/);
  });
  it("formats ages", () => {
    expect(age(42)).toBe("42 s");
    expect(age(5400)).toBe("90 min");
    expect(age(3 * 3600 + 600)).toBe("3 h 10 min");
    expect(age(200000)).toBe("2 d 7 h");
  });
  it("names the lock holder from apt's own messages, and ignores other failures", () => {
    expect(lockError("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)", 60)).toBe(
      "dpkg lock /var/lib/dpkg/lock-frontend still held by process 812 (unattended-upgr) after waiting 60 s; wait for it to finish or raise lock_timeout",
    );
    expect(lockError("E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?", 5)).toMatch(
      /lock-frontend still held after waiting 5 s/,
    );
    expect(lockError("E: Unable to locate package nosuch", 60)).toBeUndefined();
  });
  it("splits apk name-version", () => {
    expect(splitApk("busybox-binsh-1.36.1-r2")).toEqual(["busybox-binsh", "1.36.1-r2"]);
    expect(splitApk("py3-foo-2-1.0_rc1-r0")).toEqual(["py3-foo-2", "1.0_rc1-r0"]);
  });
  it("without facts, finds the manager in its own probe; fails clearly when there is none", () => {
    const p = mod.probe({ name: "x" }, { ...BASE_FACTS, pkg_mgr: "unknown" });
    expect(p.script).toMatch(/^if command -v apt-get >\/dev\/null 2>&1; then$/m);
    expect(p.script).toMatch(/^elif command -v apk >\/dev\/null 2>&1; then$/m);
    expect(() => p.parse("@pkgmgr\nname=none\n", 0)).toThrow(/no package manager for this module on the host \(looked for apt-get, dnf, yum, apk\)/);
    expect(p.parse("@pkgmgr\nname=apk\n", 0).manager).toBe("apk");
    // apt and dnf/yum name their manager: apt never looks for dnf
    expect(apt.probe({ name: "x" }, { ...BASE_FACTS, pkg_mgr: "dnf" }).script).not.toMatch(/command -v dnf/);
    expect(dnf.probe({ name: "x" }, { ...BASE_FACTS, pkg_mgr: "unknown" }).script).toMatch(/command -v dnf[\s\S]*command -v yum/);
    expect(() => dnf.probe({ name: "x" }, { ...BASE_FACTS, pkg_mgr: "unknown" }).parse("@pkgmgr\nname=none\n", 0)).toThrow(/looked for dnf, yum/);
  });
  it("aliases fold into name; refused arguments stop at validate, naming the argument", () => {
    expect(() => apt.validate!({ pkg: "a", name: "b" })).toThrow(/pkg and name are the same argument/);
    expect(() => apt.validate!({ name: "a", deb: "/tmp/x.deb" } as never)).toThrow(/mutually exclusive: deb\|package\|upgrade/);
    expect(() => dnf.validate!({ name: "a", security: true } as never)).toThrow(/dnf: the argument security/);
    expect(() => apt.validate!({ force_apt_get: true } as never)).toThrow(/needs name/);
    expect(apt.resource({ pkg: "nginx" })).toBe("package nginx");
  });
  it("asks apt-cache policy only for what it needs", () => {
    expect(mod.probe({ name: "x", state: "absent" }, BASE_FACTS).script).not.toContain("apt-cache");
    expect(mod.probe({ name: "x", state: "latest" }, BASE_FACTS).script).toMatch(/^\{ apt-cache policy x$/m);
    const missing = mod.probe({ name: ["x", "y"] }, BASE_FACTS).script;
    expect(missing).toContain('if [ "$n" -lt 2 ]; then');
    expect(missing).toMatch(/^\{ apt-cache policy x y$/m);
  });
});

// Cross-check against the real dpkg where it exists (Debian hosts and this build machine):
// pseudo-random versions over the characters that matter to dpkg's ordering.
const hasDpkg = (() => {
  try {
    execFileSync("dpkg", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasDpkg)("compareDebVersions agrees with dpkg --compare-versions", () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const part = () => {
    const alphabet = ["0", "1", "2", "9", "10", "a", "b", "~", "+", ".", "~rc"];
    let s = String(rnd(3));
    for (let i = rnd(4); i > 0; i--) s += alphabet[rnd(alphabet.length)]!;
    return s;
  };
  const version = () => `${rnd(4) === 0 ? `${rnd(3)}:` : ""}${part()}${rnd(2) ? `-${part()}` : ""}`;
  it("on 150 random pairs", () => {
    for (let i = 0; i < 150; i++) {
      const a = version();
      const b = rnd(5) === 0 ? a : version();
      const lt = spawnSync("dpkg", ["--compare-versions", a, "lt", b]).status === 0;
      const eq = spawnSync("dpkg", ["--compare-versions", a, "eq", b]).status === 0;
      const gt = spawnSync("dpkg", ["--compare-versions", a, "gt", b]).status === 0;
      expect([lt, eq, gt].filter(Boolean).length, `dpkg accepts ${a} and ${b}`).toBe(1);
      const want = lt ? -1 : eq ? 0 : 1;
      expect(Math.sign(compareDebVersions(a, b)), `${a} vs ${b}`).toBe(want);
    }
  });
});
