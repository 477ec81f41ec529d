// Issue 18 end to end, on a scratch lab host over real SSH:
//  1. The README's nightly GitHub Actions job: the `Check drift` step's script, taken from the
//     README, runs twice in fresh checkouts ("runners") with only the cached `.keel-nightly/` carried
//     over, a tamper in between. The second night compares with the first night's JSON: one item
//     persisting (since night 1), one new, one resolved; annotations, step summary, JUnit properties
//     (keel version, baseline commit) and HTML are checked.
//  2. A host whose sshd is frozen (SIGSTOP: it accepts TCP, then never answers) does not hang
//     `keel drift` with its default deadlines: the run ends, the report is written, the host is
//     unreachable with the reason. sshd gets SIGCONT in a finally; the host is a scratch host.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { describeLab, hostExec, keel, KEEL_BIN, lab, PRIVATE_KEY, ROOT, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";
import type { DriftReport } from "../../engine/report/drift/model.js";
import { REPORT_HOST_TIMEOUT_S } from "../../engine/cli/commands/flags.js";

const tmp = mkdtempSync(join(tmpdir(), "keel-nightly-e2e-"));
const FILES = { a: "alpha=1\n", b: "beta=2\n", c: "gamma=3\n" };
const SITE = `- name: nightly baseline
  hosts: all
  gather_facts: false
  tasks:
    - name: the folder
      files.file: { path: /etc/keel-nightly, state: directory, mode: "0755" }
    - name: a.conf
      files.copy: { dest: /etc/keel-nightly/a.conf, content: "${FILES.a.trim()}\\n", mode: "0644" }
    - name: b.conf
      files.copy: { dest: /etc/keel-nightly/b.conf, content: "${FILES.b.trim()}\\n", mode: "0644" }
    - name: c.conf
      files.copy: { dest: /etc/keel-nightly/c.conf, content: "${FILES.c.trim()}\\n", mode: "0644" }
`;
const LINE = { a: 7, b: 9, c: 11 };

/** The README's `Check drift` step (jobs.drift.steps[id=drift].run) and the job's env. */
function readmeStep(): { script: string; env: Record<string, string> } {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf("<!-- nightly-workflow -->");
  expect(at, "README has the nightly workflow marker").toBeGreaterThan(0);
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))!;
  const wf = parseYaml(m[1]!) as { jobs: { drift: { env: Record<string, string>; steps: { id?: string; run?: string; shell?: string }[] } } };
  const step = wf.jobs.drift.steps.find((s) => s.id === "drift")!;
  expect(step.shell).toBe("bash");
  return { script: step.run!, env: wf.jobs.drift.env };
}

let host: ScratchHost;
let repo: string;
let home: string;

/** A fresh "runner": a clone of the playbook repository with keel as its dev dependency. */
function checkout(name: string): string {
  const dir = join(tmp, name);
  execFileSync("git", ["clone", "-q", repo, dir]);
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  symlinkSync(KEEL_BIN, join(dir, "node_modules", ".bin", "keel"));
  return dir;
}

/** Run the README step in `dir` as GitHub Actions would (bash, GITHUB_* files); returns what it left. */
function night(dir: string): { code: number; stdout: string; summary: string; report: DriftReport; junit: string; html: string } {
  const { script, env } = readmeStep();
  const summary = join(dir, "..", `${dir.split("/").pop()}-summary.md`);
  const output = join(dir, "..", `${dir.split("/").pop()}-output`);
  writeFileSync(summary, "");
  writeFileSync(output, "");
  const stdout = execFileSync("bash", ["-e", "-c", script], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: home, ...env, INVENTORY: host.inventory, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, NO_COLOR: "1" },
    timeout: 300_000,
  });
  const code = Number(/exit_code=(\d+)/.exec(readFileSync(output, "utf8"))?.[1]);
  return {
    code,
    stdout,
    summary: readFileSync(summary, "utf8"),
    report: JSON.parse(readFileSync(join(dir, "out", "drift.json"), "utf8")) as DriftReport,
    junit: readFileSync(join(dir, "out", "drift.xml"), "utf8"),
    html: readFileSync(join(dir, "out", "drift.html"), "utf8"),
  };
}

const put = (path: string, content: string) => hostExec(host, `printf '%s' '${content}' > ${path}`);

describeLab("nightly CI (issue 18)", () => {
  beforeAll(async () => {
    host = await startScratchHost();
    home = join(tmp, "home");
    mkdirSync(home);
    copyFileSync(PRIVATE_KEY, join(home, "fleet_key"));
    repo = join(tmp, "baseline-repo");
    mkdirSync(repo);
    writeFileSync(join(repo, "site.yml"), SITE);
    const g = (...a: string[]) => execFileSync("git", ["-C", repo, "-c", "user.email=ci@example.org", "-c", "user.name=ci", ...a]);
    g("init", "-q");
    g("add", "site.yml");
    g("commit", "-qm", "baseline");
    const r = await keel(["run", join(repo, "site.yml"), "-i", host.inventory]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    if (host) await stopScratchHost(host);
  });

  it("two nights: the second compares with the first night's JSON report, restored from the cache", async () => {
    // before night 1: a.conf's mode and b.conf's content drift
    expect((await hostExec(host, "chmod 0600 /etc/keel-nightly/a.conf")).code).toBe(0);
    await put("/etc/keel-nightly/b.conf", "beta=tampered\n");
    const runner1 = checkout("night1");
    const n1 = night(runner1);
    expect(n1.code, n1.stdout).toBe(2);
    expect(n1.report.compared_with).toBeUndefined();
    expect(n1.report.hosts[0]!.items.map((i) => i.resource).sort()).toEqual(["file /etc/keel-nightly/a.conf", "file /etc/keel-nightly/b.conf"]);
    const cache = join(tmp, "cache");
    cpSync(join(runner1, ".keel-nightly"), cache, { recursive: true }); // actions/cache/save

    // during the day: b.conf is fixed, c.conf is tampered
    await put("/etc/keel-nightly/b.conf", FILES.b);
    await put("/etc/keel-nightly/c.conf", "gamma=tampered\n");

    const runner2 = checkout("night2"); // a fresh runner: only the cache comes back
    expect(existsSync(join(runner2, ".keel-nightly"))).toBe(false);
    cpSync(cache, join(runner2, ".keel-nightly"), { recursive: true }); // actions/cache/restore
    const n2 = night(runner2);
    expect(n2.code, n2.stdout).toBe(2);
    const h = n2.report.hosts[0]!;
    const marks = [...h.items, ...h.resolved].map((i) => `${i.resource.replace("file /etc/keel-nightly/", "")} ${i.compare} since ${i.since}`).sort();
    expect(marks).toEqual([
      `a.conf persisting since ${n1.report.generated_at}`,
      `b.conf resolved since ${n1.report.generated_at}`,
      `c.conf new since ${n2.report.generated_at}`,
    ]);
    expect(n2.report.compared_with).toEqual({ file: ".keel-nightly/drift.json", generated_at: n1.report.generated_at });
    expect(n2.report.summary).toMatchObject({ drifted: 1, items: 2, resolved: 1 });

    // annotations at the playbook's lines, the step summary, what produced the report
    expect(n2.stdout).toContain(
      `::error file=site.yml,line=${LINE.a},title=drift on 1 host%3A a.conf::${host.name}: file /etc/keel-nightly/a.conf: mode 0600 → 0644 (since ${n1.report.generated_at.slice(0, 10)})`,
    );
    expect(n2.stdout).toMatch(new RegExp(`^::error file=site.yml,line=${LINE.c},title=drift on 1 host%3A c.conf::.*\\(new\\)$`, "m"));
    expect(n2.stdout).toMatch(new RegExp(`^::notice file=site.yml,line=${LINE.b},title=drift resolved on 1 host%3A b.conf::`, "m"));
    expect(n2.summary).toContain("keel drift: 1 of 1 hosts drifted");
    expect(n2.summary).toMatch(/\| persisting since \d{4}-\d\d-\d\d \| `file \/etc\/keel-nightly\/a.conf` \|/);
    const head = execFileSync("git", ["-C", runner2, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
    expect(n2.report.keel_version).toBe(version);
    expect(n2.report.baseline).toMatchObject({ commit: head, playbook: "site.yml" });
    expect(n2.junit).toContain(`<property name="baseline_commit" value="${head}"/>`);
    expect(n2.junit).toContain(`<property name="keel_version" value="${version}"/>`);
    expect(n2.html).toContain(`keel ${version} · baseline ${head.slice(0, 12)}`);

    // the closing note of issue 18 quotes this
    const shown = await keel(["report", "render", join(runner2, "out", "drift.json")], { env: { NO_COLOR: "1" } });
    console.log(`night 1 (${n1.report.generated_at}):\n${n1.stdout}\nnight 2, compared with night 1's JSON:\n${n2.stdout}\n${shown.stdout}`);
  }, 600_000);

  it(
    "a host whose sshd is frozen (SIGSTOP) does not hang drift: it is reported unreachable with the reason",
    async () => {
      const other = lab().hosts[0]!.name;
      const freeze = (sig: "STOP" | "CONT") =>
        hostExec(host, `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = sshd ] && kill -${sig} \${p#/proc/}; done; true`);
      const json = join(tmp, "stalled.json");
      let r: Awaited<ReturnType<typeof keel>>;
      try {
        expect((await freeze("STOP")).code).toBe(0);
        // the default deadlines: no --host-timeout, no -T
        r = await keel(
          [
            "drift",
            join(repo, "site.yml"),
            "-i",
            host.inventory,
            "-i",
            lab().inventoryYaml,
            "-l",
            `${host.name},${other}`,
            "--no-history",
            "-o",
            `json:${json}`,
          ],
          { timeoutMs: (REPORT_HOST_TIMEOUT_S + 120) * 1000 },
        );
      } finally {
        await freeze("CONT");
      }
      console.log(`stalled-host drift: exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s (default per-host deadline ${REPORT_HOST_TIMEOUT_S} s)\n${r.stderr}`);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      // a generous bound that proves it does not hang: the deadline plus a margin
      expect(r.ms).toBeLessThan((REPORT_HOST_TIMEOUT_S + 60) * 1000);
      const report = JSON.parse(readFileSync(json, "utf8")) as DriftReport;
      const stalled = report.hosts.find((h) => h.host === host.name)!;
      expect(stalled).toMatchObject({ status: "unreachable", failure: "timeout" });
      expect(stalled.error).toMatch(/timeout/);
      // the rest of the fleet was checked
      expect(report.hosts.find((h) => h.host === other)!.status).not.toBe("unreachable");
    },
    (REPORT_HOST_TIMEOUT_S + 180) * 1000,
  );
});
