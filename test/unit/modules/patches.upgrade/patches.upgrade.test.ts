// The pure parts of patches.upgrade beyond its fixture cases (which the registry test runs).
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAptProbe, rebootInfo, updateErrors } from "../../../../modules/patches/apt.js";
import { isSecurityTarget, parsePolicy } from "../../../../modules/patches/apt-parse.js";
import { parseCheckUpdate, parseNeedsRestarting, parseNevra, parseUpdateinfoDates, parseVersionlock } from "../../../../modules/patches/dnf-parse.js";
import { selectUpdates, upgradeChanges } from "../../../../modules/patches/select.js";
import { parse as parseYaml } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));

describe("patches.upgrade pure parts", () => {
  it("names an interrupted dpkg (a file in /var/lib/dpkg/updates), captured on lab903", () => {
    expect(() => parseAptProbe(readFileSync(join(here, "apt-interrupted.probe.txt"), "utf8"))).toThrow(/dpkg was interrupted; run `dpkg --configure -a`/);
  });
  it("lists a source whose Release is gone as broken, captured on lab903", () => {
    const st = parseAptProbe(readFileSync(join(here, "apt-broken-source.probe.txt"), "utf8"));
    expect(st.brokenSources).toEqual(["file:/srv/keel-broken keel-security"]);
  });
  it("classifies security sources as unattended-upgrades does", () => {
    const t = (dist: string, label = "", origin = "", suite = dist) => isSecurityTarget({ dist, suite, codename: suite, label, origin });
    expect(t("bookworm-security", "Debian-Security", "Debian", "stable-security")).toBe(true);
    expect(t("jammy-security", "Ubuntu", "Ubuntu")).toBe(true);
    expect(t("buster/updates", "Debian-Security", "Debian")).toBe(true);
    expect(t("bookworm", "Debian", "Debian", "stable")).toBe(false);
    expect(t("bookworm-updates", "Debian", "Debian", "stable-updates")).toBe(false);
    expect(t("mirror", "Debian-Security", "Debian", "stable")).toBe(true);
  });
  it("reads the candidate's sources from apt-cache policy (Debian 12 capture, test/fixtures/captured/apt-missing.txt)", () => {
    const p = parsePolicy(
      "telnet:\n  Installed: 0.17+2.4-2\n  Candidate: 0.17+2.4-2+deb12u3\n  Version table:\n     0.17+2.4-2+deb12u3 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n *** 0.17+2.4-2 100\n        100 /var/lib/dpkg/status\n",
    );
    expect(p[0]!.candidateSources.map((s) => s.dist)).toEqual(["bookworm", "bookworm-security"]);
  });
  it("names failed sources of apt-get update", () => {
    expect(
      updateErrors(
        "E: The repository 'file:/srv/x keel-security Release' does not have a Release file.\nW: Failed to fetch http://h/debian/dists/b/InRelease  Could not resolve 'h'\n",
      ),
    ).toEqual(["file:/srv/x keel-security: no Release file", "http://h/debian/dists/b/InRelease: Could not resolve 'h'"]);
  });
  it("needs a reboot for the flag file or a newer kernel", () => {
    expect(rebootInfo(false, "", "6.1.0-18-amd64", "6.1.0-20-amd64").reasons).toEqual(["kernel 6.1.0-20-amd64 installed, 6.1.0-18-amd64 running"]);
    expect(rebootInfo(false, "", "6.1.0-20-amd64", "6.1.0-20-amd64").required).toBe(false);
    expect(rebootInfo(true, "libc6\nlibc6\n", "x", undefined).packages).toEqual(["libc6"]);
  });
  it("parses dnf's formats", () => {
    expect(parseNevra("openssl-1:3.0.7-16.el9_2.x86_64")).toEqual({ name: "openssl", version: "1:3.0.7-16.el9_2", arch: "x86_64" });
    expect(parseCheckUpdate("\nfoo.noarch 1-2 repo\nObsoleting Packages\nbar.noarch 1-1 repo\n")).toEqual([
      { name: "foo", arch: "noarch", version: "1-2", repo: "repo" },
    ]);
    expect(parseVersionlock("nginx-0:1.24.0-3.el9.*\n!httpd-0:2.4-1.el9.*\n")).toEqual(["nginx"]);
    expect(parseNeedsRestarting("No core libraries or services have been updated since boot-up.\n", 0)).toEqual({ required: false, reasons: [], packages: [] });
    expect(parseNeedsRestarting("", 127)).toBeUndefined();
    expect(
      parseUpdateinfoDates(
        "  Update ID: A\n    Updated: 2024-03-06 09:12:01\n  Update ID: B\n     Issued: 2024-01-01 00:00:00\n    Updated: 2024-02-01 00:00:00\n",
      ),
    ).toEqual(
      new Map([
        ["A", Date.UTC(2024, 2, 6, 9, 12, 1) / 1000],
        ["B", Date.UTC(2024, 0, 1) / 1000],
      ]),
    );
  });
  it("matches only/exclude globs with and without :arch", () => {
    const st = {
      manager: "apt" as const,
      now: 0,
      updates: [{ name: "libc6:i386", installed: "1", candidate: "2", security: true, source: "s", held: false }],
      held: [],
      reboot: { required: false, reasons: [], packages: [] },
      kernel: { running: "" },
      brokenSources: [],
    };
    expect(selectUpdates(st, { only: ["libc6"] }).take).toHaveLength(1);
    expect(selectUpdates(st, { exclude: ["libc*"] }).take).toHaveLength(0);
  });

  it("only/exclude are fnmatch patterns, as Ansible's apt takes them: '[!x]' negates, '[^x]' is a set holding ^ and x", () => {
    const pending = (name: string) => ({ name, installed: "1", candidate: "2", security: true, source: "s", held: false });
    const st = {
      manager: "apt" as const,
      now: 0,
      updates: ["keel-hello", "keel-world", "libssl3", "libc6:amd64"].map(pending),
      held: [],
      reboot: { required: false, reasons: [], packages: [] },
      kernel: { running: "" },
      brokenSources: [],
    };
    const taken = (args: { only?: string[]; exclude?: string[] }) => selectUpdates(st, args).take.map((u) => u.name);
    expect(taken({ only: ["lib[cs]*"] })).toEqual(["libssl3", "libc6:amd64"]);
    expect(taken({ only: ["keel-?ello"] })).toEqual(["keel-hello"]);
    expect(taken({ only: ["keel-[!h]*"] })).toEqual(["keel-world"]);
    expect(taken({ only: ["keel-[^h]*"] })).toEqual(["keel-hello"]);
    expect(taken({ exclude: ["keel-[^w]*", "libc6"] })).toEqual(["keel-hello", "libssl3"]);
    expect(taken({ only: ["[]k]eel-*"] })).toEqual(["keel-hello", "keel-world"]);
  });

  // Ansible's apt (modules/apt.py get_cache_mtime, ansible-core 2.14): the cache time is the
  // update-success stamp's mtime when the stamp exists, else the lists folder's; it refreshes when
  // `update_cache or cache_valid_time` and that time plus cache_valid_time is before now.
  it("cache_valid_time has Ansible's apt semantics: the stamp when it exists (not the newer of stamp and lists); 0 alone refreshes nothing", () => {
    const fixture = parseYaml(readFileSync(join(here, "apt-cache-stale.yml"), "utf8")) as { probe: { stdout: string } };
    const probe = (stamp: string, lists: string) =>
      parseAptProbe(fixture.probe.stdout.replace(/^stamp=.*$/m, `stamp=${stamp}`).replace(/^lists=.*$/m, `lists=${lists}`));
    const refresh = (st: ReturnType<typeof parseAptProbe>, args: { update_cache?: boolean; cache_valid_time?: number }) =>
      upgradeChanges(st, args).filter((c) => c.data?.op === "update_cache").length;
    // now=1796279747: a stamp 2 h old, lists touched 10 s ago by a plain apt-get update: stale for Ansible
    const old = probe("1796272547", "1796279737");
    expect(old.cacheAge).toBe(7200);
    expect(refresh(old, { cache_valid_time: 3600 })).toBe(1);
    // no stamp: the lists folder's mtime
    expect(probe("", "1796279737").cacheAge).toBe(10);
    expect(refresh(probe("", "1796279737"), { cache_valid_time: 3600 })).toBe(0);
    // cache_valid_time 0 is Ansible's default (no window): alone nothing, with update_cache always
    expect(refresh(old, { cache_valid_time: 0 })).toBe(0);
    expect(refresh(old, { cache_valid_time: 0, update_cache: true })).toBe(1);
    expect(refresh(old, { update_cache: false, cache_valid_time: 3600 })).toBe(1);
  });
});
