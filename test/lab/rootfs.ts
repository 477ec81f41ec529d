// The lab's Debian 12 root filesystem: built once with debootstrap, cached outside the repo under a
// name derived from the package list and this recipe, and shared read-only (as overlayfs lower
// layer) by every host. A build goes to a temporary directory that is renamed into place only when
// complete, so an interrupted build never leaves a half cache behind.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { labPaths, type LabPaths } from "./config.js";
import { LabError, pidAlive, run } from "./util.js";

export const SUITE = "bookworm";
/** Packages on top of minbase. python3 is only there for the Ansible benchmark. */
export const ROOTFS_PACKAGES = [
  "ca-certificates",
  "cron",
  "init-system-helpers",
  "iproute2",
  "iputils-ping",
  "nftables",
  "openssh-server",
  "procps",
  "python3",
  "sudo",
  "tini",
];
/** Bump when finalize() changes, so caches built by an older recipe are not reused. */
const RECIPE = 4;

/** Where the lab's apt repository appears inside every host. */
export const HOST_REPO_DIR = "/srv/keel-repo";
export const APT_SUITES = ["keel", "keel-security", "keel-updates"];
/** A non-root login with passwordless sudo, for become tests (the lab key is authorized for it). */
export const LAB_USER = "labuser";

export function rootfsId(): string {
  const h = createHash("sha256")
    .update(`${SUITE}\n${[...ROOTFS_PACKAGES].sort().join(",")}\nrecipe ${RECIPE}\n`)
    .digest("hex");
  return `rootfs-${SUITE}-${h.slice(0, 12)}`;
}

export function rootfsDir(paths: LabPaths = labPaths()): string {
  return join(paths.cache, rootfsId());
}

export interface BuildReport {
  dir: string;
  built: boolean;
  seconds: number;
}

/** Return the cached rootfs, building it first when missing. */
export async function ensureRootfs(opts: { paths?: LabPaths; log?: (line: string) => void; mirror?: string } = {}): Promise<BuildReport> {
  const paths = opts.paths ?? labPaths();
  const log = opts.log ?? (() => {});
  const dir = rootfsDir(paths);
  if (existsSync(dir)) return { dir, built: false, seconds: 0 };
  const started = Date.now();
  mkdirSync(paths.cache, { recursive: true });
  // Remove builds left by dead processes (their names carry the pid).
  for (const e of readdirSync(paths.cache)) {
    const m = /^\.build-.*-(\d+)$/.exec(e);
    if (m && !pidAlive(Number(m[1]))) rmSync(join(paths.cache, e), { recursive: true, force: true });
  }
  const tmp = join(paths.cache, `.build-${rootfsId()}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const mirror = opts.mirror ?? process.env.KEEL_LAB_MIRROR ?? "http://deb.debian.org/debian";
  log(`building lab rootfs ${rootfsId()} with debootstrap from ${mirror} (about a minute; cached afterwards)`);
  try {
    await run("debootstrap", ["--variant=minbase", `--include=${ROOTFS_PACKAGES.join(",")}`, SUITE, tmp, mirror], { timeoutMs: 30 * 60_000 });
    await finalize(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new LabError(`rootfs build failed: ${(e as Error).message}`);
  }
  if (existsSync(dir)) {
    // Another process finished the same build first; theirs is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
  } else {
    renameSync(tmp, dir);
  }
  const seconds = (Date.now() - started) / 1000;
  log(`rootfs ready in ${seconds.toFixed(1)} s: ${dir}`);
  return { dir, built: true, seconds };
}

/** Turn a fresh debootstrap tree into the shared lower layer of every host. */
async function finalize(root: string): Promise<void> {
  const p = (rel: string) => join(root, rel);
  // No internet on hosts: the only apt source is the lab repository.
  rmSync(p("etc/apt/sources.list"), { force: true });
  writeFileSync(p("etc/apt/sources.list.d/keel-lab.list"), APT_SUITES.map((s) => `deb [trusted=yes] file:${HOST_REPO_DIR} ${s} main\n`).join(""));
  for (const d of ["var/lib/apt/lists", "var/cache/apt/archives"]) {
    for (const e of readdirSync(p(d))) if (e !== "partial" && e !== "lock") rmSync(join(p(d), e), { recursive: true, force: true });
  }
  for (const e of readdirSync(p("var/cache/apt"))) if (e.endsWith(".bin")) rmSync(join(p("var/cache/apt"), e));
  mkdirSync(p(HOST_REPO_DIR.slice(1)), { recursive: true });
  // Each host gets its own host key at start; none is shared through the image.
  for (const e of readdirSync(p("etc/ssh"))) if (e.startsWith("ssh_host_")) rmSync(join(p("etc/ssh"), e));
  writeFileSync(
    p("etc/ssh/sshd_config.d/00-keel-lab.conf"),
    "# keel lab: one ed25519 host key per host, no DNS lookups, room for many parallel connections.\n" +
      "HostKey /etc/ssh/ssh_host_ed25519_key\nUseDNS no\nMaxStartups 200:30:400\nMaxSessions 64\n",
  );
  writeFileSync(p("etc/resolv.conf"), "# keel lab hosts have no DNS\n");
  writeFileSync(p("etc/hostname"), "lab\n");
  writeFileSync(p("etc/machine-id"), "");
  await run("chroot", [root, "useradd", "--create-home", "--uid", "1000", "--shell", "/bin/bash", LAB_USER]);
  writeFileSync(p(`etc/sudoers.d/${LAB_USER}`), `${LAB_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`);
  chmodSync(p(`etc/sudoers.d/${LAB_USER}`), 0o440);
  mkdirSync(p("root/.ssh"), { recursive: true, mode: 0o700 });
  // Look like a sysv system in runlevel 2 (hosts run no init system, tini is PID 1): invoke-rc.d
  // then starts a package's service on install when its rc2.d link says it is enabled.
  writeFileSync(p("usr/sbin/runlevel"), "#!/bin/sh\n# keel lab: hosts always run in runlevel 2\necho N 2\n", { mode: 0o755 });
  symlinkSync("/usr/bin/tini", p("usr/sbin/init"));
}
