// The patch report: built from probe outputs captured on a lab host (test/unit/modules/patches.upgrade),
// validated against schemas/patch-report.schema.json, rendered in every format, exit codes, history.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { parseAptProbe } from "../../../../modules/patches/apt.js";
import { parseDnfProbe } from "../../../../modules/patches/dnf.js";
import { buildPatchReport, comparePatch, patchExitCode, type HostOutcome } from "../../../../engine/report/patch/model.js";
import { renderPatchJunit, renderPatchMarkdown, renderPatchText } from "../../../../engine/report/patch/render.js";
import { renderPatchHtml } from "../../../../engine/report/patch/html.js";
import { PatchHistory } from "../../../../engine/report/patch/history.js";

const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(new URL("../../../../schemas/patch-report.schema.json", import.meta.url), "utf8")));
const fixture = (name: string) =>
  (parse(readFileSync(new URL(`../../modules/patches.upgrade/${name}.yml`, import.meta.url), "utf8")) as { probe: { stdout: string } }).probe.stdout;

function outcomes(): HostOutcome[] {
  return [
    { host: "web1", state: parseAptProbe(fixture("apt-security")), os: "Debian GNU/Linux 12 (bookworm)", durationMs: 500, roundTrips: 2 },
    { host: "web2", state: parseAptProbe(fixture("apt-converged-security")), durationMs: 400, roundTrips: 2 },
    { host: "web3", state: parseAptProbe(fixture("apt-up-to-date")), durationMs: 400, roundTrips: 2 },
    { host: "web4", error: "timeout: connect timed out after 10 s", failure: "timeout", durationMs: 10000, roundTrips: 0 },
    { host: "db1", state: parseDnfProbe(fixture("dnf-security")), durationMs: 700, roundTrips: 2 },
  ];
}
const build = (o = outcomes(), failOn: "security" | "any" = "security") =>
  buildPatchReport(o, { inventory: ["hosts.yml"], failOn, durationMs: 1234, generatedAt: "2026-12-03T07:00:00.000Z" });

describe("patch report model", () => {
  it("counts pending, security and held updates per host and for the fleet", () => {
    const r = build();
    const h = Object.fromEntries(r.hosts.map((x) => [x.host, x]));
    expect(h.web1!.updates.map((u) => `${u.name}:${u.security}`)).toEqual(["keel-hello:true", "keel-kernelfix:true", "keel-tool:false"]);
    expect(h.web1!.held_updates.map((u) => u.name)).toEqual(["keel-pinned"]);
    expect([h.web1!.pending, h.web1!.security, h.web1!.status]).toEqual([3, 2, "pending"]);
    expect(h.web1!.oldest_security_age_s).toBeGreaterThan(0);
    expect(h.web2!.security).toBe(0);
    expect(h.web3!.status).toBe("up_to_date");
    expect(h.db1!.reboot_required).toBe(true);
    expect(h.db1!.reboot_reasons).toEqual([
      "needs-restarting -r: core libraries or services updated since boot (kernel)",
      "kernel 5.14.0-362.24.1.el9_3.x86_64 installed, 5.14.0-362.8.1.el9_3.x86_64 running",
    ]);
    expect(h.db1!.oldest_security_age_s).toBe(1733212800 - Date.UTC(2024, 2, 5) / 1000);
    expect(r.summary).toMatchObject({
      hosts: 5,
      up_to_date: 1,
      pending_hosts: 3,
      security_hosts: 2,
      unreachable: 1,
      updates: 7,
      security_updates: 5,
      held_updates: 3,
      reboot_required: 1,
    });
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
  });
  it("exits 1 for an unreachable host, 2 for pending security updates, 0 otherwise; held never counts", () => {
    expect(patchExitCode(build())).toBe(1);
    const reachable = outcomes().filter((o) => o.host !== "web4");
    expect(patchExitCode(build(reachable))).toBe(2);
    const web2 = reachable.filter((o) => o.host === "web2" || o.host === "web3");
    expect(patchExitCode(build(web2))).toBe(0);
    expect(patchExitCode(build(web2, "any"))).toBe(2);
    expect(
      patchExitCode(
        build(
          web2.filter((o) => o.host === "web3"),
          "any",
        ),
      ),
    ).toBe(0);
  });
  it("renders every format", () => {
    const r = build();
    const text = renderPatchText(r);
    expect(text.indexOf("web4: unreachable")).toBeLessThan(text.indexOf("web1:"));
    expect(text).toContain("  ! keel-hello 1.0 → 1.1 (security, keel-security, available");
    expect(text).toContain("  = held: keel-pinned 1.0 → 1.1");
    expect(text).toContain("7 pending updates (5 security), 3 held, 1 host needing a reboot");
    expect(renderPatchMarkdown(r)).toContain("| db1 | pending | 3 | 3 |");
    expect(renderPatchHtml(r)).toContain('<tr class="fail"><td>web1</td>');
    const xml = renderPatchJunit(r);
    expect(xml).toMatch(/<testsuite name="web1"[^>]* failures="1"/);
    expect(xml).toMatch(/<testsuite name="web2"[^>]* failures="0"/);
    expect(xml).toMatch(/<testsuite name="db1"[^>]* failures="2"/);
    const dir = mkdtempSync(join(tmpdir(), "keel-patch-junit-"));
    writeFileSync(join(dir, "p.xml"), xml);
    const run = spawnSync("xmllint", ["--noout", "--schema", new URL("../../../fixtures/junit/junit.xsd", import.meta.url).pathname, join(dir, "p.xml")], {
      encoding: "utf8",
    });
    if (!run.error) expect(run.status, run.stderr).toBe(0);
  });
  it("carries keel's version and the inventory's git baseline in JSON, text, Markdown, HTML and JUnit (issue 18)", () => {
    const baseline = { repo: "/srv/fleet", commit: "1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b", dirty: true, playbook: "hosts.yml" };
    const r = buildPatchReport(outcomes(), { inventory: ["hosts.yml"], baseline, failOn: "security", durationMs: 1, generatedAt: "2026-12-03T07:00:00.000Z" });
    expect(r.baseline).toEqual(baseline);
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    for (const out of [renderPatchText(r), renderPatchMarkdown(r), renderPatchHtml(r)]) expect(out).toContain("baseline 1a2b3c4d5e6f (dirty)");
    const xml = renderPatchJunit(r);
    expect(xml).toContain('<property name="baseline_commit" value="1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b"/>');
    expect(xml).toContain('<property name="keel_version"');
    const dir = mkdtempSync(join(tmpdir(), "keel-patch-junit-"));
    writeFileSync(join(dir, "p.xml"), xml);
    const run = spawnSync("xmllint", ["--noout", "--schema", new URL("../../../fixtures/junit/junit.xsd", import.meta.url).pathname, join(dir, "p.xml")], {
      encoding: "utf8",
    });
    if (!run.error) expect(run.status, run.stderr).toBe(0);
  });
  it("marks updates new or persisting against the previous run, through the history", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-patch-hist-"));
    const store = new PatchHistory(join(dir, "p.sqlite"));
    const first = build(outcomes().filter((o) => o.host === "web2"));
    store.record(first);
    const second = build(
      outcomes()
        .filter((o) => o.host === "web2" || o.host === "web1")
        .map((o) => (o.host === "web2" ? { ...o, state: parseAptProbe(fixture("apt-security")) } : o)),
    );
    const prev = store.last("hosts.yml")!;
    const cmp = comparePatch(second, store.itemsOf(prev.id), { run_id: prev.id, generated_at: prev.generated_at });
    const web2 = cmp.hosts.find((h) => h.host === "web2")!;
    expect(web2.updates.find((u) => u.name === "keel-tool")!.compare).toBe("persisting");
    expect(web2.updates.find((u) => u.name === "keel-hello")!.compare).toBe("new");
    expect(cmp.summary.new).toBe(2 + 3);
    expect(validate(cmp), JSON.stringify(validate.errors)).toBe(true);
    store.close();
  });
});

describe("keel patch report input errors (before any host is touched)", () => {
  const cap = () => {
    const o = { out: "", err: "", isTTY: false, color: false };
    return { io: { out: (s: string) => void (o.out += s), err: (s: string) => void (o.err += s), isTTY: false, color: false }, o };
  };
  it.each([
    [["--shard", "3/2"], /invalid --shard '3\/2'/],
    [["-o", "report.pdf"], /cannot tell the format of --out 'report.pdf'/],
    [["--compare", "yesterday"], /invalid --compare 'yesterday'/],
    [["--compare", "last", "--no-history"], /--compare needs the history/],
    [["-f", "0"], /--forks must be a positive whole number/],
  ])("%j", async (args, want) => {
    const { main } = await import("../../../../engine/cli/main.js");
    const { io, o } = cap();
    // an inventory host nobody could reach: the error must come first
    const code = await main(["patch", "report", "-i", "192.0.2.1,", ...args], io);
    expect(code).toBe(1);
    expect(o.err).toMatch(want);
    expect(o.err).not.toMatch(/probing/);
  });
});
