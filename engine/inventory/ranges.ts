// Host names with ports and ranges, as Ansible reads them: `db:2222`, `[::1]:22`,
// `web[01:20].example.com`, `node[a:c]`, `x[1:9:2]`. Pure. The number of hosts one pattern
// expands to is bounded (KEEL_MAX_RANGE_HOSTS).
import { limitHint, limitOf, LIMITS } from "../core/limits.js";

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alnumRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ipv6c = String.raw`(?:[0-9a-f]{1,4}|${hexRange})`;
const ipv4c = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
// Python's \w is Unicode-aware
const label = String.raw`(?:[\p{L}\p{N}_]|${alnumRange})(?:[\p{L}\p{N}_-]|${alnumRange})*(?<![_-])`;

const RE = {
  bracketedHostport: /^\[(.+)\]:([0-9]+)$/s,
  hostport: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/s,
  ipv4: new RegExp(String.raw`^(?:${ipv4c}\.){3}${ipv4c}$`, "i"),
  ipv6: new RegExp(
    "^(?:" +
      [
        String.raw`(?:${ipv6c}:){7}${ipv6c}`,
        String.raw`(?:${ipv6c}:){1,6}:`,
        String.raw`(?:${ipv6c}:)(?::${ipv6c}){1,6}`,
        String.raw`(?:${ipv6c}:){2}(?::${ipv6c}){1,5}`,
        String.raw`(?:${ipv6c}:){3}(?::${ipv6c}){1,4}`,
        String.raw`(?:${ipv6c}:){4}(?::${ipv6c}){1,3}`,
        String.raw`(?:${ipv6c}:){5}(?::${ipv6c}){1,2}`,
        String.raw`(?:${ipv6c}:){6}(?::${ipv6c})`,
        String.raw`:(?::${ipv6c}){1,6}`,
        String.raw`${ipv6c}?::`,
        String.raw`(?:0:){6}(?:${ipv6c}\.){3}${ipv6c}`,
        String.raw`::(?:ffff:)?(?:${ipv6c}\.){3}${ipv6c}`,
        String.raw`(?:0:){5}ffff:(?:${ipv6c}\.){3}${ipv6c}`,
      ].join("|") +
      ")$",
    "i",
  ),
  hostname: new RegExp(String.raw`^${label}(?:\.${label})*$`, "iu"),
};

export function isIpAddress(s: string): boolean {
  return RE.ipv4.test(s) || RE.ipv6.test(s);
}

/**
 * Ansible's parse_address: splits an optional port off a host identifier. Returns undefined when the
 * text is not a host name, IPv4 or IPv6 address (ranges allowed when `allowRanges`).
 */
export function parseAddress(address: string, allowRanges: boolean): { host: string; port?: number } | undefined {
  let port: number | undefined;
  for (const re of [RE.bracketedHostport, RE.hostport]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = parseInt(m[2]!, 10);
    }
  }
  let host: string | undefined;
  for (const re of [RE.ipv4, RE.ipv6, RE.hostname]) if (re.test(address)) host = address;
  if (!host) return undefined;
  if (!allowRanges && host.includes("[")) return undefined;
  return { host, port };
}

export class RangeError_ extends Error {
  constructor(
    message: string,
    /** A hint that replaces the generic "a range is …" one (the size bound names its variable). */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The size bound: `web[1:100000000]` must not build a list of a hundred million names. */
function tooMany(n: number, max: number): RangeError_ {
  return new RangeError_(`the range expands to ${n} hosts, more than ${max}`, limitHint(LIMITS.rangeHosts));
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Python's int() on a str: optional sign, digits, single underscores between digits, surrounding whitespace. */
function pyInt(s: string): number {
  const t = s.trim();
  if (!/^[-+]?\d+(?:_\d+)*$/.test(t)) throw new RangeError_(`'${s}' is not a number`);
  return parseInt(t.replace(/_/g, ""), 10);
}

/** Ansible's expand_hostname_range: every `[a:b(:step)]` in the name, left to right. */
export function expandHostnameRange(line: string, max = limitOf(LIMITS.rangeHosts)): string[] {
  const i = line.indexOf("[");
  const rest = line.slice(i + 1);
  const j = rest.indexOf("]");
  if (j < 0) throw new RangeError_("a '[' is not closed by ']'");
  const head = line.slice(0, i);
  const nrange = rest.slice(0, j);
  const tail = rest.slice(j + 1);
  // Python splits on '|' after replacing the first [ and ]: a '|' anywhere breaks the unpacking
  if (line.includes("|")) throw new RangeError_("'|' is not allowed in a host name with a range");
  const bounds = nrange.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) throw new RangeError_("host range must be begin:end or begin:end:step");
  let beg = bounds[0]!;
  const end = bounds[1]!;
  const step = bounds.length === 3 ? pyInt(bounds[2]!) : 1;
  if (!beg) beg = "0";
  if (!end) throw new RangeError_("host range must specify end value");
  let fill = (x: string | number) => String(x);
  if (beg[0] === "0" && beg.length > 1) {
    const rlen = beg.length;
    if (rlen !== end.length) throw new RangeError_("host range must specify equal-length begin and end formats");
    fill = (x) => zfill(String(x), rlen);
  }
  if (step === 0) throw new RangeError_("host range step must not be zero");
  let seq: (string | number)[];
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new RangeError_("host range must have begin <= end");
    seq = [];
    if (step > 0) for (let k = ib; k <= ie; k += step) seq.push(LETTERS[k]!);
    // a negative step gives Python's empty slice
  } else {
    const b = pyInt(beg);
    const e = pyInt(end) + 1;
    // counted before anything is built
    const count = step > 0 ? Math.ceil((e - b) / step) : Math.ceil((b - e) / -step);
    if (count > max) throw tooMany(count, max);
    seq = [];
    if (step > 0) for (let k = b; k < e; k += step) seq.push(k);
    else for (let k = b; k > e; k += step) seq.push(k);
  }
  const out: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    if (name.includes("[")) {
      const sub = expandHostnameRange(name, max);
      // every element expands the same tail: the product is the total
      if (sub.length * seq.length > max) throw tooMany(sub.length * seq.length, max);
      for (const s of sub) out.push(s);
    } else out.push(name);
    if (out.length > max) throw tooMany(out.length, max);
  }
  return out;
}

function zfill(s: string, n: number): string {
  const neg = s.startsWith("-");
  const digits = neg ? s.slice(1) : s;
  return (neg ? "-" : "") + digits.padStart(n - (neg ? 1 : 0), "0");
}

/**
 * Ansible's _expand_hostpattern: `name[:port]` with optional ranges -> host names and port.
 * Throws RangeError_ for a bad range.
 */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  const a = parseAddress(pattern, true);
  const name = a ? a.host : pattern;
  const port = a?.port;
  return { hosts: name.includes("[") ? expandHostnameRange(name) : [name], port };
}
