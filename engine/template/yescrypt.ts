// password_hash('yescrypt'): the `$y$` hashes of libxcrypt's crypt(3), the default of Debian 12 and
// most current distributions. No npm package computes them: the ones named yescrypt are native or
// WebAssembly builds of older yescrypt revisions for cryptocurrency mining, without the `$y$`
// encoding. So keel implements yescrypt 1.x as specified by its reference implementation
// (openwall/yescrypt, yescrypt-ref.c and yescrypt-common.c), in the one mode crypt(3) uses
// (YESCRYPT_DEFAULTS: pwxform with 6 rounds, gather 4, simple 2, 12 KiB S-boxes; p = 1, no ROM),
// on node:crypto's SHA-256, HMAC and PBKDF2. Checked byte for byte against libxcrypt in
// test/unit/template/yescrypt.test.ts and verified by a lab host's crypt(3) in test/compat/crypt.test.ts.
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { ExprEvalError } from "./errors.js";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** YESCRYPT_DEFAULTS = RW | ROUNDS_6 | GATHER_4 | SIMPLE_2 | SBOX_12K; its `$y$` flavor is 'j'. */
const FLAVOR = "j";
const SBOX_WORDS = 3072; // 3 S-boxes of 256 entries of 2 x 64-bit words
const SMASK = 4080; // ((1 << 8) - 1) * PWXsimple * 8

/** libxcrypt's cost (crypt_gensalt's count, `mkpasswd -R`): 1..11, default 5 — N and r. */
export function yescryptParams(cost = 5): { nLog2: number; r: number } {
  if (!Number.isInteger(cost) || cost < 1 || cost > 11) throw new RangeError(`yescrypt cost must be 1 to 11, got ${cost}`);
  if (cost <= 2) return { nLog2: 9 + cost, r: 8 };
  return { nLog2: cost + 7, r: 32 };
}

/** The `$y$` setting for a cost and a salt (already in yescrypt's base-64). */
export function yescryptSetting(cost: number, salt: string): string {
  const { nLog2, r } = yescryptParams(cost);
  return `$y$${FLAVOR}${encodeUint(nLog2, 1)}${encodeUint(r, 1)}$${salt}`;
}

/** crypt(3) of `password` with a `$y$` setting made by yescryptSetting: the full hash string. */
export function yescryptHash(password: string, setting: string): string {
  const m = /^\$y\$j([./0-9A-Za-z])([./0-9A-Za-z])\$([./0-9A-Za-z]*)$/.exec(setting);
  if (!m) throw new RangeError(`not a yescrypt setting keel computes: ${setting}`);
  const N = 2 ** decodeUint(m[1]!, 1);
  const r = decodeUint(m[2]!, 1);
  const salt = decode64(m[3]!);
  if (!salt) throw new RangeError(`invalid yescrypt salt '${m[3]}'`);
  let pw: Buffer = Buffer.from(password, "utf8");
  // yescrypt_kdf: a large enough N first hashes the password with N/64 (the "pre-hash")
  if (N >= 0x100 && N * r >= 0x20000) pw = kdf(pw, salt, N / 64, r, true);
  return `${setting}$${encode64(kdf(pw, salt, N, r, false))}`;
}

/** yescrypt_kdf_body for p = 1, t = 0, YESCRYPT_DEFAULTS (plus PREHASH for the pre-hash pass); 32 bytes. */
function kdf(password: Buffer, salt: Buffer, N: number, r: number, prehash: boolean): Buffer {
  const s = 32 * r;
  let passwd = createHmac("sha256", prehash ? "yescrypt-prehash" : "yescrypt")
    .update(password)
    .digest();
  const Bbuf = pbkdf2Sync(passwd, salt, 1, 128 * r, "sha256");
  const B = words(Bbuf);
  passwd = Buffer.from(Bbuf.subarray(0, 32));
  const V = new Uint32Array(s * N);
  const XY = new Uint32Array(2 * s);
  const S = new Uint32Array(SBOX_WORDS);
  // S-boxes from SMix1 with salsa20/8 (r = 1, no flags) over the block
  smix1(B, 1, SBOX_WORDS / 32, false, S, XY, undefined);
  const ctx: Pwx = { S, s0: 2048, s1: 1024, s2: 0, w: 0 };
  passwd = createHmac("sha256", wordsToBytes(B.subarray(s - 16, s)))
    .update(passwd)
    .digest();
  let nloop = Math.floor((N + 2) / 3);
  nloop += nloop & 1;
  smix1(B, r, N, true, V, XY, ctx);
  smix2(B, r, N, nloop, V, XY, ctx);
  const dk = pbkdf2Sync(passwd, wordsToBytes(B), 1, 32, "sha256");
  if (prehash) return dk;
  // SCRAM's ClientKey, then StoredKey
  const clientKey = createHmac("sha256", dk).update("Client Key").digest();
  return createHash("sha256").update(clientKey).digest();
}

interface Pwx {
  S: Uint32Array;
  /** Word offsets of S0, S1, S2 in S; w counts 64-bit pairs written into S2. */
  s0: number;
  s1: number;
  s2: number;
  w: number;
}

/** SMix1: fill V, with yescrypt's Wrap() reads when `rw`; pwxform blockmix when ctx is given. */
function smix1(B: Uint32Array, r: number, N: number, rw: boolean, V: Uint32Array, XY: Uint32Array, ctx: Pwx | undefined): void {
  const s = 32 * r;
  const X = XY.subarray(0, s);
  const Y = XY.subarray(s, 2 * s);
  shuffleIn(B, X, r);
  for (let i = 0; i < N; i++) {
    V.set(X, i * s);
    if (rw && i > 1) {
      const n = p2floor(i);
      const j = (X[(2 * r - 1) * 16]! & (n - 1)) + (i - n);
      xorInto(X, V, j * s, s);
    }
    if (ctx) blockmixPwxform(X, Y, ctx, r);
    else blockmixSalsa8(X, Y, r);
  }
  shuffleOut(X, B, r);
}

/** SMix2 in RW mode: read-write passes over V. */
function smix2(B: Uint32Array, r: number, N: number, nloop: number, V: Uint32Array, XY: Uint32Array, ctx: Pwx): void {
  const s = 32 * r;
  const X = XY.subarray(0, s);
  const Y = XY.subarray(s, 2 * s);
  shuffleIn(B, X, r);
  for (let i = 0; i < nloop; i++) {
    const j = X[(2 * r - 1) * 16]! & (N - 1);
    xorInto(X, V, j * s, s);
    V.set(X, j * s);
    blockmixPwxform(X, Y, ctx, r);
  }
  shuffleOut(X, B, r);
}

/** The reference's "SIMD shuffle" of each 64-byte block (word i*5 mod 16 -> i). */
function shuffleIn(B: Uint32Array, X: Uint32Array, r: number): void {
  for (let k = 0; k < 2 * r; k++) for (let i = 0; i < 16; i++) X[k * 16 + i] = B[k * 16 + ((i * 5) % 16)]!;
}

function shuffleOut(X: Uint32Array, B: Uint32Array, r: number): void {
  for (let k = 0; k < 2 * r; k++) for (let i = 0; i < 16; i++) B[k * 16 + ((i * 5) % 16)] = X[k * 16 + i]!;
}

function xorInto(X: Uint32Array, V: Uint32Array, at: number, n: number): void {
  for (let i = 0; i < n; i++) X[i] = (X[i]! ^ V[at + i]!) >>> 0;
}

function blockmixSalsa8(B: Uint32Array, Y: Uint32Array, r: number): void {
  const X = B.slice((2 * r - 1) * 16, 2 * r * 16);
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) X[k] = (X[k]! ^ B[i * 16 + k]!) >>> 0;
    salsa20(X, 0, 8);
    Y.set(X, i * 16);
  }
  for (let i = 0; i < r; i++) B.set(Y.subarray(i * 2 * 16, i * 2 * 16 + 16), i * 16);
  for (let i = 0; i < r; i++) B.set(Y.subarray((i * 2 + 1) * 16, (i * 2 + 1) * 16 + 16), (i + r) * 16);
}

/** BlockMix with pwxform over 64-byte sub-blocks, then salsa20/2 on the last 64 bytes. */
function blockmixPwxform(B: Uint32Array, Y: Uint32Array, ctx: Pwx, r: number): void {
  const r1 = 2 * r; // 128r / PWXbytes (64)
  for (let k = 0; k < 16; k++) Y[k] = B[(r1 - 1) * 16 + k]!;
  for (let i = 0; i < r1; i++) {
    if (r1 > 1) for (let k = 0; k < 16; k++) Y[k] = (Y[k]! ^ B[i * 16 + k]!) >>> 0;
    pwxform(Y, ctx);
    for (let k = 0; k < 16; k++) B[i * 16 + k] = Y[k]!;
  }
  salsa20(B, (r1 - 1) * 16, 2);
}

/** pwxform: 6 rounds over 4 lanes of 2 x 64-bit words, with S-box lookups and writes into S2. */
function pwxform(X: Uint32Array, ctx: Pwx): void {
  const S = ctx.S;
  const s0 = ctx.s0;
  const s1 = ctx.s1;
  const s2 = ctx.s2;
  let w = ctx.w;
  for (let i = 0; i < 6; i++) {
    const keep = i !== 0 && i !== 5;
    let p0 = 0;
    let p1 = 0;
    for (let at = 0; at < 16; at += 2) {
      // each lane (4 words) picks its S-box entries from its first 64-bit word, before changing it
      if ((at & 3) === 0) {
        p0 = s0 + ((X[at]! & SMASK) >>> 2);
        p1 = s1 + ((X[at + 1]! & SMASK) >>> 2);
      } else {
        p0 += 2;
        p1 += 2;
      }
      const xl = X[at]!;
      const xh = X[at + 1]!;
      // x = xh * xl (64-bit) + S0[p0], xor S1[p1], in 32-bit halves
      const aH = xh >>> 16;
      const aL = xh & 0xffff;
      const bH = xl >>> 16;
      const bL = xl & 0xffff;
      const ll = aL * bL;
      const m1 = aH * bL;
      const m2 = aL * bH;
      const mid = (ll >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
      const lo = (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
      const hi = aH * bH + (m1 >>> 16) + (m2 >>> 16) + (mid >>> 16);
      const sl = lo + S[p0]!;
      const rl = ((sl >>> 0) ^ S[p1]!) >>> 0;
      const rh = ((hi + S[p0 + 1]! + (sl > 0xffffffff ? 1 : 0)) ^ S[p1 + 1]!) >>> 0;
      X[at] = rl;
      X[at + 1] = rh;
      if (keep) {
        S[s2 + w * 2] = rl;
        S[s2 + w * 2 + 1] = rh;
        w++;
      }
    }
  }
  ctx.s0 = s2;
  ctx.s1 = s0;
  ctx.s2 = s1;
  ctx.w = w & 511;
}

/** The Salsa20 core (`rounds` of 8 or 2) on 16 words at `at`, in the reference's shuffled word order. */
function salsa20(B: Uint32Array, at: number, rounds: number): void {
  // x[i * 5 % 16] = B[i]: unshuffle into the standard order
  let x0 = B[at]! | 0,
    x5 = B[at + 1]! | 0,
    x10 = B[at + 2]! | 0,
    x15 = B[at + 3]! | 0;
  let x4 = B[at + 4]! | 0,
    x9 = B[at + 5]! | 0,
    x14 = B[at + 6]! | 0,
    x3 = B[at + 7]! | 0;
  let x8 = B[at + 8]! | 0,
    x13 = B[at + 9]! | 0,
    x2 = B[at + 10]! | 0,
    x7 = B[at + 11]! | 0;
  let x12 = B[at + 12]! | 0,
    x1 = B[at + 13]! | 0,
    x6 = B[at + 14]! | 0,
    x11 = B[at + 15]! | 0;
  let u: number;
  for (let i = 0; i < rounds; i += 2) {
    u = (x0 + x12) | 0;
    x4 ^= (u << 7) | (u >>> 25);
    u = (x4 + x0) | 0;
    x8 ^= (u << 9) | (u >>> 23);
    u = (x8 + x4) | 0;
    x12 ^= (u << 13) | (u >>> 19);
    u = (x12 + x8) | 0;
    x0 ^= (u << 18) | (u >>> 14);
    u = (x5 + x1) | 0;
    x9 ^= (u << 7) | (u >>> 25);
    u = (x9 + x5) | 0;
    x13 ^= (u << 9) | (u >>> 23);
    u = (x13 + x9) | 0;
    x1 ^= (u << 13) | (u >>> 19);
    u = (x1 + x13) | 0;
    x5 ^= (u << 18) | (u >>> 14);
    u = (x10 + x6) | 0;
    x14 ^= (u << 7) | (u >>> 25);
    u = (x14 + x10) | 0;
    x2 ^= (u << 9) | (u >>> 23);
    u = (x2 + x14) | 0;
    x6 ^= (u << 13) | (u >>> 19);
    u = (x6 + x2) | 0;
    x10 ^= (u << 18) | (u >>> 14);
    u = (x15 + x11) | 0;
    x3 ^= (u << 7) | (u >>> 25);
    u = (x3 + x15) | 0;
    x7 ^= (u << 9) | (u >>> 23);
    u = (x7 + x3) | 0;
    x11 ^= (u << 13) | (u >>> 19);
    u = (x11 + x7) | 0;
    x15 ^= (u << 18) | (u >>> 14);
    u = (x0 + x3) | 0;
    x1 ^= (u << 7) | (u >>> 25);
    u = (x1 + x0) | 0;
    x2 ^= (u << 9) | (u >>> 23);
    u = (x2 + x1) | 0;
    x3 ^= (u << 13) | (u >>> 19);
    u = (x3 + x2) | 0;
    x0 ^= (u << 18) | (u >>> 14);
    u = (x5 + x4) | 0;
    x6 ^= (u << 7) | (u >>> 25);
    u = (x6 + x5) | 0;
    x7 ^= (u << 9) | (u >>> 23);
    u = (x7 + x6) | 0;
    x4 ^= (u << 13) | (u >>> 19);
    u = (x4 + x7) | 0;
    x5 ^= (u << 18) | (u >>> 14);
    u = (x10 + x9) | 0;
    x11 ^= (u << 7) | (u >>> 25);
    u = (x11 + x10) | 0;
    x8 ^= (u << 9) | (u >>> 23);
    u = (x8 + x11) | 0;
    x9 ^= (u << 13) | (u >>> 19);
    u = (x9 + x8) | 0;
    x10 ^= (u << 18) | (u >>> 14);
    u = (x15 + x14) | 0;
    x12 ^= (u << 7) | (u >>> 25);
    u = (x12 + x15) | 0;
    x13 ^= (u << 9) | (u >>> 23);
    u = (x13 + x12) | 0;
    x14 ^= (u << 13) | (u >>> 19);
    u = (x14 + x13) | 0;
    x15 ^= (u << 18) | (u >>> 14);
  }
  // B[i] += x[i * 5 % 16]
  const y = [x0, x5, x10, x15, x4, x9, x14, x3, x8, x13, x2, x7, x12, x1, x6, x11];
  for (let i = 0; i < 16; i++) B[at + i] = (B[at + i]! + y[i]!) >>> 0;
}

/** The largest power of 2 not above x (x < 2^31). */
function p2floor(x: number): number {
  return (1 << (31 - Math.clz32(x))) >>> 0;
}

function words(b: Buffer): Uint32Array {
  const w = new Uint32Array(b.length / 4);
  for (let i = 0; i < w.length; i++) w[i] = b.readUInt32LE(i * 4);
  return w;
}

function wordsToBytes(w: Uint32Array): Buffer {
  const b = Buffer.alloc(w.length * 4);
  for (let i = 0; i < w.length; i++) b.writeUInt32LE(w[i]!, i * 4);
  return b;
}

/** yescrypt's variable-length encoding of a parameter (encode64_uint32), for the small values keel writes. */
function encodeUint(v: number, min: number): string {
  const x = v - min;
  if (x < 0 || x > 47) throw new RangeError(`yescrypt parameter out of range: ${v}`);
  return ITOA64[x]!;
}

function decodeUint(c: string, min: number): number {
  const x = ITOA64.indexOf(c);
  if (x > 47) throw new RangeError(`yescrypt parameter '${c}' needs more than one character`);
  return x + min;
}

/** yescrypt's base-64 (little-endian groups of up to 3 bytes). */
export function encode64(src: Buffer): string {
  let out = "";
  for (let i = 0; i < src.length;) {
    let value = 0;
    let bits = 0;
    do {
      value |= src[i++]! << bits;
      bits += 8;
    } while (bits < 24 && i < src.length);
    for (let b = 0; b < bits; b += 6) {
      out += ITOA64[value & 0x3f];
      value >>>= 6;
    }
  }
  return out;
}

/** The bytes of a yescrypt base-64 string; undefined when it is not one libxcrypt accepts. */
export function decode64(src: string): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < src.length;) {
    let value = 0;
    let bits = 0;
    while (i < src.length && bits < 24) {
      const c = ITOA64.indexOf(src[i++]!);
      if (c < 0) return undefined;
      value |= c << bits;
      bits += 6;
    }
    if (bits < 12) return undefined;
    while (bits >= 8) {
      out.push(value & 0xff);
      value >>>= 8;
      bits -= 8;
    }
    if (value) return undefined;
  }
  return out.length > 64 ? undefined : Buffer.from(out);
}

/** Hashes already computed in this run (a password hashed for every host costs one computation). */
const memo = new Map<string, string>();

/**
 * password_hash('yescrypt', salt, rounds): `rounds` is libxcrypt's cost (1..11, default 5, as
 * `mkpasswd -m yescrypt -R`); a given salt is yescrypt's base-64 as crypt(3) takes it; without one,
 * a salt derived from the password (and `seed`), so the hash is the same every run.
 */
export function yescryptFilter(password: string, salt: string | undefined, seed: string, rounds: number | undefined): string {
  const cost = rounds ?? 5;
  if (!Number.isInteger(cost) || cost < 1 || cost > 11)
    throw new ExprEvalError(`filter 'password_hash': yescrypt's rounds is libxcrypt's cost, 1 to 11 (default 5), got ${rounds}`);
  let s = salt;
  if (s === undefined) s = encode64(createHash("sha256").update(`keel-yescrypt-salt\0${seed}\0${password}`).digest().subarray(0, 16));
  else if (!s || !decode64(s))
    throw new ExprEvalError(
      `filter 'password_hash': '${s}' is not a yescrypt salt (base-64 of 1 to 64 bytes, as crypt(3) reads it): ` +
        "use 22 characters of ./0-9A-Za-z ending in '.', '/', '0' or '1' (16 bytes), or leave the salt out",
    );
  const setting = yescryptSetting(cost, s);
  const key = `${setting}\0${password}`;
  let h = memo.get(key);
  if (h === undefined) {
    h = yescryptHash(password, setting);
    if (memo.size >= 32) memo.delete(memo.keys().next().value!);
    memo.set(key, h);
  }
  return h;
}
