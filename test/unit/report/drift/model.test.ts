import { describe, it, expect } from "vitest";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
import { buildDriftReport, driftExitCode, SECRET } from "../../../../engine/report/drift/model.js";
import { compareWith } from "../../../../engine/report/drift/compare.js";
import { mergeReports } from "../../../../engine/report/drift/merge.js";
import { inShard, parseShard } from "../../../../engine/report/drift/shard.js";
import { HistoryStore } from "../../../../engine/report/drift/history.js";
import { renderText } from "../../../../engine/report/drift/text.js";
import { renderMarkdown } from "../../../../engine/report/drift/markdown.js";
import { renderHtml } from "../../../../engine/report/drift/html.js";
import { sampleEvents, task } from "./events.js";
import type { KeelEvent } from "../../../../engine/core/events.js";

const schema = JSON.parse(readFileSync(new URL("../../../../schemas/drift-report.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const report = () => buildDriftReport(sampleEvents(), { playbook: "playbooks/baseline.yml", baseDir: "/repo" });

describe("drift report model", () => {
  it("classifies hosts and items", () => {
    const r = report();
    expect(r.summary).toEqual({ hosts: 4, in_sync: 1, drifted: 1, unreachable: 1, failed: 1, items: 2, unknown: 1, ignored: 0, resolved: 0 });
    const web1 = r.hosts.find((h) => h.host === "web1")!;
    expect(web1.status).toBe("drifted");
    expect(web1.items.map((i) => i.resource)).toEqual(["file /etc/motd", "user deploy"]);
    expect(web1.items[0]!.summary).toBe("mode 0644 → 0600; content differs");
    expect(web1.items[0]!.file).toBe("playbooks/baseline.yml");
    expect(web1.items[0]!.changes[1]!.diff).toContain("-old\n+new");
    // an action (restart) is never drift, an unpredictable command is "unknown"
    expect(web1.unknown.map((u) => u.resource)).toEqual(["command: make index"]);
    expect(web1.in_sync).toBe(2);
    expect(r.hosts.find((h) => h.host === "web3")!.error).toContain("connection refused");
    expect(r.hosts.find((h) => h.host === "web4")!.error).toContain("dpkg-query");
  });

  it("a task failed under ignore_errors is its own status: not in sync, not drift, not a failed host", () => {
    const t = task(70, "probe optional thing", "system.command");
    const t2 = task(80, "secret probe", "system.command");
    const events = [
      ...sampleEvents(),
      { type: "task.result", host: "web2", task: t, result: { status: "failed", ignored: true, changes: [], secret: false, durationMs: 1, msg: "rc 1" } },
      { type: "task.result", host: "web2", task: t2, result: { status: "failed", ignored: true, changes: [], secret: true, durationMs: 1, msg: "pw=x" } },
    ] as KeelEvent[];
    const r = buildDriftReport(events, { playbook: "p.yml", baseDir: "/repo" });
    const web2 = r.hosts.find((h) => h.host === "web2")!;
    expect(web2.status).toBe("in_sync");
    expect(web2.in_sync).toBe(2);
    expect(web2.ok.map((o) => o.line)).not.toContain(70);
    expect(web2.items).toEqual([]);
    expect(web2.ignored).toEqual([
      { task: "probe optional thing", file: "playbooks/baseline.yml", line: 70, module: "system.command", resource: "system.command", msg: "rc 1" },
      { task: "secret probe", file: "playbooks/baseline.yml", line: 80, module: "system.command", resource: "system.command", msg: SECRET },
    ]);
    expect(r.summary.ignored).toBe(2);
    expect(driftExitCode(r, true)).toBe(2);
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    const text = renderText(r, { color: false, details: false });
    expect(text).toContain("! failed, ignored");
    expect(text).toContain("2 failed (ignored)");
    expect(text).not.toContain("pw=x");
  });

  it("a task failed inside a block whose rescue ran does not fail the host (Ansible's --check counts it rescued)", () => {
    // robertdebock.users: getent for a user the role removes fails, and the block's rescue sets a default
    const t = task(90, "Get system users data for notuser", "system.getent");
    const events = [
      ...sampleEvents(),
      {
        type: "task.result",
        host: "web2",
        task: t,
        result: { status: "failed", rescued: true, changes: [], secret: false, durationMs: 1, msg: "key not found" },
      },
    ] as KeelEvent[];
    const r = buildDriftReport(events, { playbook: "p.yml", baseDir: "/repo" });
    const web2 = r.hosts.find((h) => h.host === "web2")!;
    expect(web2.status).toBe("in_sync");
    expect(web2.ignored).toEqual([
      {
        task: "Get system users data for notuser",
        file: "playbooks/baseline.yml",
        line: 90,
        module: "system.getent",
        resource: "system.getent",
        msg: "key not found",
      },
    ]);
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    // the same failure outside a rescue fails the host
    const plain = buildDriftReport(
      [
        ...sampleEvents(),
        { type: "task.result", host: "web2", task: t, result: { status: "failed", changes: [], secret: false, durationMs: 1, msg: "key not found" } },
      ] as KeelEvent[],
      { playbook: "p.yml", baseDir: "/repo" },
    );
    expect(plain.hosts.find((h) => h.host === "web2")!.status).toBe("failed");
  });

  it("masks no_log values", () => {
    const it = report().hosts[0]!.items[1]!;
    expect(it.secret).toBe(true);
    expect(it.changes[0]).toMatchObject({ before: SECRET, after: SECRET });
    expect(JSON.stringify(report())).not.toContain("$6$a");
  });

  it("validates against the committed JSON Schema", () => {
    const r = report();
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    const bad = { ...r, summary: { ...r.summary, drifted: "x" } };
    expect(validate(bad)).toBe(false);
  });

  it("exit codes follow terraform's detailed-exitcode", () => {
    const r = report();
    expect(driftExitCode(r, false)).toBe(1);
    expect(driftExitCode(r, true)).toBe(2);
    const clean = buildDriftReport(
      sampleEvents().filter((e) => !("host" in e) || e.host === "web2"),
      { playbook: "p" },
    );
    expect(clean.summary.drifted).toBe(0);
    expect(driftExitCode(clean, false)).toBe(0);
  });

  it("compare marks new, persisting and resolved", () => {
    const first = report();
    const prev = first.hosts.flatMap((h) => h.items.map((item) => ({ item, host: h.host, firstSeen: "2026-11-20T02:00:00.000Z" })));
    // next night: motd fixed, password still drifting
    const events = sampleEvents().map((e) =>
      e.type === "task.result" && e.host === "web1" && e.task.pos.line === 10 ? { ...e, result: { ...e.result, status: "ok" as const, changes: [] } } : e,
    );
    const second = compareWith(buildDriftReport(events, { playbook: "p" }), prev, { run_id: 1, generated_at: first.generated_at });
    const web1 = second.hosts.find((h) => h.host === "web1")!;
    expect(web1.items.map((i) => [i.resource, i.compare, i.since])).toEqual([["user deploy", "persisting", "2026-11-20T02:00:00.000Z"]]);
    expect(web1.resolved.map((i) => [i.resource, i.compare])).toEqual([["file /etc/motd", "resolved"]]);
    expect(second.summary.resolved).toBe(1);
    expect(validate(second), JSON.stringify(validate.errors)).toBe(true);
  });

  it("merges shard reports", () => {
    const r = report();
    const a = { ...r, hosts: r.hosts.slice(0, 2) };
    const b = { ...r, hosts: r.hosts.slice(2) };
    const m = mergeReports([a, b]);
    expect(m.summary).toEqual(r.summary);
    expect(validate(m)).toBe(true);
  });

  it("a merge keeps keel's version and the baseline when every shard has the same, and drops them otherwise", () => {
    const r = report();
    const baseline = { repo: "/repo", commit: "0123456789abcdef0123456789abcdef01234567", dirty: false, playbook: "playbooks/baseline.yml" };
    const a = { ...r, keel_version: "0.1.0", baseline, hosts: r.hosts.slice(0, 2) };
    const b = { ...r, keel_version: "0.1.0", baseline: { ...baseline }, hosts: r.hosts.slice(2) };
    const m = mergeReports([a, b]);
    expect(m.keel_version).toBe("0.1.0");
    expect(m.baseline).toEqual(baseline);
    expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
    const mixed = mergeReports([a, { ...b, keel_version: "0.2.0", baseline: { ...baseline, commit: "f".repeat(40) } }]);
    expect(mixed).not.toHaveProperty("keel_version");
    expect(mixed).not.toHaveProperty("baseline");
  });

  it("a merge of shard reports needs every shard 1..N of one N", () => {
    const r = report();
    const part = (index: number, total: number, hosts: typeof r.hosts) => ({ ...r, shard: { index, total }, hosts });
    const [s1, s2, s3] = [part(1, 3, r.hosts.slice(0, 1)), part(2, 3, r.hosts.slice(1, 3)), part(3, 3, r.hosts.slice(3))];
    const m = mergeReports([s3, s1, s2]);
    expect(m.summary).toEqual(r.summary);
    expect(m).not.toHaveProperty("shard");
    expect(() => mergeReports([s1, s3])).toThrow(/shard report 2\/3 missing: the merged report would leave its hosts out/);
    expect(() => mergeReports([s1])).toThrow(/shard reports 2\/3, 3\/3 missing/);
    expect(() => mergeReports([s1, s2, part(3, 4, r.hosts.slice(3))])).toThrow(/different splits \(1\/3, 2\/3, 3\/4\)/);
    expect(() => mergeReports([s1, s2, s3, { ...r, hosts: [] }])).toThrow(/different splits/);
    // a shard retried (its report given twice) still merges: the later report wins for its hosts
    expect(mergeReports([s1, s2, s3, s2]).summary).toEqual(r.summary);
  });

  it("shards are stable, disjoint and complete", () => {
    const hosts = Array.from({ length: 200 }, (_, i) => `host${i}`);
    const parts = [1, 2, 3].map((index) => hosts.filter((h) => inShard(h, { index, total: 3 })));
    expect(parts.flat().sort()).toEqual([...hosts].sort());
    for (const p of parts) expect(p.length).toBeGreaterThan(40);
    expect(parseShard("2/3")).toEqual({ index: 2, total: 3 });
    expect(parseShard("4/3")).toBeUndefined();
    expect(parseShard("0/3")).toBeUndefined();
  });
});

describe("drift renderers", () => {
  it("text groups by host and honours color", () => {
    const plain = renderText(report(), { color: false, details: true });
    expect(plain).not.toMatch(/\x1b\[/);
    expect(plain).toContain("web1  DRIFTED");
    expect(plain).toContain("mode 0644 → 0600");
    expect(plain).toContain("+new");
    expect(plain).toContain("? unknown");
    expect(plain).toContain("4 hosts: 1 in sync, 1 drifted, 1 unreachable, 1 failed");
    expect(renderText(report(), { color: true, details: false })).toMatch(/\x1b\[31m/);
  });

  it("markdown has the counts table and per-host details", () => {
    const md = renderMarkdown(report());
    expect(md).toContain("| 1 | 1 | 1 | 1 | 2 | 1 |");
    expect(md).toContain("```diff");
    expect(md).not.toContain("$6$");
  });

  it("html is self-contained and embeds the model", () => {
    const html = renderHtml(report());
    expect(html).not.toMatch(/<(link|img|script)[^>]+(src|href)=/);
    const json = /<script type="application\/json" id="keel-drift-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(json).summary.items).toBe(2);
  });
});

describe("drift history store", () => {
  it("records runs and finds the previous one", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-hist-"));
    const store = new HistoryStore(join(dir, "h.sqlite"));
    const r = report();
    const id1 = store.record(r);
    const id2 = store.record({ ...r, generated_at: "2026-11-27T02:00:00.000Z" });
    expect(id2).toBe(id1 + 1);
    expect(store.last("playbooks/baseline.yml", null)!.id).toBe(id2);
    // first_seen carries over while an item persists
    expect(store.itemsOf(id2).map((p) => p.firstSeen)).toEqual([r.generated_at, r.generated_at]);
    expect(store.list().map((x) => x.drifted)).toEqual([1, 1]);
    store.close();
  });

  it("survives a crash in the middle of a write", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-hist-"));
    const db = join(dir, "h.sqlite");
    const store = new HistoryStore(db);
    store.record(report());
    store.close();
    // A child process starts recording a huge run and is killed with SIGKILL mid-transaction.
    const child = new URL("./crash-writer.ts", import.meta.url).pathname;
    const out = spawnSync(process.execPath, ["--import", "tsx", child, db], { encoding: "utf8", timeout: 60_000 });
    expect(out.signal ?? out.status, out.stderr).toBe("SIGKILL");
    const again = new HistoryStore(db);
    expect(again.list().length).toBe(1);
    expect(again.itemsOf(again.list()[0]!.id).length).toBe(2);
    again.record(report());
    expect(again.list().length).toBe(2);
    again.close();
  });
});

describe("drift junit", () => {
  it("validates against the JUnit XML schema with xmllint and counts failures", async () => {
    const { renderJunit } = await import("../../../../engine/report/drift/junit.js");
    const xml = renderJunit(report());
    const dir = mkdtempSync(join(tmpdir(), "keel-junit-"));
    const file = join(dir, "drift.xml");
    (await import("node:fs")).writeFileSync(file, xml);
    const xsd = new URL("../../../fixtures/junit/junit.xsd", import.meta.url).pathname;
    const run = spawnSync("xmllint", ["--noout", "--schema", xsd, file], { encoding: "utf8" });
    if (run.error && !process.env.CI) return void console.warn("xmllint missing (apt-get install libxml2-utils); JUnit schema check skipped");
    expect(run.status, run.stderr).toBe(0);
    expect(xml).toMatch(/<testsuite name="web1"[^>]* failures="2"/);
    expect(xml).toContain('<failure message="mode 0644 → 0600; content differs" type="drift"/>');
    expect(xml).toMatch(/<testsuite name="web3"[^>]* errors="1"/);
    // a broken document is rejected by the same check
    writeFileSync(file, xml.replace(/<testcase classname="web2[^>]*\/>/, "<testcase/>"));
    expect(spawnSync("xmllint", ["--noout", "--schema", xsd, file], { encoding: "utf8" }).status).not.toBe(0);
  });
});

describe("drift report ordering", () => {
  it("lists hosts needing attention first and folds quiet in-sync hosts into one line", () => {
    const text = renderText(report(), { color: false, details: false });
    const order = ["web3  UNREACHABLE", "web4  FAILED", "web1  DRIFTED", "IN SYNC  web2"].map((s) => text.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const html = renderHtml(report());
    expect(html.indexOf('data-host="web3"')).toBeLessThan(html.indexOf('data-host="web1"'));
    expect(html.indexOf('data-host="web1"')).toBeLessThan(html.indexOf('data-host="web2"'));
  });
});

describe("compare without an earlier run", () => {
  it("marks every item new and names no earlier run", () => {
    const r = compareWith(report(), []);
    expect(r.compared_with).toBeUndefined();
    expect(r.hosts.flatMap((h) => h.items.map((i) => i.compare))).toEqual(["new", "new"]);
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
  });

  it("finds a run by id", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-hist-"));
    const store = new HistoryStore(join(dir, "h.sqlite"));
    const id = store.record(report());
    expect(store.run(id)).toMatchObject({ id, drifted: 1 });
    expect(store.run(id + 1)).toBeUndefined();
    store.close();
  });
});
