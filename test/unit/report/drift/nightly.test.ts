// Issue 18: comparing with a previous JSON report, the normalised history key, report meta,
// GitHub annotations, and the output defects (display width, Markdown escaping, one location).
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, realpathSync, writeFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { buildDriftReport, type DriftReport } from "../../../../engine/report/drift/model.js";
import { compareWith } from "../../../../engine/report/drift/compare.js";
import { HistoryStore, defaultHistoryPath, historyKey } from "../../../../engine/report/drift/history.js";
import { readDriftReport, previousItems } from "../../../../engine/report/drift/file.js";
import { renderGithub } from "../../../../engine/report/drift/github.js";
import { renderMarkdown } from "../../../../engine/report/drift/markdown.js";
import { renderText } from "../../../../engine/report/drift/text.js";
import { renderJunit } from "../../../../engine/report/drift/junit.js";
import { renderHtml } from "../../../../engine/report/drift/html.js";
import { gitTop, reportMeta } from "../../../../engine/report/meta.js";
import type { KeelEvent } from "../../../../engine/core/events.js";
import { sampleEvents, task } from "./events.js";

const tmp = mkdtempSync(join(tmpdir(), "keel-nightly-"));
const meta = { keel_version: "9.8.7", baseline: { repo: "/repo", commit: "a".repeat(40), dirty: true, playbook: "playbooks/baseline.yml" } };
const build = (events: KeelEvent[] = sampleEvents(), time?: string) =>
  buildDriftReport(events, { playbook: "playbooks/baseline.yml", baseDir: "/repo", meta, ...(time ? { generatedAt: time } : {}) });
const write = (name: string, v: unknown) => {
  const f = join(tmp, name);
  writeFileSync(f, typeof v === "string" ? v : JSON.stringify(v));
  return f;
};

describe("--compare FILE.json", () => {
  it("gives the same new / persisting / resolved marks as the history does", () => {
    const night1 = build(undefined, "2026-12-01T02:00:00.000Z");
    // night 2: web1's motd still drifts, its password drift is gone
    const events2 = sampleEvents().filter((e) => !(e.type === "task.result" && e.host === "web1" && e.task.name === "deploy password"));
    const night2 = build(events2, "2026-12-02T02:00:00.000Z");
    const viaFile = compareWith(night2, previousItems(readDriftReport(write("n1.json", night1))), { file: "n1.json", generated_at: night1.generated_at });

    const store = new HistoryStore(join(tmp, "h.sqlite"));
    const id = store.record(night1, "k");
    const viaHistory = compareWith(night2, store.itemsOf(id), { run_id: id, generated_at: night1.generated_at });
    store.close();

    const marks = (r: DriftReport) => r.hosts.flatMap((h) => [...h.items, ...h.resolved].map((i) => `${h.host} ${i.resource} ${i.compare} ${i.since}`)).sort();
    expect(marks(viaFile)).toEqual(marks(viaHistory));
    expect(marks(viaFile)).toEqual(["web1 file /etc/motd persisting 2026-12-01T02:00:00.000Z", "web1 user deploy resolved 2026-12-01T02:00:00.000Z"]);
    expect(viaFile.compared_with).toEqual({ file: "n1.json", generated_at: "2026-12-01T02:00:00.000Z" });
    // night 3 compares with night 2's file: the item keeps the time it was first seen
    const night3 = build(events2, "2026-12-03T02:00:00.000Z");
    const again = compareWith(night3, previousItems(readDriftReport(write("n2.json", viaFile))));
    expect(again.hosts.find((h) => h.host === "web1")!.items[0]).toMatchObject({ compare: "persisting", since: "2026-12-01T02:00:00.000Z" });
  });

  it.each([
    ["missing.json", null, /cannot read drift report .*missing\.json: no such file/],
    ["broken.json", '{"schema_version": 1, "kind": "keel.dr', /broken\.json is not JSON/],
    ["other.json", { schema_version: 1, kind: "keel.audit" }, /other\.json is not a keel drift report \(schema_version 1\): \/ must have required property/],
    ["v2.json", { ...buildDriftReport(sampleEvents(), { playbook: "p.yml" }), schema_version: 2 }, /v2\.json is not a keel drift report .*\/schema_version/],
  ])("%s is refused with the file named", (name, content, re) => {
    const f = content === null ? join(tmp, name) : write(name, content);
    expect(() => readDriftReport(f)).toThrow(re);
  });
});

describe("history key", () => {
  it("the playbook's real path from the repository root, the inventory sources and --limit", () => {
    const repo = join(tmp, "repo");
    mkdirSync(join(repo, "pb"), { recursive: true });
    writeFileSync(join(repo, "pb", "baseline.yml"), "- hosts: all\n");
    writeFileSync(join(repo, "hosts.yml"), "all: {}\n");
    execFileSync("git", ["init", "-q", repo]);
    symlinkSync(join(repo, "pb"), join(tmp, "pb-link"));
    const k = historyKey(join(repo, "pb", "baseline.yml"), [join(repo, "hosts.yml")], undefined);
    expect(JSON.parse(k)).toEqual({ playbook: "pb/baseline.yml", inventory: ["hosts.yml"], limit: null });
    // the same files reached another way are the same baseline
    expect(historyKey(join(tmp, "pb-link", "..", "repo", "pb", "baseline.yml"), [join(repo, "pb", "..", "hosts.yml")], undefined)).toBe(k);
    expect(historyKey(join(tmp, "pb-link", "baseline.yml"), [join(repo, "hosts.yml")], undefined)).toBe(k);
    // another --limit or inventory is another series of runs
    expect(historyKey(join(repo, "pb", "baseline.yml"), [join(repo, "hosts.yml")], "web*")).not.toBe(k);
    expect(JSON.parse(historyKey(join(repo, "pb", "baseline.yml"), ["web1,web2,"], undefined)).inventory).toEqual(["web1,web2,"]);
  });

  it("the default store is at the top of the playbook's repository, wherever keel runs from", () => {
    const repo = join(tmp, "repo");
    const b = reportMeta(join(repo, "pb", "baseline.yml")).baseline;
    expect(defaultHistoryPath(b.repo)).toBe(join(realpathSync(repo), ".keel", "history", "drift.sqlite"));
    // outside a repository (or without a playbook): this repository's top, else the current folder
    expect(defaultHistoryPath()).toBe(join(gitTop(process.cwd()) ?? process.cwd(), ".keel", "history", "drift.sqlite"));
    expect(gitTop(join(repo, "pb"))).toBe(realpathSync(repo));
    expect(gitTop("/")).toBeUndefined();
  });

  it("last() finds the previous run by key, not by the playbook as typed", () => {
    const store = new HistoryStore(join(tmp, "k.sqlite"));
    store.record({ ...build(), playbook: "pb/baseline.yml" }, "K1");
    expect(store.last("K1", null)?.playbook).toBe("pb/baseline.yml");
    expect(store.last("pb/baseline.yml", null)).toBeUndefined();
    store.close();
  });
});

describe("report meta", () => {
  it("keel version and baseline commit are in JSON, HTML, JUnit properties and Markdown", () => {
    const r = build();
    expect(r).toMatchObject({ keel_version: "9.8.7", baseline: { commit: "a".repeat(40), dirty: true } });
    expect(renderJunit(r)).toContain(`<property name="baseline_commit" value="${"a".repeat(40)}"/>`);
    expect(renderJunit(r)).toContain('<property name="keel_version" value="9.8.7"/>');
    expect(renderHtml(r)).toContain("keel 9.8.7 · baseline aaaaaaaaaaaa (dirty)");
    expect(renderMarkdown(r)).toContain("keel 9.8.7 · baseline aaaaaaaaaaaa (dirty)");
  });
  it("reportMeta reads HEAD and the dirty flag of the playbook's repository", () => {
    const repo = join(tmp, "metarepo");
    mkdirSync(repo);
    writeFileSync(join(repo, "site.yml"), "- hosts: all\n");
    const g = (...a: string[]) => execFileSync("git", ["-C", repo, "-c", "user.email=t@t", "-c", "user.name=t", ...a], { encoding: "utf8" }).trim();
    g("init", "-q");
    // before the first commit: no HEAD; an untracked playbook is not a change of a tracked file
    expect(reportMeta(join(repo, "site.yml")).baseline).toEqual({ repo: expect.stringContaining("metarepo"), dirty: false, playbook: "site.yml" });
    g("add", "site.yml");
    expect(reportMeta(join(repo, "site.yml")).baseline.dirty).toBe(true);
    g("commit", "-qm", "baseline");
    expect(reportMeta(join(repo, "site.yml")).baseline).toEqual({
      repo: expect.stringContaining("metarepo"),
      commit: g("rev-parse", "HEAD"),
      dirty: false,
      playbook: "site.yml",
    });
    // what a CI runner adds beside the checkout (npm ci, the report folder, last night's report
    // restored from the cache) does not make the baseline dirty
    mkdirSync(join(repo, "node_modules", ".bin"), { recursive: true });
    mkdirSync(join(repo, ".keel-nightly"));
    writeFileSync(join(repo, "node_modules", ".bin", "keel"), "");
    writeFileSync(join(repo, ".keel-nightly", "drift.json"), "{}");
    expect(reportMeta(join(repo, "site.yml")).baseline.dirty).toBe(false);
    writeFileSync(join(repo, "site.yml"), "- hosts: web\n");
    expect(reportMeta(join(repo, "site.yml")).baseline.dirty).toBe(true);
    expect(reportMeta("/nonexistent/x.yml").baseline).toEqual({ playbook: "/nonexistent/x.yml" });
  });
});

describe("--format github", () => {
  it("one ::error per drifted task at its file and line, hosts unreachable or failed, escaped data", () => {
    const r = compareWith(build(), []);
    const out = renderGithub(r);
    expect(out).toContain(
      "::error file=playbooks/baseline.yml,line=10,title=drift on 1 host%3A Message of the day::web1: file /etc/motd: mode 0644 → 0600; content differs (new)",
    );
    expect(out).toContain("::error title=keel drift%3A web3 unreachable::web3: web3 (198.18.0.13:22): connection refused");
    // a failed task is annotated at its own file and line (an unreachable host has no place)
    expect(out).toMatch(/^::error file=playbooks\/baseline\.yml,line=\d+,title=keel drift%3A web4 failed::web4: /m);
    expect(r.hosts.find((h) => h.host === "web4")!.failed_at).toMatchObject({ file: "playbooks/baseline.yml" });
    expect(out).toMatch(/^::warning file=playbooks\/baseline.yml,line=40,title=cannot predict on 1 host%3A rebuild index::web1: command: make index: /m);
    expect(out.trim().split("\n").at(-1)).toMatch(/^keel drift: 4 hosts, 1 in sync, 1 drifted/);
    // a message over several hosts is one annotation, lines joined with %0A; % itself escaped
    const two = sampleEvents().map((e) =>
      e.type === "task.result" && e.host === "web2" && e.task.pos.line === 10
        ? { ...e, result: { ...e.result, status: "changed" as const, changes: [{ summary: "100% wrong" }] } }
        : e,
    );
    expect(renderGithub(build(two))).toContain(
      "title=drift on 2 hosts%3A Message of the day::web1: file /etc/motd: mode 0644 → 0600; content differs%0Aweb2: file /etc/motd: 100%25 wrong",
    );
  });
});

describe("output defects", () => {
  it("Markdown escapes HTML in task names and hosts", () => {
    const evil = sampleEvents().map((e) =>
      e.type === "task.result" && e.task.pos.line === 10 ? { ...e, task: { ...e.task, name: "<img src=x onerror=alert(1)> motd | x" } } : e,
    );
    const md = renderMarkdown(build(evil));
    expect(md).not.toContain("<img");
    expect(md).toContain("&lt;img src=x onerror=alert(1)&gt; motd \\| x");
  });

  it("Markdown escapes Markdown syntax in task names and values; a diff holding ``` stays in its block", () => {
    const evil = sampleEvents().map((e) =>
      e.type === "task.result" && e.task.pos.line === 10
        ? {
            ...e,
            host: e.host === "web1" ? "<b>web1</b>" : e.host,
            task: { ...e.task, name: "motd `x` **y** [z](u)\n# h" },
            result: {
              ...e.result,
              changes: [{ summary: "content differs", field: "content", diff: { path: "/etc/motd", before: "```\nold\n", after: "```\nnew\n" } }],
            },
          }
        : e,
    );
    const md = renderMarkdown(build(evil));
    expect(md).toContain("| motd \\`x\\` \\*\\*y\\*\\* \\[z\\](u) # h | `playbooks/baseline.yml:10` |");
    // inside the <summary> HTML block, only HTML escaping (Markdown is not read there)
    expect(md).toContain("<summary><b>&lt;b&gt;web1&lt;/b&gt;</b>");
    expect(md).not.toContain("<b><b>web1");
    // the diff's own ``` does not close the block: the fence is longer
    const block = /^(`{4,})diff\n([\s\S]*?)\n\1$/m.exec(md);
    expect(block?.[2]).toContain("\n ```\n-old\n+new");
  });

  it("Markdown keeps an error's code frame on its lines, in a code block", () => {
    const frame = "/repo/playbooks/baseline.yml:51:9: undefined variable 'x'\n 51 |   dest: \"{{ x }}\"\n    |         ^\nhint: define 'x'";
    const ev = sampleEvents().map((e) => (e.type === "task.result" && e.host === "web4" ? { ...e, result: { ...e.result, msg: frame } } : e));
    const md = renderMarkdown(build(ev));
    expect(md).toContain("```\nnftables installed: " + frame + "\n```\n");
    expect(md).not.toContain("\\|         ^");
  });

  it("text columns line up by display width (wide characters, long resources)", () => {
    const t = task(70, "wide", "files.copy");
    const extra: KeelEvent[] = [
      {
        type: "task.result",
        host: "web1",
        task: t,
        result: { status: "changed", resource: "file /etc/日本語.conf", changes: [{ summary: "SUMMARY-A" }], secret: false, durationMs: 1 },
      },
      {
        type: "task.result",
        host: "web1",
        task: task(71, "wide", "files.copy"),
        result: { status: "changed", resource: "file /x", changes: [{ summary: "SUMMARY-B" }], secret: false, durationMs: 1 },
      },
      {
        type: "task.result",
        host: "web1",
        task: task(72, "wide", "files.copy"),
        result: { status: "changed", resource: `file /${"very-long-name/".repeat(5)}`, changes: [{ summary: "SUMMARY-C" }], secret: false, durationMs: 1 },
      },
    ];
    const ev = sampleEvents();
    ev.splice(
      ev.findIndex((e) => e.type === "host.done"),
      0,
      ...extra,
    );
    const text = renderText(build(ev), { color: false, details: false });
    const col = (s: string) => {
      const line = text.split("\n").find((l) => l.includes(s))!;
      // display columns before the summary: wide characters count 2
      return [...line.slice(0, line.indexOf(s))].reduce((n, ch) => n + (/[\u3000-\u9fff]/.test(ch) ? 2 : 1), 0);
    };
    expect(col("SUMMARY-A")).toBe(col("SUMMARY-B"));
    expect(col("SUMMARY-C")).toBe(col("SUMMARY-B"));
    expect(text).toContain(`file /${"very-long-name/".repeat(5)}\n`);
  });

  it("a failure located in the task's file is named at its own place only", () => {
    const ev = sampleEvents().map((e) =>
      e.type === "task.result" && e.host === "web4" ? { ...e, result: { ...e.result, msg: "/repo/playbooks/baseline.yml:51:9: undefined variable 'x'" } } : e,
    );
    expect(build(ev).hosts.find((h) => h.host === "web4")!.error).toBe("nftables installed: /repo/playbooks/baseline.yml:51:9: undefined variable 'x'");
  });
});
