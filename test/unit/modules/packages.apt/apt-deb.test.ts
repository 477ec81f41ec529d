// packages.apt's deb (modules/packages/apt-deb.ts) against ansible-core 2.14's install_deb: the
// argument rules Ansible checks (mutually exclusive with name and upgrade, state present only), the
// probe's shape (a URL downloaded into a temporary folder, apt-get -s install of the file only when
// its version is not the installed one), the diff (converged by dpkg's version order; a later
// version installed fails unless allow_downgrade or force; the direct dependencies apt would add),
// and apply's commands (apt-get install of the dependencies, apt-mark manual, dpkg -i with dpkg's
// options). The fixtures beside this file pin the parser on captured probe output.
import { describe, expect, it } from "vitest";
import apt from "../../../../modules/packages/apt.js";
import { debDiff, debPaths, debProbe, parseDeb, validateDeb } from "../../../../modules/packages/apt-deb.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const rec = (id: string, text: string) => `@out ${id}\ntext:b64=${Buffer.from(text).toString("base64")}\n`;

describe("deb arguments", () => {
  it("refuses name, upgrade and a state other than present, as Ansible's mutually_exclusive and install_deb do", () => {
    expect(() => validateDeb({ deb: "/tmp/a.deb", name: "x" })).toThrow(/mutually exclusive: deb\|package\|upgrade/);
    expect(() => validateDeb({ deb: "/tmp/a.deb", upgrade: "dist" })).toThrow(/mutually exclusive/);
    expect(() => validateDeb({ deb: "/tmp/a.deb", state: "latest" })).toThrow(/deb only supports state=present/);
    expect(() => validateDeb({ deb: "ftp://h/x.deb" })).toThrow(/not an http\(s\) URL/);
    expect(() => validateDeb({ deb: "/tmp/a.deb", upgrade: "no", state: "present" })).not.toThrow();
    expect(() => apt.validate!({ deb: "/tmp/a.deb" })).not.toThrow();
  });
  it("splits a path list on commas; a URL is one", () => {
    expect(debPaths("/tmp/a.deb, /tmp/b.deb")).toEqual(["/tmp/a.deb", "/tmp/b.deb"]);
    expect(debPaths("http://198.18.0.1:8080/a,b.deb")).toEqual(["http://198.18.0.1:8080/a,b.deb"]);
  });
  it("downloads a URL in the probe and simulates only a file whose version is not installed", () => {
    const url = debProbe({ deb: "http://198.18.0.1:8080/x.deb" });
    expect(url).toContain('curl -sSfL --max-time 10 -o "$_kt/fetched.deb" http://198.18.0.1:8080/x.deb');
    const file = debProbe({ deb: "/tmp/x.deb" });
    expect(file).toContain("dpkg-deb -f /tmp/x.deb Package Version Depends Pre-Depends");
    expect(file).toMatch(/case "\$_ki" in "\$_kv\t"\?i\*\) ;;/);
    expect(apt.footprint!({ deb: "/tmp/x.deb" }, BASE_FACTS).reads).toContain("file:/tmp/x.deb");
  });
});

const FIELDS = "Package: keel-debtest\nVersion: 1.0\nDepends: keel-kernelfix (>= 1.0), libc6 | libc6-udeb\n";
const SIM =
  "Reading package lists...\nThe following NEW packages will be installed:\n  keel-debtest keel-kernelfix\n" +
  "Inst keel-kernelfix (1.1 keel-lab:keel-security [all])\nInst keel-debtest (1.0 local-deb [all])\n" +
  "Conf keel-kernelfix (1.1 keel-lab:keel-security [all])\nConf keel-debtest (1.0 local-deb [all])\nkeel-rc=0\n";

describe("deb diff and apply", () => {
  const args = { deb: "/tmp/keel-debtest_1.0_all.deb" };
  it("installs the file after its missing direct dependency, marked manual, with dpkg's options", async () => {
    const st = parseDeb(rec("deb0", FIELDS) + rec("debi0", "") + rec("debs0", SIM), args);
    expect(st.files[0]).toEqual({
      path: args.deb,
      pkg: "keel-debtest",
      version: "1.0",
      depends: ["keel-kernelfix", "libc6", "libc6-udeb"],
      sim: { install: ["keel-kernelfix", "keel-debtest"] },
    });
    const changes = debDiff(st, args);
    expect(changes.map((c) => c.summary)).toEqual([
      "deb: package keel-debtest absent → 1.0 (/tmp/keel-debtest_1.0_all.deb), with its dependencies keel-kernelfix",
    ]);
    const host = new RecordingHost();
    await apt.apply(host, args, changes, { manager: "apt", packages: {}, deb: st });
    const script = (host.calls[0] as { run: string }).run;
    expect(script).toContain(
      "DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install keel-kernelfix && " +
        "apt-mark manual keel-kernelfix >/dev/null && DEBIAN_FRONTEND=noninteractive dpkg --force-confdef --force-confold -i /tmp/keel-debtest_1.0_all.deb",
    );
  });
  it("is converged when the installed version equals the file's in dpkg's order", () => {
    expect(debDiff(parseDeb(rec("deb0", FIELDS) + rec("debi0", "1.0-0\tii "), args), args)).toEqual([]);
  });
  it("fails on an older file unless allow_downgrade or force, and on a file apt cannot install unless force", () => {
    const older = parseDeb(rec("deb0", FIELDS) + rec("debi0", "1.1\tii ") + rec("debs0", SIM), args);
    expect(() => debDiff(older, args)).toThrow(/A later version is already installed/);
    expect(debDiff(older, { ...args, allow_downgrade: true })).toHaveLength(1);
    const broken = parseDeb(
      rec("deb0", FIELDS) + rec("debi0", "") + rec("debs0", "E: Unable to correct problems, you have held broken packages.\nkeel-rc=100\n"),
      args,
    );
    expect(() => debDiff(broken, args)).toThrow(/Unable to install package keel-debtest.*held broken packages/);
    expect(debDiff(broken, { ...args, force: true })[0]!.data).toEqual({ op: "deb", paths: [args.deb], deps: [] });
    expect(() => debDiff(parseDeb(rec("deb0", "keel-missing\n"), args), args)).toThrow(/no such \.deb file on the host/);
    expect(() => debDiff(parseDeb(rec("debfetch", "curl: (22) The requested URL returned error: 404\n"), args), args)).toThrow(/Failure downloading/);
  });
  it("registers no cache keys (install_deb returns none)", () => {
    expect(apt.result!({ manager: "apt", packages: {}, cacheTime: 5, deb: { files: [] } }, args, BASE_FACTS)).toEqual({});
  });
});
