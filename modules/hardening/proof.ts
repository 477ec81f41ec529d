// The proof after a change that can cut access (sshd, PAM): a NEW login as keel logs in works.
// Host.probeNewConnection opens a second connection and runs a command on it. sshd stops
// listening for a moment while it re-executes after SIGHUP, so a refused connection is retried
// until the deadline, and so is one reset during the handshake (a connection that was waiting in
// the backlog of the listening socket sshd closed to re-execute); any other failure is final (an authentication or host-key failure means sshd
// answered and refused the login; a timeout already waited). Each attempt may use all the time left:
// on a loaded machine (50 lab hosts on 2 cores, load 100) a sound handshake took over 5 s, and a
// proof that gives up early restores a good configuration and fails the host for nothing.
import type { Host } from "../../engine/core/module.js";
import { ConnectionError, type ConnectionFailure } from "../../engine/core/errors.js";

export interface Proof {
  ok: boolean;
  detail: string;
  failure?: ConnectionFailure;
}

export async function proveNewLogin(host: Host, timeoutMs = 30_000): Promise<Proof> {
  if (!host.probeNewConnection) return { ok: false, detail: "this connection cannot open a second one to prove a login", failure: "other" };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    try {
      await host.probeNewConnection(Math.max(1000, left));
      return { ok: true, detail: `a new SSH connection to ${host.name} works` };
    } catch (e) {
      const err = e instanceof ConnectionError ? e : new ConnectionError(e instanceof Error ? e.message : String(e), "other", host.name);
      if ((err.failure !== "refused" && err.failure !== "lost") || Date.now() + 300 >= deadline)
        return { ok: false, detail: `a new SSH connection to ${host.name} failed: ${err.message}`, failure: err.failure };
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
