// The sharding examples as files (examples/k8s-indexed-job, examples/github-actions-matrix): every
// key is one the Kubernetes Job API or GitHub's workflow syntax knows at its place, the parts that
// must agree do (volumes and mounts, shard counts, the user the image runs as and the modes of what
// it reads, the artifact actions' inputs, the expressions' contexts), and the merged HTML and JUnit
// reports are uploaded. test/e2e/shard-examples.test.ts runs their scripts against lab hosts.
// The key lists are the APIs' (Kubernetes batch/v1 Job, core/v1 PodSpec and Container; GitHub
// workflow syntax; actions/upload-artifact@v4 and download-artifact@v4 inputs), not this file's needs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const ROOT = join(import.meta.dirname, "../../..");
const read = (rel: string) => readFileSync(join(ROOT, rel), "utf8");
type Obj = Record<string, unknown>;
const obj = (v: unknown, where: string): Obj => {
  expect(v !== null && typeof v === "object" && !Array.isArray(v), `${where} is a mapping`).toBe(true);
  return v as Obj;
};
const list = (v: unknown, where: string): unknown[] => {
  expect(Array.isArray(v), `${where} is a list`).toBe(true);
  return v as unknown[];
};
function onlyKeys(o: Obj, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) expect(allowed, `${where}: unknown key '${k}'`).toContain(k);
}

const JOB_SPEC = [
  "activeDeadlineSeconds",
  "backoffLimit",
  "backoffLimitPerIndex",
  "completionMode",
  "completions",
  "managedBy",
  "manualSelector",
  "maxFailedIndexes",
  "parallelism",
  "podFailurePolicy",
  "podReplacementPolicy",
  "selector",
  "successPolicy",
  "suspend",
  "template",
  "ttlSecondsAfterFinished",
];
const POD_SPEC = [
  "activeDeadlineSeconds",
  "affinity",
  "automountServiceAccountToken",
  "containers",
  "dnsConfig",
  "dnsPolicy",
  "enableServiceLinks",
  "hostAliases",
  "hostNetwork",
  "imagePullSecrets",
  "initContainers",
  "nodeName",
  "nodeSelector",
  "priorityClassName",
  "restartPolicy",
  "securityContext",
  "serviceAccountName",
  "terminationGracePeriodSeconds",
  "tolerations",
  "topologySpreadConstraints",
  "volumes",
];
const CONTAINER = [
  "args",
  "command",
  "env",
  "envFrom",
  "image",
  "imagePullPolicy",
  "lifecycle",
  "livenessProbe",
  "name",
  "ports",
  "readinessProbe",
  "resources",
  "securityContext",
  "startupProbe",
  "stdin",
  "stdinOnce",
  "terminationMessagePath",
  "terminationMessagePolicy",
  "tty",
  "volumeDevices",
  "volumeMounts",
  "workingDir",
];
const POD_SECURITY = ["fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot", "runAsUser", "seccompProfile", "supplementalGroups", "sysctls"];

interface Pod {
  spec: Obj;
  containers: Obj[];
  volumes: Map<string, Obj>;
}

/** A batch/v1 Job checked key by key; its pod template's parts returned. */
function checkJob(rel: string): { job: Obj; spec: Obj; pod: Pod } {
  // Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): 0440 is octal there.
  const job = obj(parseYaml(read(rel), { version: "1.1" }), rel);
  onlyKeys(job, ["apiVersion", "kind", "metadata", "spec"], rel);
  expect(job.apiVersion, rel).toBe("batch/v1");
  expect(job.kind, rel).toBe("Job");
  expect(obj(job.metadata, `${rel} metadata`).name, `${rel} metadata.name`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  const spec = obj(job.spec, `${rel} spec`);
  onlyKeys(spec, JOB_SPEC, `${rel} spec`);
  const tpl = obj(spec.template, `${rel} spec.template`);
  onlyKeys(tpl, ["metadata", "spec"], `${rel} spec.template`);
  const ps = obj(tpl.spec, `${rel} pod spec`);
  onlyKeys(ps, POD_SPEC, `${rel} pod spec`);
  // A Job's pods may not restart Always; per-index retries count failed pods (Never).
  expect(["Never", "OnFailure"], `${rel} restartPolicy`).toContain(ps.restartPolicy);
  if (ps.securityContext !== undefined) onlyKeys(obj(ps.securityContext, `${rel} securityContext`), POD_SECURITY, `${rel} securityContext`);
  const volumes = new Map<string, Obj>();
  for (const v of list(ps.volumes ?? [], `${rel} volumes`)) {
    const o = obj(v, `${rel} volume`);
    const sources = Object.keys(o).filter((k) => k !== "name");
    expect(sources, `${rel} volume ${String(o.name)}: exactly one source`).toHaveLength(1);
    expect(["configMap", "secret", "persistentVolumeClaim", "emptyDir"], `${rel} volume ${String(o.name)}`).toContain(sources[0]);
    volumes.set(String(o.name), o);
  }
  const containers = list(ps.containers, `${rel} containers`).map((c, i) => obj(c, `${rel} container ${i}`));
  expect(containers.length, rel).toBeGreaterThan(0);
  const mounted = new Set<string>();
  for (const c of containers) {
    onlyKeys(c, CONTAINER, `${rel} container ${String(c.name)}`);
    expect(typeof c.image, `${rel} image`).toBe("string");
    for (const k of ["command", "args"]) for (const w of list(c[k] ?? [], `${rel} ${k}`)) expect(typeof w, `${rel} ${k}`).toBe("string");
    for (const e of list(c.env ?? [], `${rel} env`)) {
      const o = obj(e, `${rel} env`);
      onlyKeys(o, ["name", "value", "valueFrom"], `${rel} env`);
      expect(typeof o.value, `${rel} env ${String(o.name)}: a string (quote numbers)`).toBe("string");
    }
    for (const m of list(c.volumeMounts ?? [], `${rel} volumeMounts`)) {
      const o = obj(m, `${rel} volumeMount`);
      onlyKeys(o, ["mountPath", "name", "readOnly", "subPath", "subPathExpr", "mountPropagation", "recursiveReadOnly"], `${rel} volumeMount`);
      expect([...volumes.keys()], `${rel}: mount of an undeclared volume`).toContain(o.name);
      mounted.add(String(o.name));
    }
  }
  expect([...mounted].sort(), `${rel}: every volume is mounted`).toEqual([...volumes.keys()].sort());
  return { job, spec, pod: { spec: ps, containers, volumes } };
}

const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value]));
const mountOf = (c: Obj, volume: string) => (c.volumeMounts as Obj[]).find((m) => m.name === volume)?.mountPath;

describe("examples/k8s-indexed-job as Kubernetes manifests", () => {
  const drift = checkJob("examples/k8s-indexed-job/drift-job.yaml");
  const merge = checkJob("examples/k8s-indexed-job/merge-job.yaml");

  it("an Indexed Job of N completions, N in parallel, SHARDS = N in both Jobs; per-index retries", () => {
    const s = drift.spec;
    expect(s.completionMode).toBe("Indexed");
    expect(Number.isInteger(s.completions) && (s.completions as number) > 1).toBe(true);
    expect(s.parallelism).toBe(s.completions);
    // backoffLimitPerIndex and maxFailedIndexes are for Indexed Jobs only; at most `completions` failed indexes
    if (s.maxFailedIndexes !== undefined) {
      expect(s.backoffLimitPerIndex).toBeDefined();
      expect(s.maxFailedIndexes as number).toBeLessThanOrEqual(s.completions as number);
    }
    expect(envOf(drift.pod.containers[0]!).SHARDS).toBe(String(s.completions));
    expect(envOf(merge.pod.containers[0]!).SHARDS).toBe(String(s.completions));
    // the shard comes from the index Kubernetes sets, never from a fixed value
    expect((drift.pod.containers[0]!.args as string[]).join("\n")).toMatch(/\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/);
  });

  it("both Jobs share the image and the results volume, mounted where RESULTS says", () => {
    const [d, m] = [drift.pod, merge.pod];
    expect(m.containers[0]!.image).toBe(d.containers[0]!.image);
    const claim = (p: Pod) => (obj(p.volumes.get("results"), "results volume").persistentVolumeClaim as Obj).claimName;
    expect(claim(m)).toBe(claim(d));
    for (const p of [d, m]) expect(mountOf(p.containers[0]!, "results")).toBe(envOf(p.containers[0]!).RESULTS);
    const dc = d.containers[0]!;
    for (const [v, env] of [
      ["config", "PLAYBOOK"],
      ["config", "INVENTORY"],
      ["ssh", "SSH_KEY"],
    ] as const)
      expect(String(envOf(dc)[env]).startsWith(`${String(mountOf(dc, v))}/`), `${env} lies in the ${v} volume`).toBe(true);
  });

  it("the user the image runs as can read the SSH key and write the results", () => {
    const user = /^USER\s+(\S+)/m.exec(read("examples/k8s-indexed-job/Dockerfile"))?.[1];
    expect(user).toBe("node"); // uid 1000 in the node images
    for (const { pod } of [drift, merge]) {
      const sc = obj(pod.spec.securityContext, "securityContext");
      expect(sc).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
    }
    const secret = obj(drift.pod.volumes.get("ssh")!.secret, "ssh secret");
    const mode = secret.defaultMode as number;
    // files of a Secret volume are owned by root, group fsGroup: the group must read, nobody else
    expect(mode & 0o040, `defaultMode ${mode.toString(8)}: group read`).toBe(0o040);
    expect(mode & 0o007, `defaultMode ${mode.toString(8)}: nothing for others`).toBe(0);
    expect(mode & 0o022, `defaultMode ${mode.toString(8)}: read-only`).toBe(0);
  });
});

const JOB_KEYS = [
  "concurrency",
  "container",
  "continue-on-error",
  "defaults",
  "env",
  "environment",
  "if",
  "name",
  "needs",
  "outputs",
  "permissions",
  "runs-on",
  "secrets",
  "services",
  "steps",
  "strategy",
  "timeout-minutes",
  "uses",
  "with",
];
const STEP_KEYS = ["continue-on-error", "env", "id", "if", "name", "run", "shell", "timeout-minutes", "uses", "with", "working-directory"];
const INPUTS: Record<string, string[]> = {
  "actions/upload-artifact@v4": ["compression-level", "if-no-files-found", "include-hidden-files", "name", "overwrite", "path", "retention-days"],
  "actions/download-artifact@v4": ["github-token", "merge-multiple", "name", "path", "pattern", "repository", "run-id"],
  "actions/checkout@v4": ["fetch-depth", "path", "ref", "repository", "token"],
  "actions/setup-node@v4": [
    "always-auth",
    "architecture",
    "cache",
    "cache-dependency-path",
    "check-latest",
    "node-version",
    "node-version-file",
    "registry-url",
    "scope",
  ],
};

describe("examples/github-actions-matrix/drift.yml as a GitHub Actions workflow", () => {
  const text = read("examples/github-actions-matrix/drift.yml");
  const wf = obj(parseYaml(text), "workflow");

  it("every key is one the workflow syntax knows at its place; steps use known actions with their inputs", () => {
    onlyKeys(wf, ["concurrency", "defaults", "env", "jobs", "name", "on", "permissions", "run-name"], "workflow");
    const on = obj(wf.on, "on");
    onlyKeys(on, ["schedule", "workflow_dispatch", "push", "pull_request"], "on");
    for (const s of list(on.schedule, "on.schedule")) expect(String(obj(s, "schedule").cron).split(/\s+/)).toHaveLength(5);
    for (const [name, j] of Object.entries(obj(wf.jobs, "jobs"))) {
      const job = obj(j, name);
      onlyKeys(job, JOB_KEYS, `job ${name}`);
      expect(typeof job["runs-on"], `job ${name} runs-on`).toBe("string");
      if (job.strategy !== undefined) onlyKeys(obj(job.strategy, "strategy"), ["fail-fast", "matrix", "max-parallel"], `job ${name} strategy`);
      if (job.needs !== undefined) expect(Object.keys(obj(wf.jobs, "jobs")), `job ${name} needs`).toContain(job.needs);
      for (const st of list(job.steps, `job ${name} steps`)) {
        const step = obj(st, `job ${name} step`);
        onlyKeys(step, STEP_KEYS, `job ${name} step ${String(step.name ?? step.uses)}`);
        expect("run" in step !== "uses" in step, `job ${name} step ${String(step.name)}: either run or uses`).toBe(true);
        if (typeof step.uses === "string") {
          expect(Object.keys(INPUTS), `job ${name}: an action this test knows`).toContain(step.uses);
          if (step.with !== undefined) onlyKeys(obj(step.with, "with"), INPUTS[step.uses]!, `job ${name} ${step.uses} with`);
        }
      }
    }
  });

  it("expressions name only contexts the job has (its matrix keys, strategy, secrets, status functions)", () => {
    const jobs = obj(wf.jobs, "jobs");
    for (const [name, j] of Object.entries(jobs)) {
      const job = obj(j, name);
      const matrix = job.strategy ? Object.keys(obj(obj(job.strategy, "strategy").matrix, "matrix")) : [];
      const body = JSON.stringify(job);
      for (const m of body.matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)) {
        const e = m[1]!;
        const ok = /^matrix\.([\w-]+)$/.test(e)
          ? matrix.includes(e.slice(7))
          : /^(strategy\.(job-total|job-index)|secrets\.[A-Z_][A-Z0-9_]*|github\.[\w.]+)$/.test(e);
        expect(ok, `job ${name}: \${{ ${e} }}`).toBe(true);
      }
      if (job.if !== undefined) expect(["always()", "success()", "failure()", "!cancelled()"], `job ${name} if`).toContain(job.if);
    }
  });

  it("N shard jobs, each uploading its JSON and JUnit; the report job merges all of them and uploads the merged HTML and JUnit", () => {
    const jobs = obj(wf.jobs, "jobs");
    const drift = obj(jobs.drift, "drift");
    const shards = obj(obj(drift.strategy, "strategy").matrix, "matrix").shard as number[];
    expect(shards).toEqual(Array.from({ length: shards.length }, (_, i) => i + 1));
    expect(obj(drift.strategy, "strategy")["fail-fast"]).toBe(false);
    const steps = (j: Obj) => list(j.steps, "steps").map((s) => obj(s, "step"));
    const run = steps(drift).find((s) => String(s.run ?? "").includes("keel drift"))!;
    expect(String(run.run)).toContain("--shard ${{ matrix.shard }}/${{ strategy.job-total }}");
    const up = steps(drift).find((s) => s.uses === "actions/upload-artifact@v4")!;
    expect(up.if).toBe("always()");
    const report = obj(jobs.report, "report");
    expect(report.needs).toBe("drift");
    expect(report.if).toBe("always()");
    const down = steps(report).find((s) => s.uses === "actions/download-artifact@v4")!;
    const pattern = String(obj(down.with, "with").pattern);
    // the download pattern matches every shard's artifact name
    const re = new RegExp(`^${pattern.replace(/[.+^$()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    for (const k of shards) expect(String(obj(up.with, "with").name).replace("${{ matrix.shard }}", String(k))).toMatch(re);
    const merge = String(steps(report).find((s) => String(s.run ?? "").includes("keel report merge"))!.run);
    const out = [...merge.matchAll(/-o (\w+):(\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(out.map(([f]) => f).sort()).toEqual(["html", "json", "junit"]);
    const last = steps(report)
      .filter((s) => s.uses === "actions/upload-artifact@v4")
      .pop()!;
    expect(last.if).toBe("always()"); // uploaded also when the merge step fails on drift
    const dir = String(obj(last.with, "with").path).replace(/\/$/, "");
    for (const [, file] of out) expect(file.startsWith(`${dir}/`), `${file} is in the uploaded ${dir}/`).toBe(true);
  });
});
