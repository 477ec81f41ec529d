// Facts: gathered in one probe per host (one round trip) and cached for the run by the runner.
import type { Connection } from "../core/connection.js";
import type { Facts } from "../core/facts.js";
import { CommandError } from "../core/errors.js";
import { factsProbe } from "./probe.js";

export { factsProbe, parseFacts, FACTS_SCRIPT } from "./probe.js";
export { ansibleFactVars } from "./ansible.js";

/** Runs the facts probe on the host: exactly one round trip. */
export async function gatherFacts(conn: Connection, become?: { user: string; password?: string }): Promise<Facts> {
  const r = await conn.exec(become ? { command: factsProbe.script, become } : { command: factsProbe.script });
  // The script ends with `exit 0`; anything else means it did not run (no POSIX sh, out of memory…).
  if (r.rc !== 0)
    throw new CommandError(
      "gather facts",
      r.rc,
      r.stdout,
      r.stderr,
      `gathering facts on ${conn.host} failed with exit code ${r.rc}: ${r.stderr.trim().split("\n")[0] ?? ""}`,
    );
  return factsProbe.parse(r.stdout, r.rc);
}
