// A play's gather_subset and a setup task's select the same facts as ansible-core 2.14: the key
// sets Ansible gave on lab04 for each list (test/fixtures/gather-subset/ansible-keys.yml), against
// keel's facts of a probe captured on the same host (test/fixtures/facts/lab-debian12-interfaces.yml)
// read through ONE collector decision (engine/facts/subsets.ts): the play's probe sections, the
// play's ansible_facts, and setup's result.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ansibleFactVars, parseFacts, resolveSubsets } from "../../../engine/facts/index.js";
import { setupFacts } from "../../../modules/system/setup.js";

const fixtures = join(import.meta.dirname, "../../fixtures");
const keys = parse(readFileSync(join(fixtures, "gather-subset/ansible-keys.yml"), "utf8")) as {
  cases: { gather_subset: string[]; play: string[]; setup: string[] }[];
};
const capture = parse(readFileSync(join(fixtures, "facts/lab-debian12-interfaces.yml"), "utf8")) as { stdout: string };

describe("gather_subset: the facts Ansible gathers for each list", () => {
  for (const c of keys.cases) {
    it(`play gather_subset ${JSON.stringify(c.gather_subset)}: ansible_facts has Ansible's keys`, () => {
      // the play's probe runs the sections those collectors need…
      const sections = resolveSubsets(c.gather_subset);
      const f = { ...parseFacts(capture.stdout), gather_subset: c.gather_subset };
      // …a full capture stands for them: what is outside the collectors must not show
      const af = ansibleFactVars(f).ansible_facts as Record<string, unknown>;
      // _ansible_facts_gathered is the play's gathering mark (engine/run/runner.ts), not a fact
      const want = c.play.filter((k) => k !== "_ansible_facts_gathered");
      expect(Object.keys(af).sort()).toEqual(want);
      // and the sections gathered are those of the collectors (network only when network is asked)
      expect(sections.includes("network")).toBe(want.includes("interfaces"));
      expect(sections.includes("hardware")).toBe(want.includes("mounts"));
    });
    it(`setup gather_subset ${JSON.stringify(c.gather_subset)}: the registered ansible_facts has Ansible's keys`, () => {
      const f = parseFacts(capture.stdout);
      expect(Object.keys(setupFacts(f, { gather_subset: c.gather_subset })).sort()).toEqual(c.setup);
    });
  }
});
