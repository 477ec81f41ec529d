// Real Debian packages for the lab's local apt repository, for tests that need the genuine tool
// (auditd, AIDE, pam_pwquality, kmod's modprobe, ufw and its iptables) rather than a tiny built
// .deb. Lab hosts have no internet; the machine reaches Debian's mirrors. So the machine asks apt
// which packages the lab's rootfs would need to install the listed ones (its own package lists,
// the rootfs's dpkg status), downloads exactly those once into a cache, and buildAptRepo publishes
// them in the `keel` suite.
//
// Add a package: append its name to REAL_DEBS (keep the list sorted). The cache key covers the
// names and the rootfs, so a new name or a new rootfs downloads again; nothing else does.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labPaths, type LabPaths } from "./config.js";
import { rootfsDir } from "./rootfs.js";
import { LabError, run } from "./util.js";

/**
 * The packages (their dependencies come along). systemd-standalone-sysusers is listed so that
 * aide-common's "systemd | systemd-standalone-sysusers" dependency is met without systemd itself.
 * The services from apache2 to unattended-upgrades, libpam-passwdqc (os_hardening) and htop,
 * munin-node and rsyslog are what the compatibility corpus's roles install (test/compat/roles.json),
 * so that keel and Ansible converge them on lab hosts; python3-apt is what Ansible's apt module
 * needs (without it, it installs it as a side effect). bzip2, unzip and xz-utils are what
 * files.unarchive (and Ansible's unarchive) need for .tar.bz2, .zip and .tar.xz archives. nodejs,
 * python3-pip and python3-venv are what packages.pip (Ansible's pip, virtualenvs) and roles installing
 * them need. locales and ruby are what system.locale_gen and packages.gem (Oefenweb locales,
 * geerlingguy ruby) need.
 * mariadb-server, postgresql and their Python drivers (python3-pymysql, python3-psycopg2, which
 * Ansible's community.mysql / community.postgresql modules need) are for the database modules and
 * the mysql/postgresql corpus roles; bind9, cron, logrotate, supervisor, vim, certbot and
 * nfs-kernel-server are what the remaining corpus roles install.
 * Dependencies come without Recommends.
 */
export const REAL_DEBS: readonly string[] = [
  "aide",
  "aide-common",
  "apache2",
  "apache2-utils",
  "audispd-plugins",
  "auditd",
  "bind9",
  "bzip2",
  "certbot",
  "cron",
  "fail2ban",
  "git",
  "haproxy",
  "htop",
  "iptables",
  "kmod",
  "libpam-passwdqc",
  "libpam-pwquality",
  "locales",
  "logrotate",
  "mariadb-client",
  "mariadb-server",
  "memcached",
  "munin-node",
  "nfs-kernel-server",
  "nginx",
  "nodejs",
  "ntp",
  "php8.2-cli",
  "php8.2-common",
  "postfix",
  "postgresql",
  "postgresql-contrib",
  "python3-apt",
  "python3-pip",
  "python3-psycopg2",
  "python3-pymysql",
  "python3-venv",
  "redis-server",
  "rsyslog",
  "ruby",
  "supervisor",
  "systemd-standalone-sysusers",
  "ufw",
  "unattended-upgrades",
  "unzip",
  "vim",
  "xz-utils",
];

/** Content key of the real packages for the repository's recipe hash. */
export function realDebsKey(paths: LabPaths = labPaths()): string {
  return createHash("sha256")
    .update(`${[...REAL_DEBS].sort().join(",")}\n${rootfsDir(paths)}\nrootfs versions pinned`)
    .digest("hex")
    .slice(0, 16);
}

interface Inst {
  name: string;
  version: string;
  /** The version the rootfs has, when apt would upgrade it. */
  installed?: string;
}

/** apt-get -s install on the rootfs: its "Inst NAME [INSTALLED] (VERSION …)" lines. */
async function simulate(statusFile: string, names: string[]): Promise<Inst[]> {
  const { stdout } = await run("apt-get", [
    "-o",
    `Dir::State::status=${statusFile}`,
    "-o",
    "Debug::NoLocking=1",
    "-s",
    "--no-install-recommends",
    "install",
    ...names,
  ]);
  return stdout
    .split("\n")
    .map((l) => /^Inst (\S+) (?:\[(\S+)\] )?\((\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ name: m[1]!, version: m[3]!, ...(m[2] ? { installed: m[2] } : {}) }));
}

/**
 * What apt would install on the rootfs for REAL_DEBS: "name=version" each. The rootfs comes from
 * the release's main suite, the machine also sees its security suite: a dependency built from a
 * source the rootfs has (perl needs perl-base of the same build) would then upgrade a rootfs
 * package, which every lab host would see as a pending update (the patch tests count them). So
 * such a package and its siblings (the planned packages of the same new version) are pinned to the
 * version the rootfs has.
 */
export async function realDebsPlan(statusFile: string): Promise<string[]> {
  let plan = await simulate(statusFile, [...REAL_DEBS]);
  const pins = new Map<string, string>();
  for (const up of plan.filter((p) => p.installed !== undefined)) for (const p of plan) if (p.version === up.version) pins.set(p.name, up.installed!);
  if (pins.size > 0) {
    plan = await simulate(statusFile, [...REAL_DEBS.filter((n) => !pins.has(n)), ...[...pins].map(([n, v]) => `${n}=${v}`)]);
    const still = plan.filter((p) => p.installed !== undefined);
    if (still.length)
      throw new LabError(`the real packages would upgrade rootfs packages: ${still.map((p) => `${p.name} ${p.installed} → ${p.version}`).join(", ")}`);
  }
  return plan.map((p) => `${p.name}=${p.version}`);
}

/**
 * The .deb files of REAL_DEBS and the dependencies the rootfs lacks, downloaded once into
 * <cache>/realdebs/<key>/ (apt-get download on the machine). Needs the rootfs (its dpkg status).
 */
export async function fetchRealDebs(paths: LabPaths = labPaths()): Promise<string[]> {
  const dir = join(paths.cache, "realdebs", realDebsKey(paths));
  const stamp = join(dir, ".complete");
  if (!existsSync(stamp)) {
    const status = join(rootfsDir(paths), "var/lib/dpkg/status");
    if (!existsSync(status)) throw new LabError(`the lab rootfs is not built (${status} missing): build it before the real packages`);
    const plan = await realDebsPlan(status);
    if (!plan.length) throw new LabError(`apt on this machine found nothing to install for ${REAL_DEBS.join(", ")}; run apt-get update`);
    const tmp = `${dir}.partial-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await run("apt-get", ["download", ...plan], { cwd: tmp });
      writeFileSync(join(tmp, ".complete"), `${plan.join("\n")}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const want = readFileSync(stamp, "utf8").trim().split("\n").length;
  const debs = readdirSync(dir)
    .filter((f) => f.endsWith(".deb"))
    .map((f) => join(dir, f));
  if (debs.length !== want) throw new LabError(`${dir} holds ${debs.length} packages, expected ${want}; remove it to download again`);
  return debs;
}
