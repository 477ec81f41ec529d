// The algorithm lists keel offers over SSH, with and without ssh2's native crypto binding.
import { describe, expect, it } from "vitest";
import { chooseAlgorithms, ssh2Capabilities, sshAlgorithms, type Ssh2Capabilities } from "../../../engine/transport/ssh-algorithms.js";

/** ssh2 1.17's SUPPORTED_* lists on an OpenSSL 3 Node (everything it implements). */
const FULL: Ssh2Capabilities["supported"] = {
  kex: [
    "curve25519-sha256@libssh.org",
    "curve25519-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group15-sha512",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group17-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group1-sha1",
  ],
  cipher: [
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "chacha20-poly1305@openssh.com",
    "aes256-ctr",
    "aes256-cbc",
    "3des-cbc",
    "arcfour",
  ],
  hmac: [
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
    "hmac-md5",
    "hmac-sha1-96",
  ],
};

const KEX = [
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "diffie-hellman-group-exchange-sha256",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group18-sha512",
  "diffie-hellman-group14-sha256",
];
const MACS = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"];

describe("chooseAlgorithms", () => {
  it("with the native binding: OpenSSH's client defaults, chacha20-poly1305 first", () => {
    expect(chooseAlgorithms({ binding: true, supported: FULL })).toEqual({
      kex: KEX,
      cipher: ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"],
      hmac: MACS,
      compress: ["none"],
    });
  });

  it("without the binding: AES-GCM, then AES-CTR (Node's OpenSSL), chacha20-poly1305 (JS/wasm) last", () => {
    expect(chooseAlgorithms({ binding: false, supported: FULL })).toEqual({
      kex: KEX,
      cipher: ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com"],
      hmac: MACS,
      compress: ["none"],
    });
  });

  it("never offers what OpenSSH no longer offers by default, even when ssh2 supports it", () => {
    for (const binding of [true, false]) {
      const a = chooseAlgorithms({ binding, supported: FULL });
      const all = [...a.kex, ...a.cipher, ...a.hmac];
      for (const weak of [
        "diffie-hellman-group1-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group-exchange-sha1",
        "diffie-hellman-group15-sha512",
        "aes256-cbc",
        "3des-cbc",
        "arcfour",
        "hmac-md5",
        "hmac-sha1-96",
      ]) {
        expect(all).not.toContain(weak);
      }
      expect(a.compress).toEqual(["none"]);
    }
  });

  it("leaves out what this ssh2 or this OpenSSL cannot do (no curve25519, no chacha20)", () => {
    const a = chooseAlgorithms({
      binding: false,
      supported: { ...FULL, kex: FULL.kex.filter((k) => !k.startsWith("curve25519")), cipher: FULL.cipher.filter((c) => !c.startsWith("chacha20")) },
    });
    expect(a.kex[0]).toBe("ecdh-sha2-nistp256");
    expect(a.cipher).toEqual(["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"]);
  });
});

describe("in this process", () => {
  it("reads ssh2's real capabilities and offers only algorithms it supports", () => {
    const cap = ssh2Capabilities();
    expect(typeof cap.binding).toBe("boolean");
    const a = sshAlgorithms();
    expect(a).toEqual(chooseAlgorithms(cap));
    for (const c of a.cipher) expect(cap.supported.cipher).toContain(c);
    for (const k of a.kex) expect(cap.supported.kex).toContain(k);
    for (const m of a.hmac) expect(cap.supported.hmac).toContain(m);
    expect(a.cipher[0]).toBe(cap.binding ? "chacha20-poly1305@openssh.com" : "aes128-gcm@openssh.com");
  });
});
