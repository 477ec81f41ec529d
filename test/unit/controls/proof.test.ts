// The new-login proof after an sshd/PAM change (modules/hardening/proof.ts): which failures it
// waits out and which are final.
import { describe, it, expect } from "vitest";
import { proveNewLogin } from "../../../modules/hardening/proof.js";
import { ConnectionError, type ConnectionFailure } from "../../../engine/core/errors.js";
import type { Host } from "../../../engine/core/module.js";

/** A host whose new connections fail with the given failures, then succeed. */
function host(failures: ConnectionFailure[]): { host: Host; attempts: () => number } {
  let n = 0;
  const h = {
    name: "web1",
    probeNewConnection: (): Promise<void> => {
      const f = failures[n++];
      return f ? Promise.reject(new ConnectionError(`failure ${f}`, f, "web1")) : Promise.resolve();
    },
  } as unknown as Host;
  return { host: h, attempts: () => n };
}

describe("proveNewLogin", () => {
  it("waits out sshd re-executing after SIGHUP: refused, then reset during the handshake, then a login", async () => {
    const h = host(["refused", "lost"]);
    const p = await proveNewLogin(h.host, 5_000);
    expect(p.ok).toBe(true);
    expect(h.attempts()).toBe(3);
  });
  it("an authentication or host-key failure is final at once (sshd answered and refused)", async () => {
    for (const f of ["auth", "hostkey"] as const) {
      const h = host([f]);
      const p = await proveNewLogin(h.host, 5_000);
      expect(p).toMatchObject({ ok: false, failure: f });
      expect(h.attempts()).toBe(1);
    }
  });
  it("keeps failing until the deadline: not proven", async () => {
    const h = host(Array<ConnectionFailure>(100).fill("lost"));
    const p = await proveNewLogin(h.host, 1_500);
    expect(p).toMatchObject({ ok: false, failure: "lost" });
  });
});
