// Reporters of `keel run`: plain and TTY progress, recap, --diff rendering, the JSON report against
// its committed schema, and the winston run log's masking. Events come from real runPlaybook runs
// on FakeConnection hosts (test/unit/run/fakes.ts).
import { describe, it, expect, afterAll } from "vitest";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { runPlaybook, type RunOptions, type RunSummary } from "../../../engine/run/index.js";
import { Progress } from "../../../engine/report/progress.js";
import { formatRecap, RecapReporter } from "../../../engine/report/recap.js";
import { JsonReporter } from "../../../engine/report/json.js";
import { reportMeta } from "../../../engine/report/meta.js";
import { fileURLToPath } from "node:url";
import { createRunLog, scrub } from "../../../engine/report/runlog.js";
import { renderChange, unifiedDiff } from "../../../engine/report/diff.js";
import type { KeelEvent } from "../../../engine/core/events.js";
import { FakeLab, testRegistry, task, play, plan, recorder } from "../run/fakes.js";

const labs: FakeLab[] = [];
const tmp = mkdtempSync(join(tmpdir(), "keel-report-test-"));
afterAll(() => {
  labs.forEach((l) => l.cleanup());
  rmSync(tmp, { recursive: true, force: true });
});

async function sample(
  o: Partial<RunOptions> = {},
  sinks: ((e: KeelEvent) => void)[] = [],
): Promise<{ events: KeelEvent[]; summary: RunSummary; lab: FakeLab }> {
  const lab = new FakeLab(["lab01", "lab02", "bad03"]);
  labs.push(lab);
  lab.setKv("lab01", "motd", "old\nline2\n");
  lab.refuse.set("bad03", "refused");
  const rec = recorder();
  const p = play(
    [
      task("kv", { key: "motd", value: "new\nline2\n" }, { name: "Ensure motd" }),
      task("kv", { key: "token", value: "tok-SECRET-42" }, { name: "Store token", noLog: true }),
      task("cmd", { cmd: "echo hi" }, { name: "Say hi", changedWhen: ["false"] }),
      task("cmd", { cmd: 'case "$ROOT" in */lab02) echo nope >&2; exit 5;; esac' }, { name: "Maybe fail", changedWhen: ["false"] }),
    ],
    { name: "site" },
  );
  const summary = await runPlaybook(
    plan(p),
    lab.inventory(),
    { registry: testRegistry, check: false, diff: true, forks: 5, extraVars: {}, connect: lab.connect as RunOptions["connect"], ...o },
    (e) => {
      rec.sink(e);
      sinks.forEach((s) => s(e));
    },
  );
  return { events: rec.events, summary, lab };
}

describe("progress, plain (not a TTY)", () => {
  it("one line per task result, failures with file:line and cause, --diff as unified diff, no escapes", async () => {
    let out = "";
    const pr = new Progress({ isTTY: false, color: false, diff: true, write: (t) => (out += t) });
    await sample({}, [pr.sink]);
    pr.finish();
    expect(out).toMatch(/^changed  lab01  Ensure motd  \(test\.kv kv motd\)$/m);
    expect(out).toMatch(/^ok       lab01  Say hi  \(test\.cmd cmd echo hi\)$/m);
    expect(out).toMatch(/^failed   lab02  Maybe fail  \(test\.cmd .*\)\n {9}\/play\/site\.yml:\d+: exit code 5: nope$/m);
    expect(out).toMatch(/^unreachable bad03  bad03: unreachable while connecting: refused: /m);
    expect(out).toContain("         --- kv/motd (before)\n         +++ kv/motd (after)\n");
    expect(out).toContain("         -old\n         +new\n");
    expect(out).not.toContain("tok-SECRET-42");
    expect(out).toContain("changed  lab01  Store token  (test.kv kv (secret))\n         value: (secret)\n");
    expect(out).not.toContain("\x1b");
  });
});

describe("progress, failure lines", () => {
  it("names a place once: the cause's own file:line:col when it has one, else the task's", () => {
    const pr = new Progress({ isTTY: false, color: false, diff: false, write: () => undefined });
    const t = { id: "t1", name: "Set key", module: "test.kv", pos: { file: "/play/site.yml", line: 4, col: 7 }, play: "p" };
    const msg = "/play/site.yml:4:7: undefined variable 'nope' in '{{ nope }}'\nhint: define 'nope'";
    expect(pr.resultText("h1", t, { status: "failed", changes: [], msg, secret: false, durationMs: 0 })).toBe(
      "failed   h1  Set key  (test.kv)\n         /play/site.yml:4:7: undefined variable 'nope' in '{{ nope }}'\n         hint: define 'nope'\n",
    );
    // a cause elsewhere in the file (the block's when, an argument's line) is named at its own
    // place only: never "site.yml:4: site.yml:2:9: …" (issue 18)
    const other = "/play/site.yml:2:9: undefined variable 'x' in `x`";
    expect(pr.resultText("h1", t, { status: "failed", changes: [], msg: other, secret: false, durationMs: 0 })).toBe(
      `failed   h1  Set key  (test.kv)\n         ${other}\n`,
    );
    // a cause without a place gets the task's
    expect(pr.resultText("h1", t, { status: "failed", changes: [], msg: "exit code 1", secret: false, durationMs: 0 })).toContain(
      "         /play/site.yml:4: exit code 1\n",
    );
  });
});

describe("progress, TTY", () => {
  it("redraws a live region in place (hosts done/total, current task, elapsed) and prints what matters above it", async () => {
    let out = "";
    let t = 0;
    const pr = new Progress({ isTTY: true, color: true, diff: false, write: (s) => (out += s), now: () => (t += 100), tickMs: 0, columns: 100 });
    await sample({}, [pr.sink]);
    pr.finish();
    expect(out).toMatch(/\d\/3 hosts done/);
    expect(out).toContain("3/3 hosts done");
    expect(out).toMatch(/\x1b\[\d+A\r\x1b\[J/); // cursor up + clear: redrawn in place
    expect(out).toMatch(/lab0\d +\[\d\] \w/); // current task per host
    expect(out).toMatch(/\d\d:\d\d/);
    expect(out).toContain("\x1b[33mchanged"); // colored status
    expect(out).not.toMatch(/^ok /m); // ok results only in the live region
    // the live region is erased at the end: the last write is the clear sequence
    expect(out.endsWith("\x1b[J")).toBe(true);
  });

  it("NO_COLOR (color: false) keeps the live region but prints no color codes", async () => {
    let out = "";
    const pr = new Progress({ isTTY: true, color: false, diff: false, write: (s) => (out += s), tickMs: 0 });
    await sample({}, [pr.sink]);
    pr.finish();
    expect(out).toContain("hosts done");
    expect(out).not.toMatch(/\x1b\[3\dm/);
    expect(out).not.toMatch(/\x1b\[[12]m/);
  });
});

describe("recap", () => {
  it("one Ansible-like line per host with round trips", async () => {
    const { summary } = await sample();
    const text = formatRecap(summary, { color: false });
    expect(text).toMatch(/^lab01 : ok=2  changed=2  unreachable=0  failed=0  skipped=0  rescued=0  ignored=0  unknown=0  round_trips=\d+$/m);
    expect(text).toMatch(/^lab02 : .*failed=1/m);
    expect(text).toMatch(/^bad03 : .*unreachable=1 .*round_trips=0$/m);
  });
});

describe("--diff rendering", () => {
  it("unified diff for text, before → after for other fields", () => {
    expect(unifiedDiff("/etc/motd", "a\nb\n", "a\nc\n")).toBe("--- /etc/motd (before)\n+++ /etc/motd (after)\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
    expect(renderChange({ summary: "mode", field: "mode", before: "0644", after: "0600" })).toBe("mode: 0644 → 0600\n");
    expect(renderChange({ summary: "package nginx missing", field: "state", before: undefined, after: "present" })).toBe("state: (none) → present\n");
  });
});

describe("JSON report", () => {
  it("events are plain JSON: a bigint as text, a Buffer as (binary), everything else as it was", () => {
    const json = new JsonReporter(reportMeta(fileURLToPath(import.meta.url)));
    const task = { id: "t1", name: "n", module: "m", pos: { file: "f", line: 1, col: 1 }, play: "p" };
    const result = (extra: Record<string, unknown>) => ({ status: "ok" as const, changes: [], secret: false, durationMs: 1, ...extra });
    json.sink({ type: "task.result", host: "h", task, result: result({ msg: "plain", n: 1, list: [1, "a", null] }) });
    json.sink({ type: "task.result", host: "h", task, result: result({ big: 12n } as never) });
    json.sink({ type: "task.result", host: "h", task, result: result({ bytes: Buffer.from("xy"), other: { type: "Buffer", data: [1] } } as never) });
    json.sink({ type: "task.result", host: "h", task, result: result({ msg: 'says "Buffer" in text' }) });
    json.sink({ type: "run.summary", summary: { stats: {}, roundTrips: {}, unreachable: [], failed: [], failures: [], durationMs: 1 } as never });
    const ev = json.report().events as { result: Record<string, unknown> }[];
    expect(ev[0]!.result).toEqual({ status: "ok", changes: [], secret: false, durationMs: 1, msg: "plain", n: 1, list: [1, "a", null] });
    expect(ev[1]!.result.big).toBe("12");
    expect(ev[2]!.result.bytes).toBe("(binary)");
    expect(ev[2]!.result.other).toBe("(binary)");
    expect(ev[3]!.result.msg).toBe('says "Buffer" in text');
  });

  it("validates against schemas/run-report.schema.json and carries round trips per host", async () => {
    const json = new JsonReporter(reportMeta(fileURLToPath(import.meta.url)));
    const { summary } = await sample({}, [json.sink]);
    const report = json.report();
    const schema = JSON.parse(readFileSync(new URL("../../../schemas/run-report.schema.json", import.meta.url), "utf8"));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(JSON.parse(JSON.stringify(report)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(report.schema_version).toBe(1);
    // what produced it: keel's version (package.json) and the baseline's git commit
    expect(report.keel_version).toBe(JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version);
    expect(report.baseline).toMatchObject({
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      dirty: expect.any(Boolean),
      playbook: "test/unit/report/run-reporters.test.ts",
    });
    expect(report.events.some((e) => (e as { type: string }).type === "run.summary")).toBe(false);
    expect(report.summary.round_trips.lab01).toBe(summary.roundTrips.lab01);
    expect(report.summary.hosts.bad03!.status).toBe("unreachable");
    expect(report.summary.failures.find((f) => f.host === "lab02")).toMatchObject({
      task: "Maybe fail",
      message: expect.stringContaining("exit code 5: nope"),
    });
    expect(JSON.stringify(report)).not.toContain("tok-SECRET-42");
    // a broken document is rejected: the schema test can fail
    expect(validate({ ...report, schema_version: 2 })).toBe(false);
    expect(validate({ ...report, events: [{ type: "task.result", host: "x" }] })).toBe(false);
    // a run that stopped early names why and the hosts that never ran
    json.sink({ type: "run.summary", summary: { ...summary, notRun: ["web9"], stopped: "play 'p': every host of the batch failed (lab02)" } });
    const stopped = json.report();
    expect(validate(JSON.parse(JSON.stringify(stopped))), JSON.stringify(validate.errors)).toBe(true);
    expect(stopped.summary).toMatchObject({ not_run: ["web9"], stopped: expect.stringContaining("every host") });
    // who changed (a rolling patch: who was patched), who failed, who never ran: JSON and recap say it
    const changed = Object.entries(summary.stats)
      .filter(([h, st]) => st.changed > 0 && !summary.failed.includes(h) && !summary.unreachable.includes(h))
      .map(([h]) => h);
    expect(changed.length).toBeGreaterThan(0);
    expect(stopped.summary.changed).toEqual(changed);
    expect(stopped.summary.changed).not.toContain("lab02");
    const recap = new RecapReporter();
    recap.sink({ type: "run.summary", summary: { ...summary, notRun: ["web9"], stopped: "play 'p': every host of the batch failed (lab02)" } });
    const text = recap.text({ color: false });
    expect(text).toContain(`  changed: ${changed.join(", ")}\n`);
    expect(text).toContain(`  failed: ${summary.failed.join(", ")}\n`);
    expect(text).toContain("  not run: web9\n");
  });
});

describe("run log", () => {
  it("logs every event through winston; no_log values and passwords never reach the file", async () => {
    const file = join(tmp, "run.log");
    const log = await createRunLog(file, { secrets: ["hunter2-become", "sshpass-77"] });
    const { events } = await sample({ becomePassword: "hunter2-become", password: "sshpass-77", become: true }, [log.sink]);
    log.info("note with sshpass-77 inside", { password: "anything" });
    await log.close();
    const text = readFileSync(file, "utf8");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(events.length + 1);
    expect(lines[0]).toMatchObject({ level: "info", message: "run.start", timestamp: expect.any(String) });
    expect(text).not.toContain("tok-SECRET-42");
    expect(text).not.toContain("hunter2-become");
    expect(text).not.toContain("sshpass-77");
    expect(text).toContain("(secret)");
    expect(text).toContain("Ensure motd");
  });

  it("scrub masks secret strings anywhere and password-like keys", () => {
    expect(scrub({ a: "x pw1 y", nested: [{ become_password: "zz" }], n: 3 }, ["pw1"])).toEqual({
      a: "x (secret) y",
      nested: [{ become_password: "(secret)" }],
      n: 3,
    });
  });
});
