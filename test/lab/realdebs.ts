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
 * nfs-kernel-server are what the remaining corpus roles install. aptitude is what Ansible's apt
 * module uses for `upgrade:` when it is installed (and the apt corpus role installs);
 * python3-mysqldb is the MySQL driver Ansible's community.mysql prefers (the mysql corpus row);
 * mailutils, sasl2-bin and libsasl2-modules are what the postfix corpus role installs, and
 * isc-dhcp-client provides /etc/dhcp/dhclient.conf, which the dns corpus role edits.
 * Dependencies come without Recommends.
 */
export const REAL_DEBS: readonly string[] = [
  "aide",
  "aide-common",
  "apache2",
  "apache2-utils",
  "aptitude",
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
  "isc-dhcp-client",
  "kmod",
  "libpam-passwdqc",
  "libpam-pwquality",
  "libsasl2-modules",
  "locales",
  "logrotate",
  "mailutils",
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
  "python3-mysqldb",
  "python3-pip",
  "python3-psycopg2",
  "python3-pymysql",
  "python3-venv",
  "redis-server",
  "rsyslog",
  "ruby",
  "sasl2-bin",
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

/** apt-get -s install on the rootfs: its "Inst NAME [INSTALLED] (VERSION …)" lines, or apt's refusal. */
async function simulate(statusFile: string, names: string[]): Promise<Inst[] | { unmet: string }> {
  const res = await run(
    "apt-get",
    ["-o", `Dir::State::status=${statusFile}`, "-o", "Debug::NoLocking=1", "-s", "--no-install-recommends", "install", ...names],
    { check: false },
  );
  if (res.code !== 0) return { unmet: `${res.stdout}\n${res.stderr}` };
  return res.stdout
    .split("\n")
    .map((l) => /^Inst (\S+) (?:\[(\S+)\] )?\((\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ name: m[1]!, version: m[3]!, ...(m[2] ? { installed: m[2] } : {}) }));
}

/**
 * The packages apt names as unmet because a dependency is pinned: "X : Depends: Y (>= V) but W is to
 * be installed" with Y pinned. Pure, for the test.
 */
export function blockedByPins(aptOutput: string, pins: ReadonlyMap<string, string>): string[] {
  const out = new Set<string>();
  for (const m of aptOutput.matchAll(/^\s*(\S+) : (?:Pre)?Depends: (\S+) \([^)]*\) but (\S+) is to be installed/gm)) {
    if (pins.get(m[2]!) === m[3]) out.add(m[1]!);
  }
  return [...out];
}

/** The versions apt knows for a package, newest first (apt-cache madison). */
async function versions(name: string): Promise<string[]> {
  const { stdout } = await run("apt-cache", ["madison", name]);
  return [
    ...new Set(
      stdout
        .split("\n")
        .map((l) => l.split("|")[1]?.trim())
        .filter((v): v is string => !!v),
    ),
  ];
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
  const first = await simulate(statusFile, [...REAL_DEBS]);
  if (!Array.isArray(first)) throw new LabError(`apt cannot install the real packages on the rootfs:\n${first.unmet.trim()}`);
  let plan = first;
  const pins = new Map<string, string>();
  for (const up of plan.filter((p) => p.installed !== undefined)) for (const p of plan) if (p.version === up.version) pins.set(p.name, up.installed!);
  if (pins.size > 0) {
    // A security update of a new package may need the newer build of a pinned one (libdbi-perl
    // from bookworm-security needs perl deb12u4 while the rootfs has deb12u3): such a package is
    // pinned in turn to the newest older version apt knows, until apt agrees (a few rounds at most).
    const older = new Map<string, string[]>();
    for (let round = 0; ; round++) {
      const names = [...REAL_DEBS.filter((n) => !pins.has(n)), ...[...pins].map(([n, v]) => `${n}=${v}`)];
      const res = await simulate(statusFile, names);
      if (Array.isArray(res)) {
        plan = res;
        break;
      }
      const blocked = blockedByPins(res.unmet, pins);
      if (!blocked.length || round >= 8) throw new LabError(`apt cannot install the real packages with the rootfs's versions pinned:\n${res.unmet.trim()}`);
      for (const name of blocked) {
        if (!older.has(name)) older.set(name, await versions(name));
        const known = older.get(name)!;
        const current = pins.get(name) ?? plan.find((p) => p.name === name)?.version ?? known[0];
        const next = known[known.indexOf(current ?? "") + 1];
        if (!next) throw new LabError(`apt cannot install ${name} with the rootfs's versions pinned, and no older version is known:\n${res.unmet.trim()}`);
        pins.set(name, next);
      }
    }
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
