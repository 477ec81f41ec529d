import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import mod, { gatherPackages, order, parseState, probeScript } from "../../../../modules/packages/package_facts.js";
import { runModuleFixtures } from "../harness.js";

const here = dirname(fileURLToPath(import.meta.url));
runModuleFixtures(mod, here);

function fixtureState(name: string) {
  const f = parse(readFileSync(join(here, name), "utf8")) as { probe: { stdout: string } };
  return parseState(f.probe.stdout);
}

describe("packages.package_facts", () => {
  it("tries managers in Ansible's order: named ones first, auto expanding to rpm then apt", () => {
    expect(order({})).toEqual(["rpm", "apt"]);
    expect(order({ manager: ["apt", "auto"] })).toEqual(["apt", "rpm"]);
    expect(order({ manager: "RPM" })).toEqual(["rpm"]);
  });

  it("lists only the requested managers' commands in the probe", () => {
    expect(probeScript(["apt"])).not.toContain("-qa --queryformat");
    expect(probeScript(["rpm"])).not.toContain('dpkg-query" -W');
    expect(probeScript(["rpm", "apt"])).toContain("xargs -r");
  });

  it("leaves out a package in state config-files (apt has no installed version of it)", () => {
    const st = fixtureState("debian-config-files.yml");
    expect(st.dpkg!.out).toContain("cron\t3.0pl1-162\tamd64\tadmin\tdeinstall ok config-files");
    expect(gatherPackages(st, {}).cron).toBeUndefined();
  });

  it("names multi-arch packages without the native architecture, as python-apt does", () => {
    const st = fixtureState("debian-apt-lists.yml");
    expect(st.dpkg!.out).toContain("libc6:amd64\t");
    const pk = gatherPackages(st, {});
    expect(pk["libc6:amd64"]).toBeUndefined();
    expect(pk.libc6?.[0]?.name).toBe("libc6");
  });

  it("on a host with rpm and dpkg-query, reads rpm only when a Python there imports rpm (Ansible's condition)", () => {
    const st = fixtureState("debian-no-lists.yml");
    st.tools.rpm = "/usr/bin/rpm";
    st.rpm = { rc: 0, out: "", err: "" };
    expect(Object.keys(gatherPackages(st, {})).length).toBe(141);
    st.pyRpm = true;
    expect(gatherPackages(st, {})).toEqual({});
    expect(Object.keys(gatherPackages(st, { strategy: "all" })).length).toBe(141);
  });
});
