// Table of captured probe outputs (test/fixtures/facts/*.yml): what the parser makes of each, and
// the Ansible names derived from it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { DEFAULT_FACT_PATH, localFactsRecords } from "../../../engine/facts/local.js";
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { B64 } from "../../../engine/core/snippets.js";
import { installBusybox } from "../core/busybox.js";
import { FIREWALL_FACT_SCRIPT } from "../../../engine/facts/firewall.js";
import { ansibleFactVars, factsProbe, parseFacts, FACTS_SCRIPT } from "../../../engine/facts/index.js";
import { factsScript, osFamily, parseOsRelease, primaryIpv4FromIp, primaryIpv4FromProc, sectionTexts, splitSections } from "../../../engine/facts/probe.js";

const dir = join(import.meta.dirname, "../../fixtures/facts");
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".yml"))
  .sort();

describe("facts fixtures", () => {
  it("has the required platforms", () => {
    expect(cases).toEqual(expect.arrayContaining(["debian12-this-machine.yml", "debian12-minimal-no-ip.yml", "rhel9.yml", "alpine319.yml"]));
  });
  for (const file of cases) {
    const c = parse(readFileSync(join(dir, file), "utf8")) as {
      description: string;
      stdout: string;
      facts: Record<string, unknown>;
      ansible_facts: Record<string, unknown>;
    };
    it(`${file}: ${c.description}`, () => {
      const f = factsProbe.parse(c.stdout, 0);
      expect(f).toEqual(c.facts);
      const vars = ansibleFactVars(f);
      expect(vars.facts).toBe(f);
      expect(vars.ansible_facts).toMatchObject(c.ansible_facts);
      for (const [k, v] of Object.entries(c.ansible_facts)) expect(vars[`ansible_${k}`]).toEqual(v);
    });
  }
});

describe("facts parser parts", () => {
  it("reads os-release quoting", () => {
    expect(parseOsRelease(['NAME="A \\"B\\""', "ID=x", "X='y z'", "# comment", "bad line"])).toEqual({ NAME: 'A "B"', ID: "x", X: "y z" });
  });
  it("derives the family from ID_LIKE", () => {
    expect(osFamily("rocky", "")).toBe("redhat");
    expect(osFamily("pop", "ubuntu debian")).toBe("debian");
    expect(osFamily("weird", "")).toBe("weird");
  });
  it("prefers the default route's interface and ignores loopback", () => {
    expect(
      primaryIpv4FromIp(
        ["default via 10.0.0.1 dev wlan0 proto dhcp"],
        ["1: lo    inet 127.0.0.1/8 scope host lo", "2: eth0    inet 192.168.1.5/24 scope global eth0", "3: wlan0    inet 10.0.0.7/24 scope global wlan0"],
      ),
    ).toBe("10.0.0.7");
    expect(primaryIpv4FromIp([], ["1: lo    inet 127.0.0.1/8 scope host lo", "2: eth0    inet 192.168.1.5/24 scope global eth0"])).toBe("192.168.1.5");
    expect(primaryIpv4FromIp([], ["1: lo    inet 127.0.0.1/8 scope host lo"])).toBe("");
  });
  it("picks the local address in the default interface's subnet from /proc", () => {
    const route = [
      "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT",
      "eth1\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0", // 10.0.0.0/8 on eth1
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0", // default via 192.168.1.1 on eth0
      "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0", // 192.168.1.0/24 on eth0
    ];
    const trie = [
      "Local:",
      "  |-- 10.1.2.3",
      "     /32 host LOCAL",
      "  |-- 127.0.0.1",
      "     /32 host LOCAL",
      "  |-- 192.168.1.9",
      "     /32 host LOCAL",
      "  |-- 192.168.1.255",
      "     /32 link BROADCAST",
    ];
    expect(primaryIpv4FromProc(route, trie)).toBe("192.168.1.9");
  });
  it("keeps unknowns empty rather than guessing", () => {
    const f = parseFacts("");
    expect(f).toMatchObject({ os_id: "unknown", os_family: "unknown", pkg_mgr: "unknown", init: "unknown", cpus: 0, memory_mb: 0, ipv4: "" });
    const b64 = (t: string) => Buffer.from(t).toString("base64");
    expect(splitSections(`@out a\ntext:b64=${b64("x\n\n")}\n@out b\ntext:b64=\n`).get("a")).toEqual(["x"]);
    expect(splitSections(`@out a\ntext:b64=${b64("x\n\n")}\n@out b\ntext:b64=\n`).get("b")).toEqual([]);
  });
  it("the probe only reads", () => {
    // no redirection into files, no package or service commands
    expect(factsProbe.script).not.toMatch(/>\s*\/(?!dev\/null)|\brm\b|\bmv\b|apt-get (install|update)|systemctl/);
  });
});

describe("the facts script run by /bin/sh", () => {
  /** Runs FACTS_SCRIPT with some of the files it reads replaced by files of a temporary folder. */
  const runWith = (files: Record<string, string>) => {
    const tmp = mkdtempSync(join(tmpdir(), "keel-facts-"));
    try {
      let script = FACTS_SCRIPT;
      for (const [i, [f, body]] of Object.entries(files).entries()) {
        writeFileSync(join(tmp, String(i)), body);
        script = script.replaceAll(f, join(tmp, String(i)));
      }
      expect(script).not.toBe(FACTS_SCRIPT);
      const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8" });
      expect(r.status).toBe(0);
      return parseFacts(r.stdout);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  };

  it("reads files that do not end in a newline without losing the next section", () => {
    const f = runWith({ "/etc/os-release": 'ID=debian\nVERSION_ID="12"', "/etc/debian_version": "12.4" });
    expect(f.os_id).toBe("debian");
    expect(f.os_version).toBe("12");
    expect(f.os_version_full).toBe("12.4");
    expect(f.kernel).toBe(spawnSync("uname", ["-r"], { encoding: "utf8" }).stdout.trim());
    expect(f.hostname).toBe(spawnSync("uname", ["-n"], { encoding: "utf8" }).stdout.trim());
  });

  it("reads ufw's ENABLED as sed | tr | head did: the first ENABLED line, blanks around = and quotes dropped", () => {
    const ufw = (conf: string) => {
      const tmp = mkdtempSync(join(tmpdir(), "keel-ufw-"));
      try {
        writeFileSync(join(tmp, "ufw.conf"), conf);
        const r = spawnSync("/bin/sh", ["-c", FIREWALL_FACT_SCRIPT.replaceAll("/etc/ufw/ufw.conf", join(tmp, "ufw.conf"))], { encoding: "utf8" });
        const sed = spawnSync("sh", ["-c", `sed -n 's/^[[:space:]]*ENABLED[[:space:]]*=[[:space:]]*//p' ${join(tmp, "ufw.conf")} | tr -d '"' | head -n 1`], {
          encoding: "utf8",
        });
        return [/^ufw_enabled=(.*)$/m.exec(r.stdout)?.[1], sed.stdout.replace(/\n$/, "")];
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    };
    for (const conf of ["ENABLED=yes\n", '# c\n  ENABLED = "no"\nENABLED=yes\n', 'ENABLEDX=1\nENABLED\t=\t"y"e"s" \n', "nothing\n", "ENABLED=yes"]) {
      const [got, want] = ufw(conf);
      expect(got, JSON.stringify(conf)).toBe(want);
    }
  });
});

describe("the facts probe's one framed stream", () => {
  const b64 = (t: string | Buffer) => Buffer.from(t).toString("base64");
  const mark = "0123456789abcdef01234567";
  const framed = (parts: [string, string][]) => `@facts\nmark=${mark}\ntext:b64=${b64(parts.map(([id, t]) => `${mark} ${id}\n${t}`).join(""))}\n`;

  it("gives each section its exact text: no trailing newline, blank lines, record-like lines, a header with another mark", () => {
    const texts = sectionTexts(
      framed([
        ["a", "no newline"],
        ["b", "x\n\n"],
        ["c", "@out a\ntext:b64=eA==\nffffffffffffffffffffffff d\nfake\n"],
        ["d", ""],
      ]),
    );
    expect([...texts.entries()]).toEqual([
      ["a", "no newline"],
      ["b", "x\n\n"],
      ["c", "@out a\ntext:b64=eA==\nffffffffffffffffffffffff d\nfake\n"],
      ["d", ""],
    ]);
    expect(splitSections(framed([["b", "x\n\n"]])).get("b")).toEqual(["x"]);
  });
  it("parses the same facts as one @out record per section (the older captures)", () => {
    const sections: [string, string][] = [
      ["os-release", 'ID=debian\nVERSION_ID="12"\n'],
      ["uname", "6.1.0\nx86_64\nh1\n"],
      ["env", "A=1\0B=two words\0"],
      ["pkg", "apt-get\n"],
    ];
    const old = sections.map(([id, t]) => `@out ${id}\ntext:b64=${b64(t)}\n`).join("");
    expect(parseFacts(framed(sections))).toEqual(parseFacts(old));
    expect(parseFacts(framed(sections)).env).toEqual({ A: "1", B: "two words" });
  });
  it("a record without its mark is refused, not read as no facts", () => {
    expect(() => sectionTexts(`@facts\ntext:b64=${b64("x")}\n`)).toThrow(/mark/);
  });
  it("is built once per gather options (same mark), and runs one base64 for all sections, not one per section", () => {
    expect(factsScript({ subset: ["min"] })).toBe(factsScript({ subset: ["min"] }));
    expect(factsScript()).toBe(FACTS_SCRIPT);
    expect(factsScript({ subset: ["min"] })).not.toBe(FACTS_SCRIPT);
    // the stream's one base64 (the firewall fact's and local facts' own record blocks aside, whose
    // base64 run per firewall table and per *.fact file): the script had one per section, 46 in
    // all, before the stream was framed
    const rest = FACTS_SCRIPT.replace(FIREWALL_FACT_SCRIPT, "").replace(localFactsRecords(DEFAULT_FACT_PATH), "");
    expect(rest.split(B64).length - 1).toBe(1);
    expect(rest.split(B64).join("")).not.toMatch(/\bbase64\b/);
    expect(FACTS_SCRIPT).not.toContain("@out");
  });
  it("run by /bin/sh: every section arrives, with iproute2's sections or /proc's", () => {
    const r = spawnSync("/bin/sh", ["-c", FACTS_SCRIPT], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const texts = sectionTexts(r.stdout);
    for (const id of ["os-release", "uname", "env", "pw", "python", "cpu", "memory", "firewall", "subsets"]) expect(texts.has(id), id).toBe(true);
    // iproute2's one `ip -batch` (ip-both), its fallback of one `ip` each, or /proc's: exactly one
    expect(["ip-both", "ip-route", "proc-route"].filter((id) => texts.has(id) && (id !== "ip-both" || texts.get(id) !== ""))).toHaveLength(1);
  });

  it("the firewall fact says whether ufw and nft are installed, as `command -v` does on this machine", () => {
    const f = parseFacts(spawnSync("/bin/sh", ["-c", factsScript({ keelOnly: true })], { encoding: "utf8" }).stdout).firewall as { nft: boolean; ufw: string };
    const has = (c: string) => spawnSync("/bin/sh", ["-c", `command -v ${c}`]).status === 0;
    expect([f.nft, f.ufw !== "absent"]).toEqual([has("nft"), has("ufw")]);
  });

  it("one `ip -batch` for the route and the addresses; an `ip` without -batch (busybox) falls back to one each, same ipv4", () => {
    const lazy = factsScript({ keelOnly: true });
    const run = (env: NodeJS.ProcessEnv) => spawnSync("/bin/sh", ["-c", lazy], { encoding: "utf8", env });
    const iproute2 = sectionTexts(run(process.env).stdout);
    expect(iproute2.get("ip-both")).toMatch(/^default .*\n\d+: /s);
    expect(iproute2.has("ip-route")).toBe(false);
    const want = parseFacts(run(process.env).stdout).ipv4;
    expect(want).toBe(
      primaryIpv4FromIp(
        spawnSync("ip", ["-4", "route", "show", "default"], { encoding: "utf8" }).stdout.split("\n"),
        spawnSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" }).stdout.split("\n"),
      ),
    );
    const tmp = mkdtempSync(join(tmpdir(), "keel-facts-bb-"));
    try {
      const bb = installBusybox(tmp);
      if (!bb) return; // no busybox: the fallback is covered by the sections test below
      const texts = sectionTexts(run({ PATH: `${bb}` }).stdout);
      expect(texts.get("ip-both")).toBe("");
      expect(texts.has("ip-route") && texts.has("ip-addr")).toBe(true);
      expect(parseFacts(run({ PATH: `${bb}` }).stdout).ipv4).toBe(want);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
