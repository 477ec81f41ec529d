// Local facts (setup's fact_path): the probe part is run by sh on this machine against a folder of
// *.fact files (JSON, INI, executable, failing, broken link, bad text) and its parse is compared
// with what Ansible's own LocalFactCollector (ansible-core on this machine) makes of the same
// folder; skipped without ansible-core, while the fixed expectations below always run.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFact, localFactsScript, parseIni, parseLocalFacts, splitLocal } from "../../../engine/facts/local.js";
import { factsScript, parseFacts } from "../../../engine/facts/probe.js";
import { ansibleFactVars } from "../../../engine/facts/ansible.js";
import setup, { setupFacts } from "../../../modules/system/setup.js";
import { BASE_FACTS } from "../modules/harness.js";

const dir = mkdtempSync(join(tmpdir(), "keel-localfacts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "app.fact"), '  {"version": "1.2", "ports": [80, 443], "tls": true}\n');
writeFileSync(join(dir, "ini.fact"), "[DEFAULT]\nenv = prod\n\n[General]\nName = web\nPath: /srv/%(env)s\nmulti = one\n  two\n; comment\n[other]\nx=%%done\n");
writeFileSync(join(dir, "script.fact"), '#!/bin/sh\necho \'{"from": "script"}\'\n');
chmodSync(join(dir, "script.fact"), 0o755);
writeFileSync(join(dir, "fails.fact"), "#!/bin/sh\necho oops >&2\nexit 3\n");
chmodSync(join(dir, "fails.fact"), 0o755);
writeFileSync(join(dir, "bad.fact"), "just words\n");
writeFileSync(join(dir, "empty.fact"), "");
writeFileSync(join(dir, "ignored.txt"), "{}");
symlinkSync(join(dir, "nowhere"), join(dir, "gone.fact"));

const py = (() => {
  for (const p of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(p, ["-c", "import ansible.module_utils.facts.system.local"], { stdio: "ignore" });
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
})();

function keelLocal(path: string): Record<string, unknown> {
  const out = execFileSync("sh", ["-c", localFactsScript(path)], { encoding: "utf8" });
  return parseLocalFacts(splitLocal(out).local ?? "").facts;
}

describe("local facts (fact_path)", () => {
  const got = keelLocal(dir);
  it("reads JSON, INI (DEFAULT, lowercased options, interpolation, continuation), executables; Ansible's messages otherwise", () => {
    expect(got.app).toEqual({ version: "1.2", ports: [80, 443], tls: true });
    expect(got.ini).toEqual({ General: { name: "web", path: "/srv/prod", multi: "one\ntwo", env: "prod" }, other: { x: "%done", env: "prod" } });
    expect(got.script).toEqual({ from: "script" });
    expect(got.fails).toBe(`Failure executing fact script (${dir}/fails.fact), rc: 3, err: oops\n`);
    expect(got.bad).toBe(`error loading facts as JSON or ini - please check content: ${dir}/bad.fact`);
    expect(got.empty).toEqual({});
    expect(got.gone).toMatch(/^Could not stat fact/);
    expect(Object.keys(got)).not.toContain("ignored");
  });
  it("a missing fact_path gives an empty ansible_local", () => expect(keelLocal(join(dir, "none"))).toEqual({}));
  it.skipIf(!py)("matches Ansible's LocalFactCollector on the same folder", () => {
    const script = [
      "import json, subprocess, sys",
      "from ansible.module_utils.facts.system.local import LocalFactCollector",
      "class M:",
      "    params = {'fact_path': sys.argv[1]}",
      "    def run_command(self, fn):",
      "        p = subprocess.run([fn], capture_output=True, text=True)",
      "        return p.returncode, p.stdout, p.stderr",
      "    def warn(self, m):",
      "        pass",
      "print(json.dumps(LocalFactCollector().collect(module=M())['local']))",
    ].join("\n");
    const theirs = JSON.parse(execFileSync(py!, ["-c", script, dir], { encoding: "utf8" })) as Record<string, unknown>;
    // the messages that quote Python's exception text are compared by their start
    for (const k of ["gone"]) {
      expect(String(got[k]).split(":")[0]).toBe(String(theirs[k]).split(":")[0]);
      delete theirs[k];
    }
    const mine = { ...got };
    delete mine.gone;
    expect(mine).toEqual(theirs);
  });
});

describe("an INI value ConfigParser cannot interpolate", () => {
  const bad = mkdtempSync(join(tmpdir(), "keel-localfacts-bad-"));
  afterAll(() => rmSync(bad, { recursive: true, force: true }));
  writeFileSync(join(bad, "pct.fact"), "[s]\nv = 100%\n");
  it("fails the setup task, as Ansible's collector raises out of its handler", () => {
    const probe = setup.probe({ fact_path: bad }, BASE_FACTS);
    const out = execFileSync("sh", ["-c", probe.script], { encoding: "utf8" });
    const st = probe.parse(out, 0);
    expect(() => setup.diff(st, { fact_path: bad }, BASE_FACTS)).toThrow(/local facts: .*pct\.fact: '%' must be followed by '%' or '\(', found: '%'/);
  });
  it.skipIf(!py)("Ansible's setup fails on it too", () => {
    const script = [
      "import sys",
      "from ansible.module_utils.facts.system.local import LocalFactCollector",
      "class M:",
      "    params = {'fact_path': sys.argv[1]}",
      "    def warn(self, m):",
      "        pass",
      "LocalFactCollector().collect(module=M())",
    ].join("\n");
    expect(() => execFileSync(py!, ["-c", script, bad], { stdio: "pipe" })).toThrow(/InterpolationSyntaxError/);
  });
});

describe("setup's register shape with local facts", () => {
  it("ansible_local is in ansible_facts, and filter applies to it", () => {
    const st = { ...BASE_FACTS, local: { app: { v: 1 } } };
    expect(setupFacts(st, {}).ansible_local).toEqual({ app: { v: 1 } });
    expect(setupFacts(st, { filter: "ansible_local" })).toEqual({ ansible_local: { app: { v: 1 } } });
    expect(setupFacts(st, { filter: "ansible_distribution" }).ansible_local).toBeUndefined();
  });
  it("!local skips the local part of the probe", () => {
    expect(setup.probe({ gather_subset: ["!local"] }, BASE_FACTS).script).not.toContain("@localfact ");
    expect(setup.probe({ fact_path: "/opt/f" }, BASE_FACTS).script).toContain("_kfp=/opt/f");
  });
  it("INI errors as ConfigParser raises them: no section header, duplicate option", () => {
    expect(parseIni("a = 1\n")).toBeUndefined();
    expect(parseIni("[s]\na = 1\nA = 2\n")).toBeUndefined();
    expect(loadFact("[s]\nk: v", "/f")).toEqual({ s: { k: "v" } });
  });
});

describe("the play's fact gathering reads them with the same collector (one probe)", () => {
  it("gather_facts: the probe's local section gives ansible_local as setup does (it used a second, cruder reader: an empty file, a failing script, DEFAULT and %(x)s differed)", () => {
    const probe = factsScript({ factPath: dir });
    const f = parseFacts(execFileSync("sh", ["-c", probe], { encoding: "utf8" }));
    const want = keelLocal(dir);
    expect(f.local).toEqual(want);
    expect(f.local).toMatchObject({ empty: {}, fails: expect.stringMatching(/^Failure executing fact script/) });
    expect(ansibleFactVars(f).ansible_local).toEqual(want);
    // inside ansible_facts the name keeps its prefix, as Ansible's namespace_facts keeps it
    // (a play's `ansible_facts | dict2items` lists ansible_local, never local: ansible-core 2.14 on lab04)
    expect((ansibleFactVars(f).ansible_facts as Record<string, unknown>).ansible_local).toEqual(want);
    expect(ansibleFactVars(f).ansible_facts).not.toHaveProperty("local");
    // each fact script ran once per probe
    expect(probe.split("@localfact f").length).toBe(2);
  });
  it("the default fact_path is /etc/ansible/facts.d; !local, !min and keel's own facts gather none", () => {
    expect(factsScript()).toContain("_kfp=/etc/ansible/facts.d");
    expect(factsScript({ subset: ["!all"] })).toContain("_kfp=/etc/ansible/facts.d");
    for (const o of [{ subset: ["!local"] }, { subset: ["!min"] }, { keelOnly: true }]) expect(factsScript(o), JSON.stringify(o)).not.toContain("@localfact ");
  });
  it("a value ConfigParser cannot interpolate fails the gathering, as it fails Ansible's", () => {
    const bad = mkdtempSync(join(tmpdir(), "keel-localfacts-play-"));
    try {
      writeFileSync(join(bad, "pct.fact"), "[s]\nv = 100%\n");
      const f = parseFacts(execFileSync("sh", ["-c", factsScript({ factPath: bad })], { encoding: "utf8" }));
      expect(f.local_error).toMatch(/pct\.fact: '%' must be followed by '%' or '\(', found: '%'/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
