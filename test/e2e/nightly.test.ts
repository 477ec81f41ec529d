// Issue 18 end to end, on a scratch lab host over real SSH:
//  1. The README's nightly GitHub Actions job: its `SSH key and known hosts` and `Check drift` steps,
//     taken from the README, run in fresh checkouts ("runners": an empty home, the inventory a team
//     commits) with only the cached `.keel-nightly/` carried over, a tamper in between. The second
//     night compares with the first night's JSON: one item persisting (since night 1), one new, one
//     resolved; annotations, step summary, JUnit properties (keel version, baseline commit, not
//     dirty) and HTML are checked. A third night runs the README's GitLab CI script.
//  2. A host whose sshd is frozen (SIGSTOP: it accepts TCP, then never sends its banner) does not
//     hang `keel drift` with its default deadlines: the run ends, the report is written, the host
//     is unreachable with the reason. sshd gets SIGCONT in a finally; the host is a scratch host.
//  3. A host that stalls after authentication (its login shell never answers) does not hang drift,
//     audit, patch report or facts with their default deadlines.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { describeLab, hostExec, keel, KEEL_BIN, lab, PRIVATE_KEY, ROOT, spawnAsync, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";
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

interface Step {
  id?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
}

/** The README's GitHub Actions workflow (after the nightly-workflow marker), parsed. */
function readmeWorkflow(): { steps: Step[]; env: Record<string, string> } {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf("<!-- nightly-workflow -->");
  expect(at, "README has the nightly workflow marker").toBeGreaterThan(0);
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))!;
  const wf = parseYaml(m[1]!) as { jobs: { drift: { env: Record<string, string>; steps: Step[] } } };
  return { steps: wf.jobs.drift.steps, env: wf.jobs.drift.env };
}

/** The README's GitLab CI job's script lines (after the nightly-gitlab marker). */
function readmeGitlabScript(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf("<!-- nightly-gitlab -->");
  expect(at, "README has the GitLab marker").toBeGreaterThan(0);
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))!;
  const job = (parseYaml(m[1]!) as Record<string, { script: string[]; artifacts: { reports: { junit: string } } }>)["nightly-drift"]!;
  // the JUnit report GitLab reads is the one the script writes
  expect(job.script.join("\n")).toContain(`junit:${job.artifacts.reports.junit}`);
  return job.script;
}

/** A step's env as GitHub gives it: `${{ secrets.X }}` from the repository's secrets. */
function stepEnv(step: Step, secrets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.env ?? {})) {
    const m = /^\$\{\{\s*secrets\.(\w+)\s*\}\}$/.exec(v);
    expect(m && secrets[m[1]!] !== undefined, `${k}: ${v} is a secret the test knows`).toBeTruthy();
    out[k] = secrets[m![1]!]!;
  }
  return out;
}

let host: ScratchHost;
let repo: string;

/** A fresh "runner": a clone of the playbook repository with keel as its dev dependency, and an empty home. */
function checkout(name: string): { dir: string; home: string } {
  const dir = join(tmp, name);
  const home = join(tmp, `${name}-home`);
  mkdirSync(home);
  execFileSync("git", ["clone", "-q", repo, dir]);
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  symlinkSync(KEEL_BIN, join(dir, "node_modules", ".bin", "keel"));
  return { dir, home };
}

/** What a night left: the step's exit code and output, the step summary, the reports. */
interface Night {
  code: number;
  stdout: string;
  summary: string;
  report: DriftReport;
  junit: string;
  html: string;
}

const reports = (dir: string) => ({
  report: JSON.parse(readFileSync(join(dir, "out", "drift.json"), "utf8")) as DriftReport,
  junit: readFileSync(join(dir, "out", "drift.xml"), "utf8"),
  html: readFileSync(join(dir, "out", "drift.html"), "utf8"),
});

/**
 * Run the README's steps in a runner as GitHub Actions would: `SSH key and known hosts` (the default
 * shell, bash -e, with the repository's secrets) and `Check drift` (shell: bash), the job's env, the
 * GITHUB_* files. Nothing else: no inventory variable for keys or known_hosts, an empty home.
 */
async function night({ dir, home }: { dir: string; home: string }): Promise<Night> {
  const { steps, env } = readmeWorkflow();
  const ssh = steps.find((s) => s.id === "ssh")!;
  const drift = steps.find((s) => s.id === "drift")!;
  expect(ssh.run, "the README has the SSH key and known hosts step").toBeDefined();
  expect(drift.shell).toBe("bash");
  const secrets = { FLEET_SSH_KEY: readFileSync(PRIVATE_KEY, "utf8").trim(), FLEET_KNOWN_HOSTS: knownHosts() };
  const summary = `${dir}-summary.md`;
  const output = `${dir}-output`;
  writeFileSync(summary, "");
  writeFileSync(output, "");
  const base = { PATH: process.env.PATH!, HOME: home, ...env, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, NO_COLOR: "1" };
  execFileSync("bash", ["-e", "-c", ssh.run!], { cwd: dir, env: { ...base, ...stepEnv(ssh, secrets) } });
  // as execFileSync did: a step that fails fails the night
  const step = await spawnAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", drift.run!], {
    cwd: dir,
    env: { ...base, ...stepEnv(drift, secrets) },
    timeout: 300_000,
  });
  if (step.status !== 0) throw new Error(`the drift step exited ${step.status ?? step.signal}: ${step.stdout}\n${step.stderr}`);
  const stdout = step.stdout;
  const code = Number(/exit_code=(\d+)/.exec(readFileSync(output, "utf8"))?.[1]);
  return { code, stdout, summary: readFileSync(summary, "utf8"), ...reports(dir) };
}

/** The fleet's host keys as `ssh-keyscan` prints them (the scratch host's own known_hosts line). */
const knownHosts = () => readFileSync(host.knownHosts, "utf8").trim();

const put = (path: string, content: string) => hostExec(host, `printf '%s' '${content}' > ${path}`);

describeLab("nightly CI (issue 18)", () => {
  beforeAll(async () => {
    host = await startScratchHost();
    repo = join(tmp, "baseline-repo");
    mkdirSync(join(repo, "inventory"), { recursive: true });
    writeFileSync(join(repo, "site.yml"), SITE);
    // the inventory a team commits: names and addresses; the key and the host keys come from the job
    writeFileSync(
      join(repo, "inventory", "hosts.yml"),
      `all:\n  vars: { ansible_user: root }\n  hosts:\n    ${host.name}: { ansible_host: ${host.address} }\n`,
    );
    writeFileSync(join(repo, ".gitignore"), "node_modules/\n");
    const g = (...a: string[]) => execFileSync("git", ["-C", repo, "-c", "user.email=ci@example.org", "-c", "user.name=ci", ...a]);
    g("init", "-q");
    g("add", ".");
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
    const n1 = await night(runner1);
    expect(n1.code, n1.stdout).toBe(2);
    expect(n1.report.compared_with).toBeUndefined();
    expect(n1.report.hosts[0]!.items.map((i) => i.resource).sort()).toEqual(["file /etc/keel-nightly/a.conf", "file /etc/keel-nightly/b.conf"]);
    const cache = join(tmp, "cache");
    cpSync(join(runner1.dir, ".keel-nightly"), cache, { recursive: true }); // actions/cache/save

    // during the day: b.conf is fixed, c.conf is tampered
    await put("/etc/keel-nightly/b.conf", FILES.b);
    await put("/etc/keel-nightly/c.conf", "gamma=tampered\n");

    const runner2 = checkout("night2"); // a fresh runner: only the cache comes back
    expect(existsSync(join(runner2.dir, ".keel-nightly"))).toBe(false);
    cpSync(cache, join(runner2.dir, ".keel-nightly"), { recursive: true }); // actions/cache/restore
    const n2 = await night(runner2);
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
    const head = execFileSync("git", ["-C", runner2.dir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
    expect(n2.report.keel_version).toBe(version);
    // the runner's own files (out/, last night's report from the cache) do not make the baseline dirty
    expect(n2.report.baseline).toMatchObject({ commit: head, dirty: false, playbook: "site.yml" });
    expect(n2.junit).toContain(`<property name="baseline_commit" value="${head}"/>`);
    expect(n2.junit).toContain(`<property name="keel_version" value="${version}"/>`);
    expect(n2.html).toContain(`keel ${version} · baseline ${head.slice(0, 12)}`);

    // the closing note of issue 18 quotes this
    const shown = await keel(["report", "render", join(runner2.dir, "out", "drift.json")], { env: { NO_COLOR: "1" } });
    console.log(`night 1 (${n1.report.generated_at}):\n${n1.stdout}\nnight 2, compared with night 1's JSON:\n${n2.stdout}\n${shown.stdout}`);

    // night 3 on GitLab CI: the README's script (one shell, File-type variables), its cache from night 2
    const runner3 = checkout("night3");
    cpSync(join(runner2.dir, ".keel-nightly"), join(runner3.dir, ".keel-nightly"), { recursive: true });
    const keyFile = join(tmp, "gitlab-key");
    const hostsFile = join(tmp, "gitlab-known-hosts");
    writeFileSync(keyFile, readFileSync(PRIVATE_KEY));
    writeFileSync(hostsFile, knownHosts() + "\n");
    const script = readmeGitlabScript().filter((l) => l !== "npm ci");
    const gl = await spawnAsync("bash", ["-eo", "pipefail", "-c", script.join("\n")], {
      cwd: runner3.dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH!, HOME: runner3.home, FLEET_SSH_KEY: keyFile, FLEET_KNOWN_HOSTS: hostsFile, NO_COLOR: "1" },
      timeout: 300_000,
    });
    expect(gl.status, gl.stdout + gl.stderr).toBe(2);
    const n3 = reports(runner3.dir);
    expect(n3.report.compared_with).toEqual({ file: ".keel-nightly/drift.json", generated_at: n2.report.generated_at });
    const marks3 = n3.report.hosts[0]!.items.map((i) => `${i.resource.replace("file /etc/keel-nightly/", "")} ${i.compare} since ${i.since}`).sort();
    expect(marks3).toEqual([`a.conf persisting since ${n1.report.generated_at}`, `c.conf persisting since ${n2.report.generated_at}`]);
    expect(n3.junit).toContain(`<property name="baseline_commit" value="${head}"/>`);
    expect(readFileSync(join(runner3.dir, ".keel-nightly", "drift.json"), "utf8")).toContain(n3.report.generated_at);
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
  it(
    "a host that stalls after authentication (its login shell never answers) is unreachable in drift, audit, patch report and facts, with the default deadlines",
    async () => {
      // pubkey authentication succeeds; every command then hangs (root's shell sleeps); a scratch host
      const hang = "/usr/local/bin/keel-hang";
      expect(
        (
          await hostExec(
            host,
            `printf '#!/bin/sh\\nexec sleep 100000\\n' > ${hang} && chmod 755 ${hang} && cp /etc/passwd /etc/passwd.keel && sed -i '1s|:/bin/bash$|:${hang}|' /etc/passwd && head -1 /etc/passwd`,
          )
        ).stdout,
      ).toContain(hang);
      const inv = join(repo, "inventory", "hosts.yml");
      const common = ["-i", inv, "--private-key", PRIVATE_KEY];
      const home = join(tmp, "stall-home");
      mkdirSync(join(home, ".ssh"), { recursive: true });
      writeFileSync(join(home, ".ssh", "known_hosts"), knownHosts() + "\n");
      const env = { HOME: home };
      let results: { cmd: string; r: Awaited<ReturnType<typeof keel>> }[];
      try {
        const timeoutMs = (REPORT_HOST_TIMEOUT_S + 120) * 1000;
        const cmds: [string, string[]][] = [
          ["drift", ["drift", join(repo, "site.yml"), ...common, "--no-history"]],
          ["audit", ["audit", ...common, "--no-history"]],
          ["patch report", ["patch", "report", ...common, "--no-history"]],
          ["facts", ["facts", ...common]],
        ];
        results = await Promise.all(cmds.map(async ([cmd, args]) => ({ cmd, r: await keel(args, { env, timeoutMs }) })));
      } finally {
        // the hung sessions sleep on until the scratch host is stopped (afterAll)
        await hostExec(host, `cp /etc/passwd.keel /etc/passwd && rm -f ${hang}`);
      }
      for (const { cmd, r } of results) {
        console.log(`stalled after auth, keel ${cmd}: exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s`);
        expect(r.code, `${cmd}: ${r.stdout.slice(0, 400)}${r.stderr}`).not.toBe(0);
        expect(r.ms, cmd).toBeLessThan((REPORT_HOST_TIMEOUT_S + 60) * 1000);
        expect(r.stdout + r.stderr, cmd).toMatch(new RegExp(`${host.name}[^\\n]*unreachable|unreachable[^\\n]*${host.name}`, "i"));
        expect(r.stdout + r.stderr, cmd).toMatch(/timed out|deadline/);
      }
    },
    (REPORT_HOST_TIMEOUT_S + 180) * 1000,
  );
});
