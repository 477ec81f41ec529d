// Pipelined applies change nothing but the number of round trips (DESIGN.md, "Pipelined applies").
// Two fresh scratch hosts start identical; every e2e fixture playbook (and the shipped baseline) runs
// on both, pipelined on one (default) and sequentially on the other (KEEL_PIPELINE=0), in the same
// order (a few also a second, converged run and a check-mode run). The event
// streams of the JSON reports, the exit codes and the recaps must be the same once timings, round
// trips and the hosts' own names and addresses are taken out. The pipelined first runs must also
// cost fewer round trips in total.
//
// Not run here (each has its own e2e suite): playbooks that cut the host's link or stop its sshd
// (firewall/cut.yml, firewall/lockout-ssh-drop.yml, reboot/*), that need a password login or a
// become password set up on the host (auth/*), that only wait (slow.yml), that are rejected at
// load before any host is touched (firewall/bad-*.yml, raw-bad.yml), or that need a second process
// holding the dpkg lock (system/pkg-lock.yml).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BASELINE_VARS } from "../bench/baseline.js";
import { describeLab, hostExec, keel, ROOT, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";

interface Case {
  file: string;
  args?: string[];
  /** Also a second (converged) run and a --check --diff run after the first. */
  again?: boolean;
}

const SYS = "test/e2e/fixtures/system";
const CASES: Case[] = [
  { file: "playbooks/baseline.yml", args: ["-e", BASELINE_VARS], again: true },
  { file: "test/e2e/fixtures/site.yml", args: ["-e", "root=/var/tmp/keel-eq"], again: true },
  { file: "test/e2e/fixtures/roles-defaults/site.yml", args: ["-e", "out_dir=/var/tmp"] },
  { file: `${SYS}/pkg-install.yml` },
  { file: `${SYS}/pkg-latest.yml` },
  { file: `${SYS}/pkg-list.yml` },
  { file: `${SYS}/pkg-absent.yml` },
  { file: `${SYS}/svc-install.yml` },
  { file: `${SYS}/svc-started.yml` },
  { file: `${SYS}/svc-state.yml`, args: ["-e", "svc_state=stopped"] },
  { file: `${SYS}/svc-handler.yml`, args: ["-e", "greeting=eq"] },
  { file: `${SYS}/svc-unknown.yml` },
  { file: `${SYS}/sysctl-net.yml`, again: true },
  { file: `${SYS}/sysctl-kernel.yml` },
  { file: `${SYS}/sysctl-override.yml` },
  { file: `${SYS}/hostname.yml`, args: ["-e", "new_name=keel-eq-renamed"] },
  { file: `${SYS}/facts-assert.yml`, args: ["-e", "want=Linux"] },
  { file: `${SYS}/facts-assert.yml`, args: ["-e", "want=Plan9"] },
  { file: "test/e2e/fixtures/extra/cron.yml" },
  { file: "test/e2e/fixtures/extra/cron-absent.yml" },
  { file: "test/e2e/fixtures/patches/upgrade.yml" },
];

let dir = "";
let a: ScratchHost | undefined;
let b: ScratchHost | undefined;
let n = 0;

interface Outcome {
  code: number;
  events: unknown[];
  recap: string;
  roundTrips: number;
}

/** Run one playbook on one host; pipelined or not. */
async function run(h: ScratchHost, c: Case, pipeline: boolean, extra: string[]): Promise<Outcome> {
  const json = join(dir, `${++n}.json`);
  const r = await keel(["run", join(ROOT, c.file), "-i", h.inventory, "--json", json, ...(c.args ?? []), ...extra], {
    env: { KEEL_PIPELINE: pipeline ? "1" : "0" },
    timeoutMs: 300_000,
  });
  let rep: { events: unknown[]; summary: { round_trips: Record<string, number> } };
  try {
    rep = JSON.parse(readFileSync(json, "utf8"));
  } catch {
    throw new Error(`${c.file}: keel wrote no JSON report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const recap = r.stdout
    .split("\n")
    .filter((l) => l.startsWith(h.name + " "))
    .join("\n");
  return {
    code: r.code,
    events: normalise(rep.events, h),
    recap: scrub(recap, h).replace(/round_trips=\d+/, "round_trips=N"),
    roundTrips: rep.summary.round_trips[h.name] ?? 0,
  };
}

/** The host's own name and address replaced; fields that measure time or round trips dropped. */
function scrub(text: string, h: ScratchHost): string {
  return text.split(h.name).join("HOST").split(h.address).join("ADDR");
}

const DROP = Symbol("drop");
const VOLATILE = new Set(["durationMs", "duration_ms", "time", "ts", "roundTrips", "round_trips", "start", "end", "delta"]);

/**
 * Also out: digests (of contents that name the host), backup file names (they hold the time) and
 * apt's download progress lines (their order varies from run to run).
 */
function normalise(events: unknown[], h: ScratchHost): unknown[] {
  const text = (v: string) =>
    scrub(v, h)
      .replace(/\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~/g, ".BACKUP~")
      .replace(/\b[0-9a-f]{64}\b/g, "SHA256")
      .replace(/\b[0-9a-f]{12}…/g, "SHA256…")
      .replace(/^(Get|Ign|Hit):\d+ .*\n/gm, "");
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return /^(Get|Ign|Hit):\d+ [^\n]*$/.test(v) ? DROP : text(v);
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== DROP);
    if (v && typeof v === "object") {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!VOLATILE.has(k)) o[scrub(k, h)] = walk(x);
      return o;
    }
    return v;
  };
  // facts describe the host (addresses, keys, uptime…): only their presence is compared
  return events.map((e) => ((e as { type?: string }).type === "host.facts" ? { type: "host.facts" } : walk(e)));
}

describeLab("pipelined applies: the same events as a sequential run, on every e2e playbook", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-pipeline-eq-"));
    [a, b] = await Promise.all([startScratchHost(), startScratchHost()]);
    // lab hosts start with empty apt lists (a real fleet has them)
    await Promise.all([a, b].map((h) => hostExec(h.name, "apt-get -qq update >/dev/null", { timeoutMs: 300_000 })));
  }, 600_000);

  afterAll(async () => {
    for (const h of [a, b]) if (h) await stopScratchHost(h).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every playbook gives the same events both ways", async () => {
    let piped = 0;
    let sequential = 0;
    for (const c of CASES) {
      const modes: [string, string[]][] = c.again
        ? [
            ["first run", []],
            ["second run", []],
            ["check mode", ["--check", "--diff"]],
          ]
        : [["first run", []]];
      for (const [what, extra] of modes) {
        const [p, s] = await Promise.all([run(a!, c, true, extra), run(b!, c, false, extra)]);
        const label = `${c.file} ${(c.args ?? []).join(" ")} (${what})`;
        expect({ code: p.code, recap: p.recap, events: p.events }, label).toEqual({ code: s.code, recap: s.recap, events: s.events });
        if (what === "first run") {
          piped += p.roundTrips;
          sequential += s.roundTrips;
        }
      }
    }
    console.log(`pipeline equivalence: ${CASES.length} playbooks; first-run round trips ${piped} pipelined vs ${sequential} sequential`);
    expect(piped).toBeLessThan(sequential);
  }, 900_000);
});
