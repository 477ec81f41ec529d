// Fault loop (issue 10, "keep them closed"): a 14-task `keel run` over real SSH against a SCRATCH
// lab host, with a fault injected at a random point of the run: sshd killed (listener and session,
// SIGKILL), the link cut (packets dropped), sshd stopped (SIGSTOP), or the disk filled (the files
// live on a small tmpfs mounted in the scratch host only; a filler file takes its free space). After each faulty run, and
// after the recovery run that follows it, checked from outside keel (nsenter):
// - every file is either its previous content or its new content, never a mix or a truncation;
// - the exit code is 0 (the fault came too late to matter), 4 (the host was unreachable) or 2 (or
//   failed), never 1 or an internal error, and when it is 0 every file is new;
// - every task the JSON report calls ok/changed really left its file new;
// - the recovery run exits 0 with every file new, and no `.keel-tmp-*` remains in the directory.
// The loop is bounded in count (ROUNDS) and time (BUDGET_MS); the random points come from a fixed
// seed, so a failure can be replayed. Each round's fault is printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cutLink, describeLab, hostExec, keel, restoreLink, startScratchHost, startSshd, stopScratchHost, type ScratchHost } from "./lab.js";

// The first four rounds inject each fault once, whatever the time; later rounds (random points
// again) run only while the budget lasts, so the loop stays bounded (about a minute) in CI.
const ROUNDS = 8;
const BUDGET_MS = 60_000;
const TASKS = 14;
const DIR = "/root/keel-fault";
const SEED = 0x5eed;

let h: ScratchHost;
let work: string;

/** A small deterministic PRNG (mulberry32), so the fault points replay from SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Content of file i at generation g: large enough that writes take a moment. */
const content = (g: number, i: number) => `generation ${g} file ${i}\n` + `${g}:${i}:`.repeat(40_000) + "\nend\n";
const digest = (s: string) => createHash("sha256").update(s).digest("hex");

const playbook = () =>
  `- hosts: all\n  gather_facts: false\n  tasks:\n` +
  `    - file: { path: ${DIR}, state: directory }\n` +
  Array.from(
    { length: TASKS - 1 },
    (_, i) => `    - name: write f${i}\n      copy: { dest: ${DIR}/f${i}, content: "{{ lookup_gen }}" }\n      vars: { lookup_gen: "{{ gens[${i}] }}" }\n`,
  ).join("");

/** Files as the host has them: name -> sha256 ("missing" when absent), and keel temp entries. */
async function hostState(): Promise<{ files: Record<string, string>; temps: string[] }> {
  const r = await hostExec(
    h,
    `cd ${DIR} 2>/dev/null || exit 0; for f in f*; do [ -f "$f" ] && printf '%s %s\\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)"; done; ls -a | grep '^\\.keel-tmp-' | sed 's/^/TMP /' || true`,
  );
  const files: Record<string, string> = {};
  const temps: string[] = [];
  for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
    const [a, b] = line.split(" ");
    if (a === "TMP") temps.push(b!);
    else files[a!] = b!;
  }
  return { files, temps };
}

async function runGen(
  g: number,
  tag: string,
): Promise<{ code: number; stderr: string; report: { events?: { type: string; task?: { name: string }; result?: { status: string } }[] } | undefined }> {
  const vars = join(work, `vars-${tag}.json`);
  writeFileSync(vars, JSON.stringify({ gens: Array.from({ length: TASKS - 1 }, (_, i) => content(g, i)) }));
  const json = join(work, `report-${tag}.json`);
  const r = await keel(
    ["run", join(work, "pb.yml"), "-i", h.inventory, "-e", `@${vars}`, "--json", json, "-T", "3", "--command-timeout", "4", "--host-timeout", "15"],
    { timeoutMs: 90_000 },
  );
  let report;
  try {
    report = JSON.parse(readFileSync(json, "utf8"));
  } catch {
    report = undefined;
  }
  return { code: r.code, stderr: r.stderr, report };
}

type Fault = "kill-sshd" | "cut-link" | "stop-sshd" | "fill-disk";

async function inject(f: Fault): Promise<() => Promise<void>> {
  switch (f) {
    case "kill-sshd":
      await hostExec(h, "pkill -KILL -x sshd || true");
      return async () => {
        await startSshd(h);
      };
    case "cut-link":
      await cutLink(h);
      return async () => {
        await restoreLink(h);
      };
    case "stop-sshd":
      await hostExec(h, "pkill -STOP -x sshd || true");
      return async () => {
        await hostExec(h, "pkill -CONT -x sshd || true");
      };
    case "fill-disk":
      await hostExec(h, `dd if=/dev/zero of=${DIR}/.filler bs=64k 2>/dev/null || true`);
      return async () => {
        await hostExec(h, `rm -f ${DIR}/.filler`);
      };
  }
}

describeLab("fault loop: kill sshd, cut the link, SIGSTOP sshd, fill the disk at random points of a 14-task run", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "keel-e2e-fault-"));
    writeFileSync(join(work, "pb.yml"), playbook());
    h = await startScratchHost();
    // the destination folder is a small tmpfs of this scratch host (its own mount namespace)
    await hostExec(h, `mkdir -p ${DIR} && mount -t tmpfs -o size=6m keel-fault ${DIR}`);
  });
  afterAll(async () => {
    if (h) {
      await hostExec(h, "pkill -CONT -x sshd || true").catch(() => {});
      await restoreLink(h).catch(() => {});
      await stopScratchHost(h);
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("each file is old or new, exit codes and statuses are right, no keel temp file after the next run", async () => {
    const rnd = prng(SEED);
    const t0 = Date.now();
    // generation 0: a clean baseline
    const base = await runGen(0, "g0");
    expect(base.code, base.stderr).toBe(0);
    let rounds = 0;
    const faults: Fault[] = ["kill-sshd", "cut-link", "stop-sshd", "fill-disk"];
    for (let g = 1; g <= ROUNDS && (g <= faults.length || Date.now() - t0 < BUDGET_MS); g++) {
      const fault = faults[(g - 1) % faults.length]!;
      const delay = Math.floor(rnd() * 1500);
      const old = Array.from({ length: TASKS - 1 }, (_, i) => digest(content(g - 1, i)));
      const neu = Array.from({ length: TASKS - 1 }, (_, i) => digest(content(g, i)));
      const running = runGen(g, `g${g}`);
      await new Promise((r) => setTimeout(r, delay));
      const restore = await inject(fault);
      const r = await running;
      await restore();
      console.log(`fault round ${g}: ${fault} after ${delay} ms -> exit ${r.code}`);
      expect(r.stderr).not.toMatch(/internal error/);
      expect([0, 2, 4], r.stderr).toContain(r.code);

      const after = await hostState();
      for (let i = 0; i < TASKS - 1; i++) {
        const got = after.files[`f${i}`];
        expect([old[i], neu[i]], `round ${g} (${fault}): f${i} is neither old nor new`).toContain(got);
        if (r.code === 0) expect(got, `round ${g}: exit 0 but f${i} is not new`).toBe(neu[i]);
      }
      // a task reported ok/changed left its file new
      for (const e of r.report?.events ?? []) {
        if (e.type !== "task.result" || !e.task?.name.startsWith("write f")) continue;
        const i = Number(e.task.name.slice("write f".length));
        if (e.result?.status === "ok" || e.result?.status === "changed")
          expect(after.files[`f${i}`], `round ${g}: ${e.task.name} says ${e.result.status}`).toBe(neu[i]);
      }

      // the next run, without a fault, converges and leaves no keel temp behind
      const rec = await runGen(g, `g${g}-again`);
      expect(rec.code, rec.stderr).toBe(0);
      const clean = await hostState();
      for (let i = 0; i < TASKS - 1; i++) expect(clean.files[`f${i}`]).toBe(neu[i]);
      expect(clean.temps, `round ${g}: keel temp left after the next run`).toEqual([]);
      rounds++;
    }
    console.log(`fault loop: ${rounds} rounds in ${Math.round((Date.now() - t0) / 1000)} s (seed ${SEED})`);
    expect(rounds).toBeGreaterThanOrEqual(faults.length);
  }, 420_000);
});
