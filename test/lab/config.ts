// Names, addresses and paths of the lab. Pure: nothing here touches the machine.
//
// Every address the lab uses lies in 198.18.0.0/15 (RFC 2544, reserved for benchmarking), so lab
// traffic can never reach a real network. Anything else is refused before a single command runs.
import { join } from "node:path";
import { LabError, repoRoot } from "./util.js";

export const LAB_NET = "198.18.0.0";
export const LAB_PREFIX = 15;
/** The machine's side of the bridge. */
export const BRIDGE = "keelbr0";
export const BRIDGE_ADDRESS = "198.18.0.1";
/** Host N gets LAB_NET + HOST_OFFSET + N, spanning into 198.18.1.x and beyond. */
export const HOST_OFFSET = 10;
/** 901..2000 are scratch hosts: room for a 500-host benchmark fleet beside the tests' own. */
export const MAX_HOSTS = 2000;
/** Hosts numbered from here up are scratch hosts: private to one test, never in the inventory. */
export const SCRATCH_BASE = 901;
export const NETNS_PREFIX = "keel-";
export const VETH_PREFIX = "klab";

function ipToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new LabError(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** True when ip lies in 198.18.0.0/15. */
export function inLabNet(ip: string): boolean {
  const mask = (0xffffffff << (32 - LAB_PREFIX)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === ipToInt(LAB_NET);
}

/** Throw unless ip lies in 198.18.0.0/15. */
export function assertLabAddress(ip: string): string {
  if (!inLabNet(ip)) throw new LabError(`refusing to use ${ip}: the lab only uses addresses in ${LAB_NET}/${LAB_PREFIX}`);
  return ip;
}

export interface LabHostName {
  /** 1-based host number. */
  index: number;
  /** Inventory name and hostname: lab01 … lab99, lab100 … */
  name: string;
  address: string;
  netns: string;
  /** Machine-side end of the veth pair (the host's end is eth0 inside its netns). */
  veth: string;
}

export function hostName(index: number): string {
  return `lab${String(index).padStart(2, "0")}`;
}

/** Names and address of host number `index` (1-based). */
export function labHost(index: number): LabHostName {
  if (!Number.isInteger(index) || index < 1 || index > MAX_HOSTS) {
    throw new LabError(`host number must be 1..${MAX_HOSTS}, got ${index}`);
  }
  const name = hostName(index);
  const address = assertLabAddress(intToIp(ipToInt(LAB_NET) + HOST_OFFSET + index));
  return { index, name, address, netns: NETNS_PREFIX + name, veth: VETH_PREFIX + String(index).padStart(2, "0") };
}

/** Parse "lab07" / "7" / "198.18.0.17" into a host number. */
export function hostIndex(ref: string | number): number {
  if (typeof ref === "number") return labHost(ref).index;
  let m = /^(?:lab|keel-lab)?(\d+)$/.exec(ref);
  if (m) return labHost(Number(m[1])).index;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ref) && inLabNet(ref)) return labHost(ipToInt(ref) - ipToInt(LAB_NET) - HOST_OFFSET).index;
  m = /^klab(\d+)$/.exec(ref);
  if (m) return labHost(Number(m[1])).index;
  throw new LabError(`not a lab host: ${ref} (expected lab01, 1 or an address in ${LAB_NET}/${LAB_PREFIX})`);
}

export interface LabPaths {
  /** State dir: key, known_hosts, inventories, per-host overlays (default <repo>/.lab, gitignored). */
  state: string;
  /** Cached rootfs images, outside the repo (default /var/cache/keel-lab). */
  cache: string;
  key: string;
  knownHosts: string;
  inventoryYaml: string;
  inventoryIni: string;
  stateFile: string;
  hostsDir: string;
  repo: string;
  leases: string;
  lock: string;
}

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const state = env.KEEL_LAB_DIR || join(repoRoot(), ".lab");
  const cache = env.KEEL_LAB_CACHE || "/var/cache/keel-lab";
  return {
    state,
    cache,
    key: join(state, "id_ed25519"),
    knownHosts: join(state, "known_hosts"),
    inventoryYaml: join(state, "inventory.yml"),
    inventoryIni: join(state, "inventory.ini"),
    stateFile: join(state, "state.json"),
    hostsDir: join(state, "hosts"),
    repo: join(state, "repo"),
    leases: join(state, "leases"),
    lock: join(state, "lock"),
  };
}
