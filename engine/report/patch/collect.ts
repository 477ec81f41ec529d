// Collecting the patch report: per host, connect, gather facts (one round trip), run the patch
// probe of its package manager (one round trip), parse. Read-only: nothing on a host changes.
import pLimit from "p-limit";
import type { HostSpec } from "../../core/host.js";
import { ConnectionError, KeelError } from "../../core/errors.js";
import { gatherFacts } from "../../facts/index.js";
import { connectHost, type ConnectSettings } from "../../run/connect.js";
import { patchBackend } from "../../../modules/patches/backends.js";
import type { HostOutcome } from "./model.js";

export interface CollectOptions extends ConnectSettings {
  forks: number;
  /** Run the probe through sudo as this user. */
  become?: { user: string; password?: string };
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
        try {
          const conn = await connectHost(spec, o);
          try {
            const facts = await gatherFacts(conn);
            const be = patchBackend(facts);
            const r = await conn.exec({ command: be.probeScript(), become: o.become ?? (spec.become ? { user: spec.becomeUser, password: spec.becomePassword } : undefined) });
            rt = conn.roundTrips;
            const os = facts.os_pretty || `${facts.os_id} ${facts.os_version}`.trim();
            out = { host: spec.name, state: be.parse(r.stdout, r.rc), os, durationMs: Date.now() - t0, roundTrips: rt };
          } finally {
            rt = conn.roundTrips;
            await conn.close().catch(() => undefined);
          }
        } catch (e) {
          if (!(e instanceof KeelError)) throw e;
          const msg = e instanceof ConnectionError ? `${e.failure === "hostkey" ? "host key mismatch" : e.failure}: ${e.message}` : e.message;
          out = { host: spec.name, error: msg, failure: e instanceof ConnectionError ? e.failure : "probe", durationMs: Date.now() - t0, roundTrips: rt };
        }
        o.onHost?.(out);
        return out;
      }),
    ),
  );
}
