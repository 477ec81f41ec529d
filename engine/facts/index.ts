// Facts: gathered in one probe per host (one round trip) and cached for the run by the runner.
import type { Connection } from "../core/connection.js";
import { EMPTY_FACTS, type Facts } from "../core/facts.js";
import { CommandError, ModuleError } from "../core/errors.js";
import { factsProbeFor, type FactsOptions } from "./probe.js";

export { factsProbe, factsProbeFor, parseFacts, FACTS_SCRIPT, type FactsOptions } from "./probe.js";
export { resolveSubsets, GATHER_SUBSETS, ansibleCollectors, collectorOf, probeSubsets, COLLECTOR_FACTS } from "./subsets.js";
export { ansibleFactVars } from "./ansible.js";
export { factNeeds, type FactNeeds } from "./needs.js";

/**
 * The facts probe's options for a play on a host: its gather_subset and the host's
 * ansible_python_interpreter; keelOnly when the run reads no fact but keel's own (needs.ts).
 */
export function factsOptions(play: { gatherSubset?: string[] }, hostVars: Record<string, unknown>, keelOnly = false): FactsOptions {
  const py = givenInterpreter(hostVars);
  return {
    ...(play.gatherSubset ? { subset: play.gatherSubset } : {}),
    ...(py !== undefined ? { python: py } : {}),
    ...(keelOnly ? { keelOnly } : {}),
  };
}

/** The host's ansible_python_interpreter when it names one: then nothing is discovered, as in Ansible. */
function givenInterpreter(hostVars: Record<string, unknown>): string | undefined {
  const py = hostVars.ansible_python_interpreter;
  // a templated interpreter ("{{ ansible_playbook_python }}") is the controller's: discovery decides then
  return typeof py === "string" && py !== "" && !py.includes("{{") && !py.startsWith("auto") ? py : undefined;
}

/**
 * A host's facts before (or without) gathering: empty, but for the interpreter its inventory
 * gives, which a later `setup` task uses instead of discovering one (Ansible reports no
 * discovered_interpreter_python then).
 */
export function factsBeforeGathering(hostVars: Record<string, unknown>): Facts {
  const py = givenInterpreter(hostVars);
  return py !== undefined ? { ...EMPTY_FACTS, python_interpreter: py } : EMPTY_FACTS;
}

/** Runs the facts probe on the host: exactly one round trip. */
export async function gatherFacts(conn: Connection, become?: { user: string; password?: string }, opts: FactsOptions = {}): Promise<Facts> {
  const probe = factsProbeFor(opts);
  const r = await conn.exec(become ? { command: probe.script, become } : { command: probe.script });
  // The script ends with `exit 0`; anything else means it did not run (no POSIX sh, out of memory…).
  if (r.rc !== 0)
    throw new CommandError(
      "gather facts",
      r.rc,
      r.stdout,
      r.stderr,
      `gathering facts on ${conn.host} failed with exit code ${r.rc}: ${r.stderr.trim().split("\n")[0] ?? ""}`,
    );
  const facts = probe.parse(r.stdout, r.rc);
  // a local fact ConfigParser cannot interpolate fails Ansible's gathering too (engine/facts/local.ts)
  if (typeof facts.local_error === "string") throw new ModuleError(`local facts: ${facts.local_error}`);
  return facts;
}
