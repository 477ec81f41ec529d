// End to end on lab01..03 with the real `keel run` (issue 15 #3, #9, #12): delegate_to an inventory
// host and the implicit localhost, run_once, environment through sudo, play-level connection: local;
// --check on a host where nothing exists yet predicts instead of failing; --list-hosts against the
// lab inventory. Paths on the hosts are unique to this run (/tmp/keel-e2e-play-<random>); on the
// controller only a temporary folder is written.
import { mkdtempSync, readFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import { describeLab, hostExec, INVENTORY, keel, ROOT } from "./lab.js";

const FIX = join(ROOT, "test/e2e/fixtures/placement");
const tag = `keel-e2e-play-${randomBytes(4).toString("hex")}`;
const out = mkdtempSync(join(tmpdir(), "keel-e2e-play-"));
const SECRET = "b-value-42";

interface Report {
  events: { type: string; host: string; task?: { name: string }; result?: { status: string; msg?: string; changes: { summary: string }[] } }[];
  summary: { failed: string[]; unreachable: string[]; hosts: Record<string, { changed: number; failed: number }> };
}

async function run(pb: string, ...extra: string[]): Promise<{ code: number; out: string; report: Report }> {
  const json = join(out, `r-${randomBytes(3).toString("hex")}.json`);
  const r = await keel([
    "run",
    join(FIX, pb),
    "-i",
    INVENTORY,
    "-e",
    `outdir=${out}`,
    "-e",
    `tag=${tag}`,
    "-e",
    `secret_b=${SECRET}`,
    "--json",
    json,
    ...extra,
  ]);
  const text = `${r.stdout}\n${r.stderr}`;
  if (!existsSync(json)) throw new Error(`no JSON report (exit ${r.code}):\n${text}`);
  return { code: r.code, out: text, report: JSON.parse(readFileSync(json, "utf8")) as Report };
}

const on = async (h: string, cmd: string) => (await hostExec(h, cmd, { check: false })).stdout;

describeLab("controller-side keywords on lab hosts", () => {
  afterAll(async () => {
    for (const h of ["lab01", "lab02", "lab03"]) await hostExec(h, `rm -rf /tmp/${tag}`, { check: false });
    rmSync(out, { recursive: true, force: true });
  });

  it("delegate_to, run_once, environment and connection: local do what Ansible's do; a second run changes nothing", async () => {
    const r = await run("site.yml");
    expect(r.code, r.out).toBe(0);
    // delegate_to: localhost writes on the controller, with the delegating host's variables
    expect(readFileSync(join(out, "from-lab01"), "utf8")).toBe("lab01\n");
    expect(readFileSync(join(out, "from-lab02"), "utf8")).toBe("lab02\n");
    // delegate_to: lab03 writes on lab03; ansible_facts stay the delegating host's
    expect(await on("lab03", `cat /tmp/${tag}/from-lab01 /tmp/${tag}/from-lab02`)).toBe("lab01\nlab02\n");
    // environment: play and task layers merged, through sudo; the value never shows in the report
    expect(await on("lab01", `cat /tmp/${tag}/env`)).toBe(`play-lab01|${SECRET}\n`);
    expect(await on("lab02", `cat /tmp/${tag}/env`)).toBe(`play-lab02|${SECRET}\n`);
    expect(JSON.stringify(r.report.events)).not.toContain(SECRET);
    // run_once: one host of the two ran it, both registered its result
    const once = [await on("lab01", `cat /tmp/${tag}/once 2>/dev/null`), await on("lab02", `cat /tmp/${tag}/once 2>/dev/null`)];
    expect(once.filter(Boolean)).toHaveLength(1);
    expect(await on("lab01", `cat /tmp/${tag}/saw-once`)).toBe("True\n");
    expect(await on("lab02", `cat /tmp/${tag}/saw-once`)).toBe("True\n");
    // connection: local: the play ran on the controller as lab01
    expect(readFileSync(join(out, "local-lab01"), "utf8")).toBe("lab01\n");
    expect(await on("lab01", `ls ${out} 2>/dev/null; true`)).toBe("");

    const again = await run("site.yml");
    expect(again.code, again.out).toBe(0);
    // only run_once's copy (and what reads its result) may change again: the second run may pick the other host
    const changed = again.report.events.filter((e) => e.type === "task.result" && e.result!.status === "changed").map((e) => e.task!.name);
    expect(changed.filter((n) => n !== "once" && n !== "everyone saw once")).toEqual([]);
    expect(
      readdirSync(out)
        .filter((f) => !f.endsWith(".json"))
        .sort(),
    ).toEqual(["from-lab01", "from-lab02", "local-lab01"]);
  });

  it("--check on a fresh path predicts every task, fails none; after the real run, no drift", async () => {
    const c = await run("predict.yml", "--check");
    expect(c.code, c.out).toBe(0);
    const st = (name: string) => c.report.events.find((e) => e.type === "task.result" && e.task!.name === name)!.result!;
    expect(st("app dir").status).toBe("changed");
    expect(st("app conf").status).toBe("changed");
    expect(st("app conf").changes[0]!.summary).toMatch(
      new RegExp(`in /tmp/${tag}/app/conf, a directory that task 'app dir' \\(.*predict\\.yml:\\d+\\) creates`),
    );
    expect(st("read it").status).toBe("ok"); // changed_when: false; check mode did not run it
    expect(st("uses it").status).toBe("unknown");
    expect(st("uses it").msg).toMatch(/reads 'conf', the result of task 'read it'/);
    expect(await on("lab01", `ls /tmp/${tag}/app 2>&1 || true`)).toMatch(/No such file/);

    const real = await run("predict.yml");
    expect(real.code, real.out).toBe(0);
    expect(await on("lab01", `cat /tmp/${tag}/app/copy.conf`)).toBe("port = 80\n");
    const d = await keel(["drift", join(FIX, "predict.yml"), "-i", INVENTORY, "-e", `tag=${tag}`, "--limit", "lab01", "--no-history"]);
    expect(d.code, d.stdout + d.stderr).toBe(0);
  });

  it("--list-hosts names the lab hosts of each play without touching them", async () => {
    const r = await keel(["run", join(FIX, "site.yml"), "-i", INVENTORY, "--list-hosts"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("  play #1 (lab01:lab02): placement\tTAGS: []\n    pattern: ['lab01:lab02']\n    hosts (2):\n      lab01\n      lab02\n");
    expect(r.stdout).toContain("  play #2 (lab01): local play\tTAGS: []\n    pattern: ['lab01']\n    hosts (1):\n      lab01\n");
  });
});
