// How many programs a converged drift makes a host exec (each fork+exec costs the host about a
// millisecond, on every host of every run: on a machine where the hosts share the controller's
// cores, most of drift's cost). Counted, not timed: `strace -f -e trace=execve` attached to a
// scratch host's sshd (test/bench/execs.ts counts the same way), for the bench playbook
// (test/bench/fixtures/site.yml) once the host is converged. "keel's shell" is everything after
// the login shell's `exec sh`: the facts probe, the probe batch and what their snippets start.
// docs/benchmarks.md ("Execs per host") has the figures and what each program is for.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { SITE } from "../bench/ansible.js";
import { countExecs, sshdPid, traced, waitIdle } from "../bench/execs.js";
import { describeLab, keel, useScratchHost } from "./lab.js";

/** keel's shell execs per converged drift of the bench playbook: 41 before session 12 (main 0470671), 22 after; 18 in session 13 (the facts' one `ip -batch`, the primary group by gid from the batch's one `getent group`, apt's index age from the batch's one stat). */
const CEILING = 18;
/** Processes keel's shell created in that drift (forks, exec or not): 51 at the start of session 13 (main 8825856), 41 after it. */
const PROCESS_CEILING = 41;

describeLab("execs per host (strace on a scratch host's sshd)", () => {
  const host = useScratchHost();

  it(`a converged drift of the bench playbook runs at most ${CEILING} programs and ${PROCESS_CEILING} processes in keel's shell`, async () => {
    const h = host();
    const args = ["-i", h.inventory, "-f", "1"];
    const first = await keel(["run", SITE, ...args], { timeoutMs: 240_000 });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const pid = sshdPid(h.name);
    await waitIdle([pid]);
    const work = mkdtempSync(join(tmpdir(), "keel-execs-e2e-"));
    try {
      let code = -1;
      const [log] = await traced([pid], work, async () => {
        code = (await keel(["drift", SITE, "--no-history", "-q", ...args], { timeoutMs: 120_000 })).code;
      });
      expect(code).toBe(0);
      const c = countExecs(log!);
      // the session (sshd's re-exec, PAM, the login shell) happened, and keel's shell ran
      expect(c.session).toBeGreaterThan(0);
      expect(c.probe, JSON.stringify(c.byProgram)).toBeGreaterThan(0);
      expect(c.probe, JSON.stringify(c.byProgram)).toBeLessThanOrEqual(CEILING);
      expect(c.forks).toBeGreaterThanOrEqual(c.probe);
      expect(c.forks).toBeLessThanOrEqual(PROCESS_CEILING);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 400_000);
});
