// IP addresses and prefixes for the firewall modules: parsing (for argument validation),
// normalisation as nft prints it (network address of a prefix, /32 and /128 as plain addresses,
// RFC 5952 compressed IPv6) and containment (for flow evaluation). Pure.

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  /** 4 or 16 bytes, network address (host bits cleared). */
  bytes: number[];
  len: number;
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function parseV6(s: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.split("::").length > 2) return undefined;
  let tail4: number[] = [];
  let str = s;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail4 = v4;
    str = s.slice(0, lastColon + 1) + "0:0";
  }
  const [head, rest] = str.split("::") as [string, string | undefined];
  const groups = (x: string) => (x === "" ? [] : x.split(":"));
  const h = groups(head);
  const t = rest === undefined ? [] : groups(rest);
  if ([...h, ...t].some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  const missing = 8 - h.length - t.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...h, ...Array(rest === undefined ? 0 : missing).fill("0"), ...t].map((g) => parseInt(g, 16));
  const bytes = all.flatMap((g) => [g >> 8, g & 255]);
  if (tail4.length) bytes.splice(12, 4, ...tail4);
  return bytes;
}

/** Parses "10.0.0.0/8", "192.0.2.1", "2001:db8::/32"; undefined when invalid (bad address or length). */
export function parsePrefix(s: string): Prefix | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(s.trim());
  if (!m) return undefined;
  const v4 = parseV4(m[1]!);
  const bytes = v4 ?? parseV6(m[1]!);
  if (!bytes) return undefined;
  const family: Family = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const len = m[2] === undefined ? max : Number(m[2]);
  if (len > max) return undefined;
  return { family, bytes: mask(bytes, len), len };
}

function mask(bytes: number[], len: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

function v6Text(bytes: number[]): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952: the longest run (≥ 2) of zero groups, the first one on a tie, becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

export function addrText(p: Prefix): string {
  return p.family === 4 ? p.bytes.join(".") : v6Text(p.bytes);
}

/** As nft prints it: the network address, and no /32 or /128. */
export function prefixText(p: Prefix): string {
  const max = p.family === 4 ? 32 : 128;
  return p.len === max ? addrText(p) : `${addrText(p)}/${p.len}`;
}

/** Normalises an address or prefix the way nft lists it; returns the input when it does not parse. */
export function normAddr(s: string): string {
  const p = parsePrefix(s);
  return p ? prefixText(p) : s;
}

export function contains(net: Prefix, addr: Prefix): boolean {
  if (net.family !== addr.family || addr.len < net.len) return false;
  const a = mask(addr.bytes, net.len);
  return a.every((b, i) => b === net.bytes[i]);
}

/** Sort key for addresses: family, then bytes, then prefix length. */
export function addrSortKey(s: string): string {
  const p = parsePrefix(s);
  if (!p) return `9${s}`;
  return `${p.family}${p.bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}${String(p.len).padStart(3, "0")}`;
}
