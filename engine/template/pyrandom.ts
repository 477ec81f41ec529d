// Python's random.Random(seed).shuffle (CPython 3.11, as ansible-core 2.14 runs it on Debian 12),
// for Ansible's `shuffle(seed=…)`: with a seed, Ansible's order is a pure function of the seed, and
// real roles use it to derive a per-host value (cloudalchemy's node_exporter builds a bcrypt salt
// from `… | shuffle(seed=inventory_hostname)`). Without a seed it is random: keel refuses that.
//
// Random(seed): a str seed becomes int.from_bytes(utf8 + sha512(utf8), "big") (seed version 2), an
// int its absolute value; its 32-bit words, least significant first, go to MT19937's
// init_by_array. shuffle: for i from len-1 down to 1, j = _randbelow(i + 1), swap; _randbelow(n)
// draws getrandbits(n.bit_length()) until below n; getrandbits(k <= 32) = next word >>> (32 - k).
import { createHash } from "node:crypto";

const N = 624;

class MT19937 {
  private mt = new Uint32Array(N);
  private i = N + 1;

  private initGenrand(s: number): void {
    this.mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const p = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
    this.i = N;
  }

  initByArray(key: number[]): void {
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const p = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = ((this.mt[i]! ^ Math.imul(p, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        this.mt[0] = this.mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const p = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = ((this.mt[i]! ^ Math.imul(p, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        this.mt[0] = this.mt[N - 1]!;
        i = 1;
      }
    }
    this.mt[0] = 0x80000000;
  }

  next(): number {
    if (this.i >= N) {
      for (let k = 0; k < N; k++) {
        const y = (this.mt[k]! & 0x80000000) | (this.mt[(k + 1) % N]! & 0x7fffffff);
        this.mt[k] = this.mt[(k + 397) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = this.mt[this.i++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** The 32-bit words of a non-negative integer, least significant first ([0] for zero). */
function words(n: bigint): number[] {
  const out: number[] = [];
  while (n > 0n) {
    out.push(Number(n & 0xffffffffn));
    n >>= 32n;
  }
  return out.length ? out : [0];
}

/** The MT19937 state of Python's random.Random(seed) for a str or int seed. */
function seeded(seed: string | number | bigint): MT19937 {
  let n: bigint;
  if (typeof seed === "string") {
    const b = Buffer.from(seed, "utf8");
    const all = Buffer.concat([b, createHash("sha512").update(b).digest()]);
    n = all.length ? BigInt(`0x${all.toString("hex")}`) : 0n;
  } else {
    n = BigInt(seed);
    if (n < 0n) n = -n;
  }
  const mt = new MT19937();
  mt.initByArray(words(n));
  return mt;
}

function randbelow(mt: MT19937, n: number): number {
  const k = n.toString(2).length;
  let r = mt.next() >>> (32 - k);
  while (r >= n) r = mt.next() >>> (32 - k);
  return r;
}

/** random.Random(seed).shuffle(list) on a copy. */
export function pyShuffle<T>(list: readonly T[], seed: string | number | bigint): T[] {
  const x = [...list];
  const mt = seeded(seed);
  for (let i = x.length - 1; i >= 1; i--) {
    const j = randbelow(mt, i + 1);
    [x[i], x[j]] = [x[j]!, x[i]!];
  }
  return x;
}
