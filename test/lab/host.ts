// One lab host: finding what runs (from the machine itself), running commands inside a host
// without SSH, the bridge, and starting and stopping a host (namespaces, overlayfs, PID 1, sshd).
// lab.ts brings whole labs up and down with these; scratch.ts starts private hosts.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  BRIDGE,
  BRIDGE_ADDRESS,
  LAB_NET,
  LAB_PREFIX,
  NETNS_PREFIX,
  assertLabAddress,
  hostIndex,
  inLabNet,
  labHost,
  type LabHostName,
  type LabPaths,
} from "./config.js";
import { LAB_USER } from "./rootfs.js";
import { LabError, pidAlive, run, sleep, type RunOptions, type RunResult } from "./util.js";

export interface LabHost extends LabHostName {
  /** "ssh-ed25519 AAAA…" */
  hostKey: string;
}

// ---------------------------------------------------------------------------------------------
// Discovery: what is running now, from the machine itself (not from a state file).

/** Numbers of the hosts whose network namespace exists. */
export async function runningHostIndexes(): Promise<number[]> {
  const { stdout } = await run("ip", ["netns", "list"], { check: false });
  const out: number[] = [];
  for (const line of stdout.split("\n")) {
    const m = new RegExp(`^${NETNS_PREFIX}lab(\\d+)\\b`).exec(line.trim());
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

export async function netnsPids(netns: string): Promise<number[]> {
  const r = await run("ip", ["netns", "pids", netns], { check: false });
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** The host's PID 1 (tini), seen from the machine, or undefined when the host is not running. */
export async function initPid(host: string | number | LabHostName): Promise<number | undefined> {
  const h = typeof host === "object" ? host : labHost(hostIndex(host));
  for (const pid of await netnsPids(h.netns)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === "1") return pid;
    } catch {
      /* exited meanwhile */
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running commands inside a host, without SSH.

const HOST_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root", LANG: "C.UTF-8", TERM: "dumb" };

/**
 * Run a POSIX sh command as root inside a host (its namespaces and its root), bypassing SSH and
 * the network: for tampering, inspection and service control. Throws on a non-zero exit unless
 * opts.check is false.
 */
export async function hostExec(host: string | number | LabHostName, cmd: string, opts: RunOptions = {}): Promise<RunResult> {
  const h = typeof host === "object" ? host : labHost(hostIndex(host));
  const pid = await initPid(h);
  if (!pid) throw new LabError(`lab host ${h.name} is not running`);
  return run("nsenter", ["-t", String(pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", "/bin/sh", "-c", cmd], {
    timeoutMs: 120_000,
    ...opts,
    env: { ...HOST_ENV, ...(opts.env ?? {}) },
  });
}

/** Resolve when host:port accepts TCP (and, for port 22, sends an SSH banner). */
export function waitForPort(address: string, port: number, timeoutMs = 15_000, open = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const attempt = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = connect({ host: address, port, timeout: 1000 });
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        s.destroy();
        resolve(ok);
      };
      s.on("data", (d) => finish(port !== 22 || d.toString().startsWith("SSH-")));
      s.on("connect", () => {
        if (port !== 22) finish(true);
      });
      s.on("timeout", () => finish(false));
      s.on("error", () => finish(false));
      s.on("close", () => finish(false));
    });
  return (async () => {
    for (;;) {
      if ((await attempt()) === open) return;
      if (Date.now() > deadline) throw new LabError(`${address}:${port} did not ${open ? "open" : "close"} within ${timeoutMs} ms`);
      await sleep(open ? 100 : 200);
    }
  })();
}

// ---------------------------------------------------------------------------------------------
// Bridge

export async function ensureBridge(): Promise<void> {
  assertLabAddress(BRIDGE_ADDRESS);
  // Refuse if anything other than our bridge already uses the lab range: we would shadow it.
  const { stdout } = await run("ip", ["-o", "-4", "addr", "show"]);
  for (const line of stdout.split("\n")) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\/(\d+)/.exec(line);
    if (m && m[1] !== BRIDGE && inLabNet(m[2]!)) {
      throw new LabError(`refusing to start: interface ${m[1]} already has ${m[2]}/${m[3]} in the lab range ${LAB_NET}/${LAB_PREFIX}`);
    }
  }
  const exists = (await run("ip", ["link", "show", BRIDGE], { check: false })).code === 0;
  if (!exists) {
    // A fixed MAC: a bridge otherwise takes the lowest MAC of its ports, which changes as hosts
    // come and go and leaves the hosts' ARP entries for 198.18.0.1 pointing nowhere.
    await run("ip", ["link", "add", BRIDGE, "address", "02:6b:65:65:6c:01", "type", "bridge"]);
    // No IPv6 link-local address: the lab uses no address outside 198.18.0.0/15.
    await run("ip", ["link", "set", BRIDGE, "addrgenmode", "none"]);
  }
  const addrs = (await run("ip", ["-o", "-4", "addr", "show", "dev", BRIDGE])).stdout;
  if (!addrs.includes(` ${BRIDGE_ADDRESS}/${LAB_PREFIX} `)) {
    await run("ip", ["addr", "add", `${BRIDGE_ADDRESS}/${LAB_PREFIX}`, "dev", BRIDGE]);
  }
  await run("ip", ["link", "set", BRIDGE, "up"]);
}

// ---------------------------------------------------------------------------------------------
// One host

/** Runs as PID 1 of the host's fresh PID namespace, in its private mount namespace, then execs tini. */
const INIT_SCRIPT = String.raw`# keel lab host init: written by test/lab/host.ts, run as PID 1 of a host's PID namespace.
set -eu
R=$1 LOWER=$2 UPPER=$3 WORK=$4 REPO=$5 NAME=$6
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORK" "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
# Kernel-wide sysctls stay read-only inside hosts; the namespace's own net.* stays writable.
mount --bind "$R/proc/sys" "$R/proc/sys"
mount --bind "$R/proc/sys/net" "$R/proc/sys/net"
mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/sys"
if [ -e "$R/proc/sysrq-trigger" ]; then
  mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"
  mount -o remount,bind,ro "$R/proc/sysrq-trigger"
fi
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o nosuid,noexec,mode=755,size=1m dev "$R/dev"
for d in null zero full random urandom tty; do : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=64m shm "$R/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=755,size=64m run "$R/run"
mkdir -p "$R/run/lock" "$R/run/sshd"
chmod 1777 "$R/run/lock"
# The host's boot id for the simulated reboot (see LAB_REBOOT): new at every host start.
cat /proc/sys/kernel/random/uuid > "$R/run/lab-boot-id"
mount --bind "$REPO" "$R/srv/keel-repo"
mount -o remount,bind,ro "$R/srv/keel-repo"
hostname "$NAME"
exec chroot "$R" /usr/bin/tini -- /bin/sleep infinity
`;

/** The init script as a file (readable in `ps`), rewritten only when it changed. */
function initScriptFile(paths: LabPaths): string {
  const file = join(paths.state, "host-init.sh");
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    /* first use */
  }
  if (current !== INIT_SCRIPT) {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(tmp, INIT_SCRIPT);
    renameSync(tmp, file);
  }
  return file;
}

/**
 * /usr/local/sbin/lab-reboot, installed in each host's overlay (not the shared rootfs). Lab hosts
 * share this machine's kernel and have no init, so they cannot really reboot (and `reboot` must
 * never run against this machine). This simulates what system.reboot observes of a reboot, for
 * its e2e tests: the command returns at once; then, detached, every SSH connection drops and
 * port 22 refuses, the boot id in /run/lab-boot-id changes (the init script sets the first one),
 * and after the downtime sshd accepts connections again. `--halt` goes down for good (as
 * poweroff). Other processes keep running and /run is kept (no test relies on either), except
 * /run/reboot-required(.pkgs), which a real boot clears and the patch tests look at.
 */
const LAB_REBOOT = String.raw`#!/bin/sh
# lab-reboot: a simulated reboot of a keel lab host, written by test/lab/host.ts (see LAB_REBOOT there).
#   lab-reboot [--downtime SECONDS] [--halt]
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
downtime=3 halt=0 detached=0
while [ $# -gt 0 ]; do
  case $1 in
    --downtime) downtime=$2; shift 2 ;;
    --halt) halt=1; shift ;;
    --detached) detached=1; shift ;;
    *) echo "usage: lab-reboot [--downtime SECONDS] [--halt]" >&2; exit 2 ;;
  esac
done
case $downtime in ''|*[!0-9]*) echo "lab-reboot: --downtime needs whole seconds" >&2; exit 2 ;; esac
if [ "$detached" = 0 ]; then
  # Like reboot(8): return at once; the connection this came through drops a moment later.
  a="--downtime $downtime"; [ "$halt" = 1 ] && a="$a --halt"
  setsid -f env -i PATH="$PATH" /bin/sh "$0" --detached $a </dev/null >>/var/log/lab-reboot.log 2>&1
  exit 0
fi
sleep 0.2
echo "$(date -u +%FT%TZ) going down (halt=$halt, downtime $downtime s)"
service ssh stop >/dev/null 2>&1 || true
# Every session too: a reboot drops all connections, not only the listener.
cd /proc
for i in 1 2 3 4 5 6 7 8 9 10; do
  left=0
  for pid in [0-9]*; do
    case $(cat "$pid/comm" 2>/dev/null) in
      sshd|sshd-session) kill -KILL "$pid" 2>/dev/null || true; left=1 ;;
    esac
  done
  [ "$left" = 0 ] && break
  sleep 0.1
done
cat /proc/sys/kernel/random/uuid > /run/lab-boot-id.new && mv /run/lab-boot-id.new /run/lab-boot-id
# A real boot starts with an empty /run: the "reboot required" flag of the packages is gone.
rm -f /run/reboot-required /run/reboot-required.pkgs
cd /
[ "$halt" = 1 ] && { echo "halted"; exit 0; }
sleep "$downtime"
service ssh start >/dev/null
echo "$(date -u +%FT%TZ) up (boot id $(cat /run/lab-boot-id))"
`;

function hostDir(paths: LabPaths, h: LabHostName) {
  const dir = join(paths.hostsDir, h.name);
  return { dir, upper: join(dir, "upper"), work: join(dir, "work"), merged: join(dir, "root"), keys: join(dir, "keys"), log: join(dir, "console.log") };
}

function mkdirOwned(path: string, mode: number, uid = 0, gid = 0): void {
  mkdirSync(path, { recursive: true });
  chmodSync(path, mode);
  chownSync(path, uid, gid);
}

/** Prepare the host's upper layer: hostname, host key, authorized lab key, machine id. */
async function prepareUpper(paths: LabPaths, h: LabHostName, labPub: string): Promise<string> {
  const d = hostDir(paths, h);
  // Host keys survive resetHost (kept beside the overlay) so known_hosts stays valid.
  mkdirSync(d.keys, { recursive: true, mode: 0o700 });
  const key = join(d.keys, "ssh_host_ed25519_key");
  if (!existsSync(key)) await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@${h.name}`, "-f", key]);
  rmSync(d.upper, { recursive: true, force: true });
  rmSync(d.work, { recursive: true, force: true });
  mkdirSync(d.work, { recursive: true });
  mkdirSync(d.merged, { recursive: true });
  mkdirOwned(d.upper, 0o755);
  const u = (rel: string) => join(d.upper, rel);
  mkdirOwned(u("etc"), 0o755);
  mkdirOwned(u("etc/ssh"), 0o755);
  writeFileSync(u("etc/hostname"), `${h.name}\n`);
  writeFileSync(u("etc/hosts"), `127.0.0.1\tlocalhost\n${h.address}\t${h.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  writeFileSync(u("etc/machine-id"), randomBytes(16).toString("hex") + "\n");
  copyFileSync(key, u("etc/ssh/ssh_host_ed25519_key"));
  chmodSync(u("etc/ssh/ssh_host_ed25519_key"), 0o600);
  copyFileSync(key + ".pub", u("etc/ssh/ssh_host_ed25519_key.pub"));
  mkdirOwned(u("root"), 0o700);
  mkdirOwned(u("root/.ssh"), 0o700);
  writeFileSync(u("root/.ssh/authorized_keys"), labPub, { mode: 0o600 });
  mkdirOwned(u("home"), 0o755);
  mkdirOwned(u(`home/${LAB_USER}`), 0o755, 1000, 1000);
  mkdirOwned(u(`home/${LAB_USER}/.ssh`), 0o700, 1000, 1000);
  writeFileSync(u(`home/${LAB_USER}/.ssh/authorized_keys`), labPub, { mode: 0o600 });
  chownSync(u(`home/${LAB_USER}/.ssh/authorized_keys`), 1000, 1000);
  for (const dir of ["usr", "usr/local", "usr/local/sbin"]) mkdirOwned(u(dir), 0o755);
  writeFileSync(u("usr/local/sbin/lab-reboot"), LAB_REBOOT, { mode: 0o755 });
  return readFileSync(key + ".pub", "utf8")
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(" ");
}

function hostMac(index: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `02:6b:6c:00:${hex(index >> 8)}:${hex(index & 255)}`;
}

async function createNetwork(h: LabHostName): Promise<void> {
  assertLabAddress(h.address);
  await run("ip", ["netns", "add", h.netns]);
  await run("ip", ["-b", "-"], {
    input:
      [
        // The host's MAC is fixed by its number, so a reset host keeps it and ARP caches stay right.
        `link add ${h.veth} type veth peer name eth0 address ${hostMac(h.index)} netns ${h.netns}`,
        `link set ${h.veth} addrgenmode none`,
        `link set ${h.veth} master ${BRIDGE} up`,
      ].join("\n") + "\n",
  });
  await run("ip", ["-n", h.netns, "-b", "-"], {
    input:
      [
        "link set lo up",
        "link set eth0 addrgenmode none",
        `addr add ${h.address}/${LAB_PREFIX} dev eth0`,
        "link set eth0 up",
        `route add default via ${BRIDGE_ADDRESS}`,
      ].join("\n") + "\n",
  });
}

/** Start the host's PID 1 and wait until it is tini inside the host's root. */
async function startInit(paths: LabPaths, h: LabHostName, lower: string): Promise<number> {
  const d = hostDir(paths, h);
  const log = openSync(d.log, "a");
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      h.netns,
      "unshare",
      "--mount",
      "--uts",
      "--ipc",
      "--pid",
      "--fork",
      "--propagation",
      "private",
      "/bin/sh",
      initScriptFile(paths),
      d.merged,
      lower,
      d.upper,
      d.work,
      paths.repo,
      h.name,
    ],
    // A clean environment: nothing of the caller's leaks into the host's PID 1.
    { detached: true, stdio: ["ignore", log, log], env: { ...HOST_ENV } },
  );
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const pid = await initPid(h);
    if (pid) {
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "tini") return pid;
      } catch {
        /* racing exec */
      }
    }
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  const out = existsSync(d.log) ? readFileSync(d.log, "utf8").trim().split("\n").slice(-5).join(" | ") : "";
  throw new LabError(`lab host ${h.name} did not start: ${out || "no output"}`);
}

export async function startSshd(host: string | number | LabHostName): Promise<void> {
  const h = typeof host === "object" ? host : labHost(hostIndex(host));
  await hostExec(h, "service ssh start >/dev/null");
  await waitForPort(h.address, 22);
}

export async function stopSshd(host: string | number | LabHostName): Promise<void> {
  const h = typeof host === "object" ? host : labHost(hostIndex(host));
  await hostExec(h, "service ssh stop >/dev/null");
  await waitForPort(h.address, 22, 10_000, false);
}

export async function startHost(paths: LabPaths, h: LabHostName, lower: string, labPub: string): Promise<LabHost> {
  await stopHost(paths, h, { keepKeys: true });
  try {
    const hostKey = await prepareUpper(paths, h, labPub);
    await createNetwork(h);
    await startInit(paths, h, lower);
    await startSshd(h);
    return { ...h, hostKey };
  } catch (e) {
    await stopHost(paths, h, { keepKeys: true }).catch(() => {});
    throw e;
  }
}

/** Kill everything in the host, then remove its links, namespace and (unless keepKeys) its files. */
export async function stopHost(paths: LabPaths, h: LabHostName, opts: { keepKeys?: boolean } = {}): Promise<void> {
  await waitGone(await killHost(h));
  await removeHost(paths, h, opts);
}

/**
 * SIGKILL every process in the host's network namespace (its PID 1 first takes the rest of its PID
 * namespace along). Returns every pid seen: a dying process leaves its namespaces before it is
 * gone, and the kernel releases the host's mounts only when the last one has exited.
 */
export async function killHost(h: LabHostName): Promise<number[]> {
  const seen = new Set<number>();
  for (let i = 0; i < 100; i++) {
    const pids = await netnsPids(h.netns);
    if (!pids.length) break;
    for (const pid of pids) {
      seen.add(pid);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    await sleep(20);
  }
  return [...seen];
}

/** Wait (up to 10 s) until these processes have exited; a PID namespace's init lingers a moment. */
export async function waitGone(pids: number[]): Promise<void> {
  for (let i = 0; i < 500 && pids.some(pidAlive); i++) await sleep(20);
}

export async function removeHost(paths: LabPaths, h: LabHostName, opts: { keepKeys?: boolean } = {}): Promise<void> {
  if ((await run("ip", ["link", "show", h.veth], { check: false })).code === 0) await run("ip", ["link", "del", h.veth], { check: false });
  if (existsSync(`/run/netns/${h.netns}`)) await run("ip", ["netns", "del", h.netns]);
  const d = hostDir(paths, h);
  if (opts.keepKeys) {
    for (const p of [d.upper, d.work, d.merged, d.log]) rmSync(p, { recursive: true, force: true });
  } else {
    rmSync(d.dir, { recursive: true, force: true });
  }
}
