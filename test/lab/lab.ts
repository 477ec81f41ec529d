// Bringing lab hosts up and down.
//
// A host is: a network namespace (keel-labNN) joined by a veth pair (klabNN on the machine, eth0
// inside) to the bridge keelbr0 (198.18.0.1/15); private mount, UTS, IPC and PID namespaces whose
// PID 1 is tini, chrooted into an overlayfs (lower: the cached rootfs, upper: <state>/hosts/labNN);
// and sshd started through the host's own sysv `service` command. Every mount lives only in the
// host's private mount namespace, so killing its PID 1 releases them all: `down` kills, then
// deletes the links and namespaces, and leaves nothing on the machine.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BRIDGE, SCRATCH_BASE, hostIndex, labHost, labPaths, type LabHostName, type LabPaths } from "./config.js";
import { buildAptRepo } from "./aptrepo.js";
import { LAB_USER, ensureRootfs, rootfsDir } from "./rootfs.js";
import { LabError, mapLimit, pidAlive, run } from "./util.js";
import { withLock } from "./lock.js";
import {
  type LabHost,
  ensureBridge,
  initPid,
  killHost,
  removeHost,
  runningHostIndexes,
  startHost,
  startSshd,
  stopHost,
  waitForPort,
  waitGone,
} from "./host.js";

export type { LabHost } from "./host.js";

export interface LabState {
  version: 1;
  /** Who brought the lab up: "cli" labs are never torn down by the test runner. */
  owner: "cli" | "vitest";
  hosts: LabHost[];
  rootfs: string;
  repo: string;
  stateDir: string;
  privateKey: string;
  knownHosts: string;
  inventoryYaml: string;
  inventoryIni: string;
  user: "root";
  /** Non-root login with passwordless sudo on every host (same key). */
  sudoUser: string;
}

export type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------
// Locking: one lab per state dir, and one process changing it at a time.

export function withLabLock<T>(paths: LabPaths, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  return withLock(paths.state, paths.lock, fn, timeoutMs);
}

/**
 * Test runs using the lab right now: each e2e run holds a lease file named by its pid in
 * <state>/leases. Leases of dead processes are removed.
 */
export function liveLeases(paths: LabPaths = labPaths()): number[] {
  if (!existsSync(paths.leases)) return [];
  const out: number[] = [];
  for (const f of readdirSync(paths.leases)) {
    const pid = Number(f);
    if (pid && pidAlive(pid)) out.push(pid);
    else rmSync(join(paths.leases, f), { force: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One lab per machine: the bridge, the namespaces and the addresses are machine-wide, while the
// state, leases and lock live in a lab dir (KEEL_LAB_DIR, default <repo>/.lab). A second checkout
// with its own lab dir once tore down every host of the first one (its teardown removes every
// running lab host), so the lab dir whose hosts run is recorded machine-wide, and another lab dir
// is refused with the one to use.

/** Machine-wide record of the lab dir whose hosts run (in /run: gone at boot, as the hosts are). */
export const LAB_OWNER_FILE = "/run/keel-lab/owner";

/**
 * The other lab dir whose hosts run on this machine, or undefined when there is none (or the
 * record is stale: no host runs, or that dir holds no lab any more). Pure over its inputs, for the test.
 */
export function foreignLabDir(own: string, recorded: string | undefined, hostsRunning: boolean, ownerHasLab: (dir: string) => boolean): string | undefined {
  if (!recorded || !hostsRunning) return undefined;
  if (resolve(recorded) === resolve(own)) return undefined;
  return ownerHasLab(recorded) ? recorded : undefined;
}

/** Refuse to act on the lab from `paths` when another lab dir's hosts run here. */
export async function refuseForeignLab(paths: LabPaths): Promise<void> {
  let recorded: string | undefined;
  try {
    recorded = readFileSync(LAB_OWNER_FILE, "utf8").trim() || undefined;
  } catch {
    return;
  }
  const hasLab = (dir: string) => existsSync(join(dir, "state.json")) || (existsSync(join(dir, "hosts")) && readdirSync(join(dir, "hosts")).length > 0);
  const other = foreignLabDir(paths.state, recorded, recorded !== undefined && (await runningHostIndexes()).length > 0, hasLab);
  if (other)
    throw new LabError(
      `the lab hosts running on this machine belong to the lab dir ${other}, not ${paths.state} (the bridge, namespaces and addresses are machine-wide); use them with KEEL_LAB_DIR=${other}, or remove them first with 'KEEL_LAB_DIR=${other} npm run lab -- down'`,
    );
}

/** Record `paths` as the lab dir whose hosts run here. */
export function claimLab(paths: LabPaths): void {
  mkdirSync("/run/keel-lab", { recursive: true });
  writeFileSync(LAB_OWNER_FILE, `${resolve(paths.state)}\n`);
}

function releaseLab(paths: LabPaths): void {
  try {
    if (resolve(readFileSync(LAB_OWNER_FILE, "utf8").trim()) === resolve(paths.state)) rmSync(LAB_OWNER_FILE, { force: true });
  } catch {
    /* no record */
  }
}

// ---------------------------------------------------------------------------------------------
// Can this machine run the lab?

/** Undefined when the lab can run here, else one line saying why not. */
export async function labUnavailableReason(paths: LabPaths = labPaths()): Promise<string | undefined> {
  if (process.platform !== "linux") return `the lab needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return `the lab needs root for network namespaces and mounts (running as uid ${process.getuid?.()})`;
  const need = ["ip", "unshare", "nsenter", "chroot", "ssh-keygen", "ssh", "dpkg-deb", "dpkg-scanpackages", "mount"];
  if (!existsSync(rootfsDir(paths))) need.push("debootstrap");
  const missing: string[] = [];
  for (const cmd of need) {
    const r = await run("/bin/sh", ["-c", `command -v ${cmd}`], { check: false });
    if (r.code !== 0) missing.push(cmd);
  }
  if (missing.length)
    return `missing commands: ${missing.join(", ")} (install: apt-get install iproute2 util-linux openssh-client openssh-server dpkg-dev debootstrap)`;
  if (!readFileSync("/proc/filesystems", "utf8").includes("\toverlay\n")) return "the kernel has no overlayfs";
  const probe = `keel-probe-${process.pid}`;
  const r = await run("ip", ["netns", "add", probe], { check: false });
  if (r.code !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`;
  await run("ip", ["netns", "del", probe], { check: false });
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Lab key, known_hosts, inventories, state

export async function ensureLabKey(paths: LabPaths): Promise<string> {
  if (!existsSync(paths.key)) {
    mkdirSync(paths.state, { recursive: true });
    rmSync(paths.key + ".pub", { force: true });
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "keel-lab", "-f", paths.key]);
  }
  chmodSync(paths.key, 0o600);
  return readFileSync(paths.key + ".pub", "utf8");
}

export function stateFor(paths: LabPaths, rootfs: string, hosts: LabHost[], owner: LabState["owner"]): LabState {
  return {
    version: 1,
    owner,
    hosts,
    rootfs,
    repo: paths.repo,
    stateDir: paths.state,
    privateKey: paths.key,
    knownHosts: paths.knownHosts,
    inventoryYaml: paths.inventoryYaml,
    inventoryIni: paths.inventoryIni,
    user: "root",
    sudoUser: LAB_USER,
  };
}

export function yamlInventory(st: LabState): string {
  const lines = [
    "# keel lab inventory, written by `npm run lab -- up`. Regenerated on every up; do not edit.",
    "all:",
    "  vars:",
    "    ansible_user: root",
    `    ansible_ssh_private_key_file: ${st.privateKey}`,
    `    keel_known_hosts: ${st.knownHosts}`,
    `    ansible_ssh_common_args: "-o UserKnownHostsFile=${st.knownHosts} -o StrictHostKeyChecking=yes"`,
    "    ansible_python_interpreter: /usr/bin/python3",
    "  children:",
    "    lab:",
    "      hosts:",
    ...st.hosts.map((h) => `        ${h.name}:\n          ansible_host: ${h.address}`),
  ];
  for (const [group, parity] of [
    ["odd", 1],
    ["even", 0],
  ] as const) {
    const members = st.hosts.filter((h) => h.index % 2 === parity);
    lines.push(`    ${group}:`, members.length ? "      hosts:" : "      hosts: {}", ...members.map((h) => `        ${h.name}: {}`));
  }
  return lines.join("\n") + "\n";
}

function iniInventory(st: LabState): string {
  const lines = ["# keel lab inventory, written by `npm run lab -- up`. Regenerated on every up; do not edit.", "[lab]"];
  lines.push(...st.hosts.map((h) => `${h.name} ansible_host=${h.address}`));
  for (const [group, parity] of [
    ["odd", 1],
    ["even", 0],
  ] as const) {
    lines.push("", `[${group}]`, ...st.hosts.filter((h) => h.index % 2 === parity).map((h) => h.name));
  }
  lines.push(
    "",
    "[all:vars]",
    "ansible_user=root",
    `ansible_ssh_private_key_file=${st.privateKey}`,
    `keel_known_hosts=${st.knownHosts}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${st.knownHosts} -o StrictHostKeyChecking=yes'`,
    "ansible_python_interpreter=/usr/bin/python3",
  );
  return lines.join("\n") + "\n";
}

function writeOutputs(st: LabState): void {
  writeFileSync(st.knownHosts, st.hosts.map((h) => `${h.name},${h.address} ${h.hostKey}\n`).join(""));
  writeFileSync(st.inventoryYaml, yamlInventory(st));
  writeFileSync(st.inventoryIni, iniInventory(st));
  writeFileSync(join(st.stateDir, "state.json"), JSON.stringify(st, null, 2) + "\n");
}

/** The lab as last written by `up`, or undefined when no lab is up. */
export function readLabState(paths: LabPaths = labPaths()): LabState | undefined {
  try {
    return JSON.parse(readFileSync(paths.stateFile, "utf8")) as LabState;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// up / down / status

export interface UpOptions {
  paths?: LabPaths;
  log?: Log;
  /** Remove hosts numbered above n (default true); false only ever adds hosts. */
  exact?: boolean;
  owner?: LabState["owner"];
  /** Hosts started in parallel (default 8). */
  parallel?: number;
}

/** Bring hosts 1..n up (idempotent: healthy hosts are kept), write inventories and state. */
export async function up(n: number, opts: UpOptions = {}): Promise<LabState> {
  const paths = opts.paths ?? labPaths();
  return withLabLock(paths, () => upLocked(n, { ...opts, paths }));
}

export async function upLocked(n: number, opts: UpOptions & { paths: LabPaths }): Promise<LabState> {
  const { paths } = opts;
  const log = opts.log ?? (() => {});
  if (!Number.isInteger(n) || n < 1) throw new LabError(`number of hosts must be a positive integer, got ${n}`);
  const wanted = Array.from({ length: n }, (_, i) => labHost(i + 1)); // validates every address first
  await refuseForeignLab(paths);
  const rootfs = (await ensureRootfs({ paths, log })).dir;
  await buildAptRepo(paths.repo);
  const labPub = await ensureLabKey(paths);
  await ensureBridge();
  claimLab(paths);
  const previous = readLabState(paths);
  const running = (await runningHostIndexes()).filter((i) => i < SCRATCH_BASE);
  const extra = running.filter((i) => i > n);
  const keepExtra = opts.exact === false;
  if (!keepExtra && extra.length) {
    log(`removing ${extra.length} host(s) above ${n}`);
    await mapLimit(extra, 8, (i) => stopHost(paths, labHost(i)));
  }
  const all = keepExtra ? [...new Set([...wanted.map((h) => h.index), ...running])].sort((a, b) => a - b).map(labHost) : wanted;
  let started = 0;
  const hosts = await mapLimit(all, opts.parallel ?? 8, async (h): Promise<LabHost> => {
    const known = previous?.hosts.find((p) => p.index === h.index);
    if (running.includes(h.index) && known && (await initPid(h))) {
      // Already up: make sure sshd answers (a test may have stopped it) and the link is up.
      await run("ip", ["link", "set", h.veth, "up"], { check: false });
      try {
        await waitForPort(h.address, 22, 1500);
      } catch {
        await startSshd(h);
      }
      return known;
    }
    started++;
    return startHost(paths, h, rootfs, labPub);
  });
  const owner = opts.owner === "vitest" && previous?.owner === "cli" && running.length ? "cli" : (opts.owner ?? "cli");
  const st = stateFor(paths, rootfs, hosts, owner);
  writeOutputs(st);
  log(`lab up: ${hosts.length} host(s) (${started} started), inventory ${st.inventoryYaml}`);
  return st;
}

/** Tear everything down: processes, mounts (with them), links, namespaces, the bridge. Idempotent. */
export async function down(opts: { paths?: LabPaths; log?: Log; onlyIf?: (state: LabState | undefined) => boolean } = {}): Promise<number> {
  const paths = opts.paths ?? labPaths();
  return withLabLock(paths, async () => {
    // Decided under the lock, so nobody can start using the lab between the check and the teardown.
    if (opts.onlyIf && !opts.onlyIf(readLabState(paths))) return 0;
    return downLocked(paths, opts.log ?? (() => {}));
  });
}

export async function downLocked(paths: LabPaths, log: Log): Promise<number> {
  await refuseForeignLab(paths);
  const indexes = new Set(await runningHostIndexes());
  for (const h of readLabState(paths)?.hosts ?? []) indexes.add(h.index);
  if (existsSync(paths.hostsDir)) for (const e of readdirSync(paths.hostsDir)) if (/^lab\d+$/.test(e)) indexes.add(hostIndex(e));
  // Stray machine-side veths (e.g. from a crash between creating the link and the namespace).
  const links = (await run("ip", ["-o", "link", "show"])).stdout;
  for (const m of links.matchAll(/^\d+:\s+klab(\d+)[@:]/gm)) indexes.add(Number(m[1]));
  // Kill all hosts first, then wait for all of them at once: the kernel's teardown of each host
  // takes about a second of waiting, which overlaps when done together.
  const hosts = [...indexes].map(labHost);
  await waitGone((await mapLimit(hosts, 16, killHost)).flat());
  await mapLimit(hosts, 16, (h) => removeHost(paths, h));
  if ((await run("ip", ["link", "show", BRIDGE], { check: false })).code === 0) await run("ip", ["link", "del", BRIDGE]);
  rmSync(paths.hostsDir, { recursive: true, force: true });
  for (const f of [paths.stateFile, paths.inventoryYaml, paths.inventoryIni, paths.knownHosts]) rmSync(f, { force: true });
  await releaseNetnsDir();
  releaseLab(paths);
  log(`lab down: ${indexes.size} host(s) removed`);
  return indexes.size;
}

/** `ip netns add` turns /run/netns into a mount point; undo that when no namespace is left in it. */
async function releaseNetnsDir(): Promise<void> {
  if (!existsSync("/run/netns") || readdirSync("/run/netns").length) return;
  for (let i = 0; i < 4; i++) {
    const r = await run("mountpoint", ["-q", "/run/netns"], { check: false });
    if (r.code !== 0) break;
    await run("umount", ["/run/netns"], { check: false });
  }
  try {
    rmdirSync("/run/netns");
  } catch {
    /* not empty or busy: leave it */
  }
}

export interface HostStatus {
  name: string;
  address: string;
  netns: string;
  initPid?: number;
  sshd: boolean;
  link: "up" | "down" | "missing";
}

export async function status(): Promise<HostStatus[]> {
  return mapLimit(await runningHostIndexes(), 16, async (i) => {
    const h = labHost(i);
    const pid = await initPid(h);
    const l = await run("ip", ["-o", "link", "show", h.veth], { check: false });
    const link = l.code !== 0 ? "missing" : /[<,]UP[,>]/.test(l.stdout) ? "up" : "down";
    let sshd = false;
    if (pid && link === "up")
      sshd = await waitForPort(h.address, 22, 1000).then(
        () => true,
        () => false,
      );
    return { name: h.name, address: h.address, netns: h.netns, initPid: pid, sshd, link };
  });
}

// ---------------------------------------------------------------------------------------------
// Per-host helpers that change the lab itself

/** Take a host's link down (as a pulled cable: packets are dropped, connections hang). */
export async function cutLink(host: string | number | LabHostName): Promise<void> {
  const h = typeof host === "object" ? host : labHost(hostIndex(host));
  await run("ip", ["link", "set", h.veth, "down"]);
}

export async function restoreLink(host: string | number | LabHostName): Promise<void> {
  const h = typeof host === "object" ? host : labHost(hostIndex(host));
  await run("ip", ["link", "set", h.veth, "up"]);
  await waitForPort(h.address, 22, 10_000).catch(() => {}); // sshd may be stopped on purpose
}

/** Throw the host's changes away: a fresh overlay, same address and host key, sshd running. */
export async function resetHost(host: string | number | LabHostName, opts: { paths?: LabPaths } = {}): Promise<LabHost> {
  const paths = opts.paths ?? labPaths();
  const h = typeof host === "object" ? labHost(host.index) : labHost(hostIndex(host));
  return withLabLock(paths, async () => {
    const lower = readLabState(paths)?.rootfs ?? rootfsDir(paths);
    return startHost(paths, h, lower, await ensureLabKey(paths));
  });
}
