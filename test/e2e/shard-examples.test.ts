// The sharding examples (examples/k8s-indexed-job, examples/github-actions-matrix), run as written:
// their scripts are read from the manifests and the workflow, run with N=4 shards against the
// lab's hosts, merged by their own merge step, and the merged report must equal one unsharded
// `keel drift` of the same hosts (timings aside). Drift only reads: the hosts are not changed.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { describeLab, INVENTORY, keel, KEEL_BIN, PRIVATE_KEY, ROOT, spawnAsync } from "./lab.js";

const tmp = mkdtempSync(join(tmpdir(), "keel-shard-examples-"));
const SITE = join(tmp, "site.yml");
// One resource drifted on every host (a file nobody creates), one in sync (/tmp exists everywhere).
const SITE_TEXT = `- name: shard examples
  hosts: all
  gather_facts: false
  tasks:
    - name: example file
      files.copy: { dest: /etc/keel-shard-example.conf, content: "sharded\\n", mode: "0644" }
    - name: tmp
      files.file: { path: /tmp, state: directory }
`;

type Report = { summary: Record<string, number>; hosts: { host: string; duration_ms?: number }[]; [k: string]: unknown };

/** A report without what legitimately differs between runs: times, and the shard label. */
function comparable(r: Report): unknown {
  const { generated_at: _g, duration_ms: _d, shard: _s, ...rest } = r as Report & { generated_at?: string; shard?: unknown };
  return { ...rest, hosts: [...r.hosts].map(({ duration_ms: _x, ...h }) => h).sort((a, b) => a.host.localeCompare(b.host)) };
}

let single: Report;

beforeAll(async () => {
  if (!INVENTORY) return;
  writeFileSync(SITE, SITE_TEXT);
  const out = join(tmp, "single.json");
  const r = await keel(["drift", SITE, "-i", INVENTORY, "--no-history", "-q", "-o", `json:${out}`]);
  expect(r.code, r.stderr).toBe(2);
  single = JSON.parse(readFileSync(out, "utf8")) as Report;
  expect(single.summary.drifted).toBe(single.hosts.length);
  expect(single.hosts.length).toBeGreaterThanOrEqual(4);
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A directory with `keel` on PATH running this checkout's bin/keel.js (the image's /usr/local/bin/keel). */
function keelOnPath(): string {
  const bin = join(tmp, "bin");
  if (!existsSync(bin)) {
    mkdirSync(bin);
    writeFileSync(join(bin, "keel"), `#!/bin/sh\nexec "${process.execPath}" "${KEEL_BIN}" "$@"\n`, { mode: 0o755 });
  }
  return bin;
}

async function sh(
  script: string,
  opts: { cwd: string; env: Record<string, string>; shell?: string[] },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...args] = opts.shell ?? ["/bin/sh", "-c"];
  const r = await spawnAsync(cmd!, [...args, script], { cwd: opts.cwd, env: { NO_COLOR: "1", ...opts.env }, timeout: 170_000 });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describeLab("sharding examples, N=4, against the lab", () => {
  it("Kubernetes Indexed Job: JOB_COMPLETION_INDEX 0..3 become shards 1..4/4, the merge Job equals one unsharded drift", async () => {
    type Container = { env: { name: string; value: string }[]; command: string[]; args: string[] };
    type Job = { spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: Container[] } } } };
    const dir = join(ROOT, "examples/k8s-indexed-job");
    const job = parseYaml(readFileSync(join(dir, "drift-job.yaml"), "utf8")) as Job;
    const merge = parseYaml(readFileSync(join(dir, "merge-job.yaml"), "utf8")) as Job;
    expect(job.spec.completionMode).toBe("Indexed");
    const n = job.spec.completions!;
    expect(n).toBe(4);
    expect(job.spec.parallelism).toBe(n);
    const c = job.spec.template.spec.containers[0]!;
    const m = merge.spec.template.spec.containers[0]!;
    const env = (ct: Container) => Object.fromEntries(ct.env.map((e) => [e.name, e.value]));
    // the containers' own command (sh -c) runs their script
    for (const ct of [c, m]) expect(ct.command).toEqual(["/bin/sh", "-c"]);
    expect(env(c).SHARDS).toBe(String(n));
    expect(env(m).SHARDS).toBe(String(n));
    const results = join(tmp, "k8s-results");
    mkdirSync(results);
    const PATH = `${keelOnPath()}:${process.env.PATH}`;
    const pod = join(tmp, "k8s-pod"); // the container's working directory (the playbook is not under it)
    mkdirSync(pod);
    // The pods (one at a time here; the cluster runs them in parallel), with the volumes' paths.
    for (let index = 0; index < n; index++) {
      const r = await sh(c.args[0]!, {
        cwd: pod,
        env: { ...env(c), PATH, PLAYBOOK: SITE, INVENTORY, RESULTS: results, SSH_KEY: PRIVATE_KEY, JOB_COMPLETION_INDEX: String(index) },
        shell: c.command,
      });
      expect(r.code, `pod ${index}: ${r.stderr}`).toBe(0);
    }
    expect(readdirSync(results).sort()).toEqual([1, 2, 3, 4].flatMap((k) => [`drift-${k}.json`, `drift-${k}.xml`]));
    const shardHosts = [1, 2, 3, 4].map((k) => (JSON.parse(readFileSync(join(results, `drift-${k}.json`), "utf8")) as Report).hosts.map((h) => h.host));
    expect(shardHosts.flat().sort()).toEqual(single.hosts.map((h) => h.host).sort()); // each host in exactly one shard
    const r = await sh(m.args[0]!, { cwd: tmp, env: { ...env(m), PATH, RESULTS: results }, shell: m.command });
    expect(r.code, r.stderr).toBe(2); // drift: the merge Job fails, as documented
    expect(r.stdout).toContain(`${single.hosts.length} hosts: 0 in sync, ${single.hosts.length} drifted`);
    const merged = JSON.parse(readFileSync(join(results, "drift.json"), "utf8")) as Report;
    expect(comparable(merged)).toEqual(comparable(single));
    expect(readFileSync(join(results, "drift.html"), "utf8")).toContain("keel-shard-example.conf");
    const junit = readFileSync(join(results, "drift.xml"), "utf8");
    for (const h of single.hosts) expect(junit).toContain(h.host);
    // A missing shard report is refused before merging.
    rmSync(join(results, "drift-3.json"));
    const partial = await sh(m.args[0]!, { cwd: tmp, env: { ...env(m), PATH, RESULTS: results }, shell: m.command });
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain(`only ${n - 1} of ${n} shard reports`);
  }, 240_000);

  it("GitHub Actions matrix: shards 1..4 of strategy.job-total, artifacts moved as the workflow says, merged HTML and JUnit uploaded", async () => {
    type Step = { name?: string; run?: string; uses?: string; with?: Record<string, unknown> };
    type Wf = {
      env: Record<string, string>;
      jobs: { drift: { strategy: { matrix: { shard: number[] } }; steps: Step[] }; report: { needs: string; steps: Step[] } };
    };
    const wf = parseYaml(readFileSync(join(ROOT, "examples/github-actions-matrix/drift.yml"), "utf8")) as Wf;
    const shards = wf.jobs.drift.strategy.matrix.shard;
    expect(shards).toEqual([1, 2, 3, 4]);
    expect(wf.jobs.report.needs).toBe("drift");
    const home = join(tmp, "gha-home");
    mkdirSync(home);
    copyFileSync(PRIVATE_KEY, join(home, "fleet_key")); // what the "SSH key" step writes from the secret
    const env = { ...wf.env, PLAYBOOK: SITE, INVENTORY, HOME: home, PATH: process.env.PATH!, npm_config_update_notifier: "false" };
    const expand = (text: string, ctx: Record<string, string>) => {
      const out = text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (all, k: string) => ctx[k] ?? all);
      expect(out, `unexpanded expression in ${text}`).not.toContain("${{");
      return out;
    };
    const bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]; // GitHub's `shell: bash`
    /** A fresh runner: a checkout with keel as its dev dependency (npx finds it, nothing is fetched). */
    const runner = (name: string) => {
      const d = join(tmp, name);
      mkdirSync(join(d, "node_modules", ".bin"), { recursive: true });
      symlinkSync(KEEL_BIN, join(d, "node_modules", ".bin", "keel"));
      return d;
    };
    const globRe = (g: string) =>
      new RegExp(
        `^${g
          .replace(/[.+^$()|[\]\\]/g, "\\$&")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, ".")}$`,
      );
    const artifacts = join(tmp, "gha-artifacts");
    for (const shard of shards) {
      const ctx = { "matrix.shard": String(shard), "strategy.job-total": String(shards.length) };
      const d = runner(`gha-shard-${shard}`);
      const keelSteps = wf.jobs.drift.steps.filter((s) => s.run?.includes("keel "));
      expect(keelSteps).toHaveLength(1);
      const r = await sh(expand(keelSteps[0]!.run!, ctx), { cwd: d, env, shell: bash });
      expect(r.code, `shard ${shard}: ${r.stdout}\n${r.stderr}`).toBe(0);
      const up = wf.jobs.drift.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))!;
      const name = expand(String(up.with!.name), ctx);
      const re = globRe(expand(String(up.with!.path), ctx));
      const files = readdirSync(d).filter((f) => re.test(f));
      expect(files.sort()).toEqual([`drift-${shard}.json`, `drift-${shard}.xml`]);
      mkdirSync(join(artifacts, name), { recursive: true });
      for (const f of files) copyFileSync(join(d, f), join(artifacts, name, f));
    }
    // The report job: download (pattern, merge-multiple into `path`), then the merge step.
    const d = runner("gha-report");
    const down = wf.jobs.report.steps.find((s) => s.uses?.startsWith("actions/download-artifact"))!;
    expect(down.with!["merge-multiple"]).toBe(true);
    const into = join(d, String(down.with!.path));
    mkdirSync(into);
    const pattern = globRe(String(down.with!.pattern));
    for (const a of readdirSync(artifacts).filter((x) => pattern.test(x)))
      for (const f of readdirSync(join(artifacts, a))) copyFileSync(join(artifacts, a, f), join(into, f));
    expect(readdirSync(into)).toHaveLength(2 * shards.length);
    const summary = join(tmp, "gha-summary.md");
    writeFileSync(summary, "");
    const mergeSteps = wf.jobs.report.steps.filter((s) => s.run?.includes("keel "));
    expect(mergeSteps).toHaveLength(1);
    const r = await sh(expand(mergeSteps[0]!.run!, {}), { cwd: d, env: { ...env, GITHUB_STEP_SUMMARY: summary }, shell: bash });
    expect(r.code, r.stderr).toBe(2); // drift fails the job, after the reports are written
    const merged = JSON.parse(readFileSync(join(d, "merged/drift.json"), "utf8")) as Report;
    expect(comparable(merged)).toEqual(comparable(single));
    expect(readFileSync(summary, "utf8")).toContain("keel-shard-example.conf");
    // The last upload (if: always()) names the merged HTML and JUnit reports.
    const ups = wf.jobs.report.steps.filter((s) => s.uses?.startsWith("actions/upload-artifact"));
    const upload = ups[ups.length - 1]!;
    expect((upload as { if?: string }).if).toBe("always()");
    const uploaded = readdirSync(join(d, String(upload.with!.path)));
    expect(uploaded).toEqual(expect.arrayContaining(["drift.html", "drift.xml", "drift.json"]));
    expect(readFileSync(join(d, "merged/drift.html"), "utf8")).toContain("keel-shard-example.conf");
    // The merged JUnit holds every host, as the unsharded run's does.
    const junit = readFileSync(join(d, "merged/drift.xml"), "utf8");
    for (const h of single.hosts) expect(junit).toContain(h.host);
    // A shard whose job failed before uploading: the merge step refuses rather than leave its hosts out.
    rmSync(join(into, "drift-3.json"));
    const partial = await sh(expand(mergeSteps[0]!.run!, {}), { cwd: d, env: { ...env, GITHUB_STEP_SUMMARY: summary }, shell: bash });
    expect(partial.code, partial.stderr).toBe(1);
    expect(partial.stderr).toContain("shard report 3/4 missing");
  }, 240_000);
});
