// The pure parts of apt's upgrade, dpkg_options and policy_rc_d (modules/packages/backends/apt-upgrade.ts),
// against ansible-core 2.14's apt module (/usr/lib/python3/dist-packages/ansible/modules/apt.py):
// expand_dpkg_options, upgrade()'s command per mode, PolicyRcD. The policy-rc.d wrapper runs in a
// real sh (dash on Debian) on a temporary path: written while the commands run, restored or removed
// afterwards, on failure too.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  aptitudeFlags,
  dpkgOptionFlags,
  parseAptitudeSimulation,
  parseDpkgOptions,
  parseSimulation,
  upgradeFlags,
  upgradeMode,
  withPolicyRcD,
} from "../../../../modules/packages/backends/apt-upgrade.js";
import apt from "../../../../modules/packages/apt.js";

describe("upgrade modes (Ansible's upgrade(), apt-get branch)", () => {
  it("maps YAML booleans back to yes/no, as Ansible's choices check does", () => {
    expect(upgradeMode(true)).toBe("yes");
    expect(upgradeMode(false)).toBeUndefined();
    expect(upgradeMode("no")).toBeUndefined();
    expect(upgradeMode("dist")).toBe("dist");
  });
  it("runs dist-upgrade for dist and full, upgrade --with-new-pkgs for yes and safe; autoremove adds --auto-remove; -t last", () => {
    expect(upgradeFlags("dist", {})).toBe("dist-upgrade");
    expect(upgradeFlags("full", { autoremove: true })).toBe("dist-upgrade --auto-remove");
    expect(upgradeFlags("yes", {})).toBe("upgrade --with-new-pkgs");
    expect(upgradeFlags("safe", { autoremove: true, allow_downgrade: true, default_release: "bookworm-backports" })).toBe(
      "--allow-downgrades upgrade --with-new-pkgs --auto-remove -t bookworm-backports",
    );
  });
  it("runs aptitude where Ansible would (yes/safe: safe-upgrade, full: full-upgrade), never for dist or with force_apt_get", () => {
    expect(aptitudeFlags("safe", {})).toBe("safe-upgrade");
    expect(aptitudeFlags("yes", { autoremove: true })).toBe("safe-upgrade");
    expect(aptitudeFlags("full", { force: true, default_release: "keel" })).toBe("--assume-yes --allow-untrusted full-upgrade -t keel");
    expect(aptitudeFlags("dist", {})).toBeUndefined();
    expect(aptitudeFlags("yes", { force_apt_get: true })).toBeUndefined();
  });
  it("adds force, fail_on_autoremove and allow_unauthenticated to apt-get's upgrade as Ansible's upgrade() does", () => {
    expect(upgradeFlags("dist", { force: true, fail_on_autoremove: true, allow_unauthenticated: true })).toBe(
      "--force-yes --no-remove --allow-unauthenticated dist-upgrade",
    );
  });
});

describe("apt-get -s output", () => {
  it("lists upgrades, new packages and removals; Conf lines and prose are not changes", () => {
    const out = [
      "Reading package lists...",
      "The following packages will be upgraded:",
      "  keel-hello",
      "Inst keel-hello [1.0] (1.1 keel:keel-security [all])",
      "Inst libfoo2:amd64 (2.0-1 Debian:12.11/stable [amd64])",
      "Remv oldpkg [0.9-3]",
      "Conf keel-hello (1.1 keel:keel-security [all])",
      "1 upgraded, 1 newly installed, 1 to remove and 0 not upgraded.",
    ];
    expect(parseSimulation(out)).toEqual([
      { name: "keel-hello", action: "upgrade", from: "1.0", to: "1.1" },
      { name: "libfoo2:amd64", action: "install", to: "2.0-1" },
      { name: "oldpkg", action: "remove", from: "0.9-3" },
    ]);
  });
});

describe("aptitude -s -V output", () => {
  it("lists upgrades, new packages and removals under aptitude's headings, several to a line", () => {
    const out = [
      "Resolving dependencies...",
      "The following NEW packages will be installed:",
      "  libfoo2{a} [2.0-1]",
      "The following packages will be REMOVED:",
      "  oldpkg{u} [0.9-3]",
      "The following packages will be upgraded:",
      "  keel-hello [1.0 -> 1.1]  keel-tool [1.0 -> 1.1]",
      "The following packages have been kept back:",
      "  keel-pinned [1.0 -> 1.1]",
      "2 packages upgraded, 1 newly installed, 1 to remove and 1 not upgraded.",
      "Would download/install/remove packages.",
    ];
    expect(parseAptitudeSimulation(out)).toEqual([
      { name: "libfoo2", action: "install", to: "2.0-1" },
      { name: "oldpkg", action: "remove", from: "0.9-3" },
      { name: "keel-hello", action: "upgrade", from: "1.0", to: "1.1" },
      { name: "keel-tool", action: "upgrade", from: "1.0", to: "1.1" },
    ]);
  });
});

describe("dpkg_options (expand_dpkg_options)", () => {
  it("splits on commas and passes each as -o Dpkg::Options::=--OPT", () => {
    expect(parseDpkgOptions("force-confdef,force-confold")).toEqual(["force-confdef", "force-confold"]);
    expect(dpkgOptionFlags(["force-confnew", "path-exclude=/usr/share/doc/*"])).toBe(
      "-o Dpkg::Options::=--force-confnew -o 'Dpkg::Options::=--path-exclude=/usr/share/doc/*'",
    );
  });
  it("refuses empty options, dashes and shell text at load", () => {
    expect(parseDpkgOptions("")).toMatch(/empty option/);
    expect(parseDpkgOptions("force-confold,")).toMatch(/empty option/);
    expect(parseDpkgOptions("--force-confold")).toMatch(/not a dpkg option/);
    expect(parseDpkgOptions("force-confold;reboot")).toMatch(/not a dpkg option/);
    expect(() => apt.validate!({ name: "x", dpkg_options: "force-confold $(id)" })).toThrow(/not a dpkg option/);
  });
  it("refuses upgrade with name (Ansible's apt ignores name then) but not with an empty list", () => {
    expect(() => apt.validate!({ name: "nginx", upgrade: "dist" })).toThrow(/runs only the upgrade and ignores name/);
    expect(() => apt.validate!({ name: [], upgrade: "dist" })).not.toThrow();
    expect(() => apt.validate!({ upgrade: "no" })).toThrow(/needs name/);
  });
});

describe("policy_rc_d in a real sh", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-policy-rc-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "policy-rc.d");
  const sh = (script: string) => spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, TMPDIR: dir } });

  it("writes `exit N` (0755) while the commands run and removes it after", () => {
    const r = sh(withPolicyRcD([`cat ${path}`, `stat -c %a ${path}`, `${path}; echo "rc $?"`], 101, path));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("#!/bin/sh\nexit 101\n755\nrc 101\n");
    expect(existsSync(path)).toBe(false);
  });
  it("puts a policy-rc.d that was there back, also when a command fails, and keeps the failure's exit code", () => {
    writeFileSync(path, "#!/bin/sh\nexit 0\n", { mode: 0o700 });
    const r = sh(withPolicyRcD([`grep -q 'exit 104' ${path}`, "false", "echo never"], 104, path));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(readFileSync(path, "utf8")).toBe("#!/bin/sh\nexit 0\n");
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(spawnSync("sh", ["-c", `ls ${dir} | grep -c keel-policy-rc.d`], { encoding: "utf8" }).stdout.trim()).toBe("0");
  });
});
