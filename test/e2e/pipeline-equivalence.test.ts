// Pipelined applies change nothing but the number of round trips (DESIGN.md, "Pipelined applies").
// Two fresh scratch hosts start identical; every e2e fixture playbook and every shipped playbook runs
// on both, pipelined on one (default) and sequentially on the other (KEEL_PIPELINE=0), in the same
// order (a few also a second, converged run and a check-mode run). The event streams of the JSON
// reports, the exit codes and the recaps must be the same once timings, round trips and the hosts'
// own names and addresses are taken out. The pipelined first runs must also cost fewer round trips.
//
// The playbooks are DISCOVERED (every .yml under test/e2e/fixtures outside roles/, and playbooks/),
// not listed: a new fixture joins this test by itself, with the variables of ARGS when it needs
// some. The few that cannot run here are in EXCLUDED, each with the reason and the suite that runs
// it; the first test (no lab needed) fails when a discovered playbook is neither run nor excluded,
// or when ARGS or EXCLUDED name a file that no longer exists.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASELINE_VARS } from "../bench/baseline.js";
import { describeLab, hostExec, keel, ROOT, startScratchHost, stopScratchHost, type ScratchHost } from "./lab.js";

interface Case {
  file: string;
  args?: string[];
  /** Also a second (converged) run and a --check --diff run after the first. */
  again?: boolean;
}

/** Runs of a playbook that needs variables (or a second and check-mode run); in this order. */
const ARGS: Record<string, Omit<Case, "file">[]> = {
  "playbooks/baseline.yml": [{ args: ["-e", BASELINE_VARS], again: true }],
  "playbooks/firewall.yml": [{ again: true }],
  "test/e2e/fixtures/site.yml": [{ args: ["-e", "root=/var/tmp/keel-eq"], again: true }],
  "test/e2e/fixtures/roles-defaults/site.yml": [{ args: ["-e", "out_dir=/var/tmp"] }],
  "test/e2e/fixtures/system/svc-state.yml": [{ args: ["-e", "svc_state=stopped"] }],
  "test/e2e/fixtures/system/svc-handler.yml": [{ args: ["-e", "greeting=eq"] }],
  "test/e2e/fixtures/system/sysctl-net.yml": [{ again: true }],
  "test/e2e/fixtures/system/hostname.yml": [{ args: ["-e", "new_name=keel-eq-renamed"] }],
  "test/e2e/fixtures/system/facts-assert.yml": [{ args: ["-e", "want=Linux"] }, { args: ["-e", "want=Plan9"] }],
  "test/e2e/fixtures/extra/files-attrs.yml": [{ again: true }],
  "test/e2e/fixtures/extra/mount.yml": [{ args: ["-e", "want=mounted", "-e", "size=1m"] }, { args: ["-e", "want=absent", "-e", "size=1m"] }],
  "test/e2e/fixtures/extra/pam-limits.yml": [{ args: ["-e", "nofile=4096"] }],
  "test/e2e/fixtures/extra/pamd.yml": [{ args: ["-e", "rule=umask"] }],
  "test/e2e/fixtures/extra/sshd-restart.yml": [{ args: ["-e", "root_login=no"] }, { args: ["-e", "root_login=prohibit-password"] }],
  "test/e2e/fixtures/extra/timezone.yml": [{ args: ["-e", "zone=Europe/Paris"] }],
  "test/e2e/fixtures/extra/mods-hostname.yml": [{ args: ["-e", "want=keel-eq-named", "-e", "strategy=debian"] }],
};

/** Playbooks not run here: why, and where they are tested. */
const EXCLUDED: Record<string, string> = {
  "playbooks/harden.yml": "minutes per run (AIDE hashes the whole disk): harden.test.ts",
  "playbooks/patch.yml": "reboots hosts that need it, strategy linear (nothing pipelined): patches.test.ts",
  "test/e2e/fixtures/auth/become-slow.yml": "needs a password login and a become password set up on the host: auth.test.ts",
  "test/e2e/fixtures/auth/become.yml": "needs a password login and a become password set up on the host: auth.test.ts",
  "test/e2e/fixtures/auth/login.yml": "needs a password login set up on the host: auth.test.ts",
  "test/e2e/fixtures/extra/get-url.yml": "needs the HTTP server its suite serves on the bridge: files-extra.test.ts",
  "test/e2e/fixtures/extra/uri.yml": "needs the HTTP server its suite serves on the bridge: rolemods.test.ts",
  "test/e2e/fixtures/extra/pip.yml": "needs the package index its suite serves on the bridge: rolemods.test.ts",
  "test/e2e/fixtures/extra/mods-tempfile.yml": "random file names (tempfile) differ between any two runs: mods-args.test.ts",
  "test/e2e/fixtures/firewall/bad-action.yml": "rejected at load, no host touched: firewall.test.ts",
  "test/e2e/fixtures/firewall/bad-cidr.yml": "rejected at load, no host touched: firewall.test.ts",
  "test/e2e/fixtures/firewall/bad-port.yml": "rejected at load, no host touched: firewall.test.ts",
  "test/e2e/fixtures/firewall/bad-ufw.yml": "rejected at load, no host touched: firewall.test.ts",
  "test/e2e/fixtures/firewall/raw-bad.yml": "rejected at load, no host touched: firewall.test.ts",
  "test/e2e/fixtures/firewall/cut.yml": "cuts the host's link on purpose: firewall.test.ts",
  "test/e2e/fixtures/firewall/lockout-ssh-drop.yml": "drops SSH on purpose (the guard's test): firewall.test.ts",
  "test/e2e/fixtures/firewall/ufw-deny-ssh.yml": "denies SSH on purpose (the guard's test): firewall.test.ts",
  "test/e2e/fixtures/placement/predict.yml": "names lab01 (hosts: lab01), not a scratch host: placement.test.ts",
  "test/e2e/fixtures/placement/site.yml": "names lab01 and lab02 and delegates between them: placement.test.ts",
  "test/e2e/fixtures/reboot/reboot-halt.yml": "reboots the host: reboot.test.ts",
  "test/e2e/fixtures/reboot/reboot.yml": "reboots the host: reboot.test.ts",
  "test/e2e/fixtures/slow.yml": "only waits (the deadline tests): run.test.ts",
  "test/e2e/fixtures/system/pkg-lock.yml": "needs a second process holding the dpkg lock: system-modules.test.ts",
};

/** Every playbook file of the e2e fixtures (role folders are not playbooks) and of playbooks/, repo-relative. */
function discover(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        if (e !== "roles") walk(p);
      } else if (e.endsWith(".yml")) out.push(relative(ROOT, p));
    }
  };
  // the shipped playbooks first: the baseline's first run is then on a fresh host
  walk(join(ROOT, "playbooks"));
  walk(join(ROOT, "test/e2e/fixtures"));
  return out;
}

const PLAYBOOKS = discover();
const CASES: Case[] = PLAYBOOKS.filter((f) => !(f in EXCLUDED)).flatMap((file) => (ARGS[file] ?? [{}]).map((c) => ({ file, ...c })));
/** KEEL_EQ_ONLY=REGEX runs only the matching playbooks (while working on one; CI runs them all). */
const ONLY = process.env.KEEL_EQ_ONLY ? new RegExp(process.env.KEEL_EQ_ONLY) : undefined;
const RUN = ONLY ? CASES.filter((c) => ONLY.test(c.file)) : CASES;

describe("pipeline equivalence: which playbooks", () => {
  it("runs every discovered playbook not excluded with a reason; ARGS and EXCLUDED name existing files", () => {
    expect(PLAYBOOKS.length).toBeGreaterThan(40);
    for (const f of [...Object.keys(ARGS), ...Object.keys(EXCLUDED)]) expect(PLAYBOOKS, `${f} no longer exists`).toContain(f);
    for (const f of Object.keys(ARGS)) expect(EXCLUDED[f], `${f} is both run and excluded`).toBeUndefined();
    for (const f of PLAYBOOKS) expect(f in EXCLUDED || CASES.some((c) => c.file === f), f).toBe(true);
  });
});

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
 * Also out: digests (of contents that name the host), backup file names (they hold the time), the
 * times a file had when the run found it, durations in messages, and apt's download progress lines (their order varies).
 */
function normalise(events: unknown[], h: ScratchHost): unknown[] {
  const text = (v: string) =>
    scrub(v, h)
      .replace(/\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~/g, ".BACKUP~")
      .replace(/\b[0-9a-f]{64}\b/g, "SHA256")
      .replace(/\b[0-9a-f]{12}…/g, "SHA256…")
      // a file's own times as the host read them (the run's clock, not the playbook's values)
      .replace(/\b(mtime|atime) \d+\.\d+/g, "$1 T")
      .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "TIME")
      // how long something took, in a message ("a new SSH connection worked (256 ms)")
      .replace(/\b\d+(\.\d+)? ?ms\b/g, "N ms")
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
    for (const c of RUN) {
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
    console.log(
      `pipeline equivalence: ${new Set(RUN.map((c) => c.file)).size} playbooks, ${RUN.length} cases; first-run round trips ${piped} pipelined vs ${sequential} sequential`,
    );
    if (!ONLY) expect(piped).toBeLessThan(sequential);
  }, 900_000);
});
