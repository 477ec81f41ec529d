// How connection failures are named (the e2e test produces the real ones it can on loopback).
import { describe, it, expect } from "vitest";
import { classifyConnectError } from "../../../engine/transport/ssh.js";

const ctx = { host: "lab01", where: "lab01 (198.18.0.11:22)", user: "root", tried: "publickey /root/.ssh/id_ed25519, ssh-agent", timeoutMs: 10000 };
const err = (message: string, props: Record<string, string>) => Object.assign(new Error(message), props);

describe("classifyConnectError", () => {
  it.each([
    [
      err("All configured authentication methods failed", { level: "client-authentication" }),
      "auth",
      /authentication failed for root@lab01 \(198\.18\.0\.11:22\) \(tried: publickey/,
    ],
    [err("Timed out while waiting for handshake", { level: "client-timeout" }), "timeout", /timed out after 10000 ms connecting to lab01/],
    [err("connect ETIMEDOUT", { code: "ETIMEDOUT", level: "client-socket" }), "timeout", /timed out/],
    [
      err("connect ECONNREFUSED 198.18.0.11:22", { code: "ECONNREFUSED", level: "client-socket" }),
      "refused",
      /connection refused by lab01 \(198\.18\.0\.11:22\)/,
    ],
    [err("getaddrinfo ENOTFOUND lab01", { code: "ENOTFOUND", level: "client-socket" }), "dns", /cannot resolve the address of lab01/],
    [err("connect EHOSTUNREACH", { code: "EHOSTUNREACH" }), "other", /no route to lab01/],
    [err("read ECONNRESET", { code: "ECONNRESET" }), "lost", /reset during the SSH handshake/],
    [err("something odd", {}), "other", /cannot connect to lab01 \(198\.18\.0\.11:22\): something odd/],
  ])("%s", (e, failure, message) => {
    const c = classifyConnectError(e, ctx);
    expect(c.failure).toBe(failure);
    expect(c.message).toMatch(message);
    expect(c.host).toBe("lab01");
  });
});
