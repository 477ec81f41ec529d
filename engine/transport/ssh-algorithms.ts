// The SSH algorithms keel offers: OpenSSH's client defaults (9.x: `ssh -G host`), restricted to
// what ssh2 implements, with one deliberate change in cipher order.
//
// ssh2 runs chacha20-poly1305 in its native binding (C, built by node-gyp at install time) when
// that binding exists; without it, chacha20-poly1305 falls back to JavaScript and WebAssembly
// (a cipher object per packet plus Poly1305 in wasm), which costs several times the CPU of
// AES-GCM and AES-CTR, both of which Node's own OpenSSL runs natively (AES-NI) either way. So:
// - binding built: OpenSSH's cipher order, chacha20-poly1305 first;
// - binding missing: AES-GCM, then AES-CTR, then chacha20-poly1305 last (still offered, for
//   servers that allow nothing else).
// The server picks the first algorithm of the CLIENT's list it also supports, so this order is
// what a stock OpenSSH server ends up using.
import { createRequire } from "node:module";
import type { Implemented } from "./algorithm-options.js";

export interface SshAlgorithms {
  kex: string[];
  cipher: string[];
  hmac: string[];
  compress: string[];
}

/** OpenSSH 9.x client defaults, minus what ssh2 does not implement (sntrup761, umac). */
export const OPENSSH_KEX = [
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
export const OPENSSH_CIPHERS = ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"];
/** Ciphers Node's crypto runs natively, fastest first: GCM is one pass for cipher and MAC. */
export const NATIVE_FIRST_CIPHERS = [
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
  "chacha20-poly1305@openssh.com",
];
export const OPENSSH_MACS = [
  "hmac-sha2-256-etm@openssh.com",
  "hmac-sha2-512-etm@openssh.com",
  "hmac-sha1-etm@openssh.com",
  "hmac-sha2-256",
  "hmac-sha2-512",
  "hmac-sha1",
];
/** OpenSSH's `Compression no`. */
export const OPENSSH_COMPRESSION = ["none"];

export interface Ssh2Capabilities {
  /** ssh2's native crypto binding (lib/protocol/crypto/build/Release/sshcrypto.node) loaded. */
  binding: boolean;
  /** What this ssh2 and this Node's OpenSSL can do (ssh2's SUPPORTED_* lists). */
  supported: { kex: string[]; cipher: string[]; hmac: string[] };
}

/** The lists to offer, given what ssh2 can do here. Pure. */
export function chooseAlgorithms(cap: Ssh2Capabilities): SshAlgorithms {
  const only = (want: string[], have: string[]) => want.filter((a) => have.includes(a));
  return {
    kex: only(OPENSSH_KEX, cap.supported.kex),
    cipher: only(cap.binding ? OPENSSH_CIPHERS : NATIVE_FIRST_CIPHERS, cap.supported.cipher),
    hmac: only(OPENSSH_MACS, cap.supported.hmac),
    compress: OPENSSH_COMPRESSION,
  };
}

/** ssh2's capabilities in this process, read from its own modules (no public API exposes them). */
export function ssh2Capabilities(): Ssh2Capabilities {
  const req = createRequire(import.meta.url);
  const constants = req("ssh2/lib/protocol/constants.js") as { SUPPORTED_KEX: string[]; SUPPORTED_CIPHER: string[]; SUPPORTED_MAC: string[] };
  const crypto = req("ssh2/lib/protocol/crypto.js") as { bindingAvailable: boolean };
  return {
    binding: crypto.bindingAvailable === true,
    supported: { kex: constants.SUPPORTED_KEX, cipher: constants.SUPPORTED_CIPHER, hmac: constants.SUPPORTED_MAC },
  };
}

let cached: SshAlgorithms | undefined;

/** The algorithms every connection of this process offers (computed once). */
export function sshAlgorithms(): SshAlgorithms {
  return (cached ??= chooseAlgorithms(ssh2Capabilities()));
}

/** Key types keel's client signs with (ssh2: the key's own type; RSA as rsa-sha2-* or ssh-rsa). */
export const PUBKEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

let implemented: Implemented | undefined;

/** Everything keel's client can negotiate, per algorithm option (ssh2's SUPPORTED_* lists, keel's key types). */
export function implementedAlgorithms(): Implemented {
  if (implemented) return implemented;
  const req = createRequire(import.meta.url);
  const c = req("ssh2/lib/protocol/constants.js") as { SUPPORTED_SERVER_HOST_KEY: string[] };
  const cap = ssh2Capabilities().supported;
  return (implemented = { cipher: cap.cipher, kex: cap.kex, hmac: cap.hmac, serverHostKey: c.SUPPORTED_SERVER_HOST_KEY, pubkey: PUBKEY_ALGORITHMS });
}
