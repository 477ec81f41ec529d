// password_hash: SHA-crypt ($5$ sha256_crypt, $6$ sha512_crypt) as specified by Ulrich Drepper
// ("Unix crypt using SHA-256 and SHA-512") and implemented by glibc's crypt(3), built on
// node:crypto's hashes. Checked against the system's crypt in test/unit/template/crypt.test.ts.
import { createHash } from "node:crypto";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The byte order of the final encoding: groups of three bytes, then the leftover ones. */
const ORDER: Record<"sha256" | "sha512", number[][]> = {
  sha512: [
    [0, 21, 42],
    [22, 43, 1],
    [44, 2, 23],
    [3, 24, 45],
    [25, 46, 4],
    [47, 5, 26],
    [6, 27, 48],
    [28, 49, 7],
    [50, 8, 29],
    [9, 30, 51],
    [31, 52, 10],
    [53, 11, 32],
    [12, 33, 54],
    [34, 55, 13],
    [56, 14, 35],
    [15, 36, 57],
    [37, 58, 16],
    [59, 17, 38],
    [18, 39, 60],
    [40, 61, 19],
    [62, 20, 41],
    [63],
  ],
  sha256: [
    [0, 10, 20],
    [21, 1, 11],
    [12, 22, 2],
    [3, 13, 23],
    [24, 4, 14],
    [15, 25, 5],
    [6, 16, 26],
    [27, 7, 17],
    [18, 28, 8],
    [9, 19, 29],
    [31, 30],
  ],
};

/** Salt characters crypt(3) accepts. */
export const SALT_CHARS = /^[./0-9A-Za-z]*$/;

function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

/**
 * crypt(password, "$6$[rounds=N$]salt") with SHA-512 (or "$5$" with SHA-256). `rounds`
 * undefined means the default 5000, not written in the result (as glibc does).
 */
export function shaCrypt(algo: "sha256" | "sha512", password: string, salt: string, rounds?: number): string {
  const H = (...parts: Buffer[]) => {
    const h = createHash(algo);
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const P = Buffer.from(password, "utf8");
  const S = Buffer.from(salt.slice(0, 16), "utf8");
  const r = rounds === undefined ? 5000 : Math.min(999999999, Math.max(1000, rounds));

  const B = H(P, S, P);
  const a = createHash(algo).update(P).update(S);
  a.update(repeatTo(B, P.length));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  const A = a.digest();

  const dp = createHash(algo);
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pp = repeatTo(dp.digest(), P.length);
  const ds = createHash(algo);
  for (let i = 0; i < 16 + A[0]!; i++) ds.update(S);
  const Sp = repeatTo(ds.digest(), S.length);

  let C = A;
  for (let i = 0; i < r; i++) {
    const c = createHash(algo);
    c.update(i & 1 ? Pp : C);
    if (i % 3) c.update(Sp);
    if (i % 7) c.update(Pp);
    c.update(i & 1 ? C : Pp);
    C = c.digest();
  }

  let enc = "";
  for (const g of ORDER[algo]) {
    let w = 0;
    for (const idx of g) w = (w << 8) | C[idx]!;
    const n = g.length + 1;
    for (let k = 0; k < n; k++) {
      enc += ITOA64[w & 0x3f];
      w >>= 6;
    }
  }
  const prefix = algo === "sha512" ? "$6$" : "$5$";
  return `${prefix}${rounds === undefined ? "" : `rounds=${r}$`}${S.toString("utf8")}$${enc}`;
}

/** A salt for a password when none is given: derived from the password, so the hash is the same every run. */
export function stableSalt(password: string, seed = ""): string {
  const d = createHash("sha256").update(`keel-salt\0${seed}\0${password}`).digest();
  let s = "";
  for (let i = 0; i < 16; i++) s += ITOA64[d[i]! & 0x3f];
  return s;
}
