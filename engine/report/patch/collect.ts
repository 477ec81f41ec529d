// Collecting the patch report: per host, connect, gather facts (one round trip), run the patch
// probe of its package manager (one round trip), parse. Read-only: nothing on a host changes.
import pLimit from "p-limit";
import type { HostSpec } from "../../core/host.js";
import { ConnectionError, KeelError } from "../../core/errors.js";
import { gatherFacts } from "../../facts/index.js";
import { connectHost, type ConnectSettings } from "../../run/connect.js";
import { Deadline } from "../../run/deadline.js";
import { patchBackend } from "../../../modules/patches/backends.js";
import type { HostOutcome } from "./model.js";

export interface CollectOptions extends ConnectSettings {
  forks: number;
  /** Run facts and the probe through sudo: as this user, or as the host's become settings when absent. */
  become?: (spec: HostSpec) => { user: string; password?: string } | undefined;
  /** The per-host deadline (--host-timeout), ms; 0 or absent: none. */
  hostTimeoutMs?: number;
  /** Called as each host finishes (progress). */
  onHost?: (o: HostOutcome) => void;
}

export async function collectPatchState(specs: HostSpec[], o: CollectOptions): Promise<HostOutcome[]> {
  const limit = pLimit(Math.max(1, o.forks));
  return Promise.all(
    specs.map((spec) =>
      limit(async (): Promise<HostOutcome> => {
        const t0 = Date.now();
        let rt = 0;
        let out: HostOutcome;
        const deadline = new Deadline(spec.name, o.hostTimeoutMs);
        deadline.arm();
        let conn: Awaited<ReturnType<typeof connectHost>> | undefined;
        try {
          out = await deadline.race(async () => {
            conn = await connectHost(spec, o);
            const become = o.become?.(spec);
            const facts = await gatherFacts(conn, become);
            const be = patchBackend(facts);
            const r = await conn.exec(become ? { command: be.probeScript(), become } : { command: be.probeScript() });
            rt = conn.roundTrips;
            const os = facts.os_pretty || `${facts.os_id} ${facts.os_version}`.trim();
            return { host: spec.name, state: be.parse(r.stdout, r.rc), os, durationMs: Date.now() - t0, roundTrips: rt };
          });
        } catch (e) {
          if (!(e instanceof KeelError)) throw e;
          rt = conn?.roundTrips ?? rt;
          const msg = e instanceof ConnectionError ? `${e.failure === "hostkey" ? "" : `${e.failure}: `}${e.message}` : e.message;
          out = { host: spec.name, error: msg, failure: e instanceof ConnectionError ? e.failure : "probe", durationMs: Date.now() - t0, roundTrips: rt };
        } finally {
          deadline.clear();
          void conn?.close().catch(() => undefined);
        }
        o.onHost?.(out);
        return out;
      }),
    ),
  );
}
