// The lab's local apt repository: a few tiny .deb packages built with dpkg-deb, indexed with
// dpkg-scanpackages, and published in three suites so package and patch modules can be tested
// offline. Every lab host sees the directory read-only at /srv/keel-repo.
//
//   suite keel           keel-hello 1.0, keel-tool 1.0, keel-daemon 1.0
//   suite keel-security  keel-hello 1.1   (a "security" update)
//   suite keel-updates   keel-tool 1.1    (an ordinary, non-security update)
//
// For the patch tests (patches.upgrade, keel patch report):
//   keel-kernelfix 1.0 (keel), 1.1 (keel-security): 1.1's postinst asks for a reboot the way
//     Debian's kernel and libc packages do (/var/run/reboot-required and its .pkgs list)
//   keel-pinned 1.0 (keel), 1.1 (keel-security): a security update that the tests put on hold
//
// Real Debian packages (test/lab/realdebs.ts: auditd, aide, libpam-pwquality, kmod…) and the
// dependencies the rootfs lacks are downloaded once on the machine and published in suite keel.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { copyFileSync } from "node:fs";
import { labPaths } from "./config.js";
import { fetchRealDebs, realDebsKey } from "./realdebs.js";
import { run } from "./util.js";

export interface DebFile {
  path: string;
  content: string;
  mode?: number;
}

export interface DebPackage {
  name: string;
  version: string;
  suite: string;
  description: string;
  files: DebFile[];
  /** Maintainer scripts: postinst, prerm, postrm. */
  scripts?: Partial<Record<"postinst" | "prerm" | "postrm", string>>;
  conffiles?: string[];
}

const hello = (version: string): DebPackage => ({
  name: "keel-hello",
  version,
  suite: version === "1.0" ? "keel" : "keel-security",
  description: `keel lab test package (prints its version, ${version})`,
  files: [
    { path: "/usr/bin/keel-hello", content: `#!/bin/sh\necho "keel-hello ${version}"\n`, mode: 0o755 },
    { path: "/usr/share/doc/keel-hello/VERSION", content: `${version}\n` },
  ],
});

const tool = (version: string): DebPackage => ({
  name: "keel-tool",
  version,
  suite: version === "1.0" ? "keel" : "keel-updates",
  description: `keel lab test tool (${version})`,
  files: [{ path: "/usr/bin/keel-tool", content: `#!/bin/sh\necho "keel-tool ${version}"\n`, mode: 0o755 }],
});

/** A tiny daemon: records each start and each HUP under /run so service tests can see them. */
const DAEMON = `#!/usr/bin/perl
# keel-daemon: test daemon for the keel lab. Appends a line to /run/keel-daemon.started when it
# starts and to /run/keel-daemon.reloaded on SIGHUP (reload); exits on SIGTERM. Perl (perl-base is
# essential) rather than sh: sh cannot trap a SIGHUP that was ignored when it started, as it is
# when dpkg starts the service on install.
use strict;
use warnings;
sub stamp { open(my $fh, ">>", $_[0]) or return; print $fh time(), " $$\\n"; close $fh; }
stamp("/run/keel-daemon.started");
$SIG{HUP} = sub { stamp("/run/keel-daemon.reloaded") };
$SIG{TERM} = $SIG{INT} = sub { unlink "/run/keel-daemon.pid"; exit 0 };
sleep 1 while 1;
`;

const INIT_SCRIPT = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          keel-daemon
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: keel lab test daemon
### END INIT INFO
NAME=keel-daemon
DAEMON=/usr/sbin/keel-daemon
PIDFILE=/run/keel-daemon.pid

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

do_start() {
  if running; then return 0; fi
  start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --startas "$DAEMON"
}

do_stop() {
  if [ -f "$PIDFILE" ]; then
    start-stop-daemon --stop --quiet --oknodo --retry TERM/5/KILL/2 --pidfile "$PIDFILE"
  fi
  rm -f "$PIDFILE"
}

case "$1" in
  start)   echo "Starting $NAME"; do_start ;;
  stop)    echo "Stopping $NAME"; do_stop ;;
  restart|force-reload) echo "Restarting $NAME"; do_stop; do_start ;;
  reload)
    if running; then echo "Reloading $NAME"; kill -HUP "$(cat "$PIDFILE")"; else echo "$NAME is not running" >&2; exit 7; fi ;;
  status)
    if running; then echo "$NAME is running"; exit 0; else echo "$NAME is not running"; exit 3; fi ;;
  *) echo "Usage: /etc/init.d/$NAME {start|stop|restart|reload|force-reload|status}" >&2; exit 3 ;;
esac
exit 0
`;

const daemon: DebPackage = {
  name: "keel-daemon",
  version: "1.0",
  suite: "keel",
  description: "keel lab test daemon with a sysv init script",
  files: [
    { path: "/usr/sbin/keel-daemon", content: DAEMON, mode: 0o755 },
    { path: "/etc/init.d/keel-daemon", content: INIT_SCRIPT, mode: 0o755 },
    { path: "/etc/keel-daemon.conf", content: "# keel-daemon configuration\ngreeting=hello\n" },
  ],
  conffiles: ["/etc/init.d/keel-daemon", "/etc/keel-daemon.conf"],
  scripts: {
    // Like a debhelper-made package: enable and start on install, stop on removal.
    postinst: `#!/bin/sh\nset -e\nif [ "$1" = configure ]; then\n  update-rc.d keel-daemon defaults >/dev/null\n  invoke-rc.d keel-daemon start || true\nfi\n`,
    prerm: `#!/bin/sh\nset -e\nif [ -x /etc/init.d/keel-daemon ]; then invoke-rc.d keel-daemon stop || true; fi\n`,
    postrm: `#!/bin/sh\nset -e\nif [ "$1" = purge ]; then update-rc.d keel-daemon remove >/dev/null || true; fi\n`,
  },
};

/** Asks for a reboot from its 1.1 postinst, as update-notifier-common's hook does for a kernel. */
const kernelfix = (version: string): DebPackage => ({
  name: "keel-kernelfix",
  version,
  suite: version === "1.0" ? "keel" : "keel-security",
  description: `keel lab test package that needs a reboot after its security update (${version})`,
  files: [{ path: "/usr/share/doc/keel-kernelfix/VERSION", content: `${version}\n` }],
  ...(version === "1.0"
    ? {}
    : {
        scripts: {
          postinst:
            `#!/bin/sh\nset -e\nif [ "$1" = configure ]; then\n  touch /var/run/reboot-required\n` +
            `  grep -qx keel-kernelfix /var/run/reboot-required.pkgs 2>/dev/null || echo keel-kernelfix >> /var/run/reboot-required.pkgs\nfi\n`,
        },
      }),
});

/** A package with a security update that the patch tests hold (apt-mark hold). */
const pinned = (version: string): DebPackage => ({
  name: "keel-pinned",
  version,
  suite: version === "1.0" ? "keel" : "keel-security",
  description: `keel lab test package that the patch tests keep on hold (${version})`,
  files: [{ path: "/usr/share/doc/keel-pinned/VERSION", content: `${version}\n` }],
});

export const REPO_PACKAGES: DebPackage[] = [
  hello("1.0"),
  hello("1.1"),
  tool("1.0"),
  tool("1.1"),
  daemon,
  kernelfix("1.0"),
  kernelfix("1.1"),
  pinned("1.0"),
  pinned("1.1"),
];

function controlFile(p: DebPackage): string {
  return [
    `Package: ${p.name}`,
    `Version: ${p.version}`,
    "Architecture: all",
    "Maintainer: keel lab <lab@keel.invalid>",
    "Section: misc",
    "Priority: optional",
    `Description: ${p.description}`,
    " Built by keel's test lab; not for real use.",
    "",
  ].join("\n");
}

async function buildDeb(p: DebPackage, outDir: string, work: string): Promise<string> {
  const root = join(work, `${p.name}_${p.version}`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  writeFileSync(join(root, "DEBIAN/control"), controlFile(p));
  for (const [name, body] of Object.entries(p.scripts ?? {})) {
    writeFileSync(join(root, "DEBIAN", name), body);
    chmodSync(join(root, "DEBIAN", name), 0o755);
  }
  if (p.conffiles?.length) writeFileSync(join(root, "DEBIAN/conffiles"), p.conffiles.join("\n") + "\n");
  for (const f of p.files) {
    const dest = join(root, f.path);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, f.content);
    chmodSync(dest, f.mode ?? 0o644);
  }
  const out = join(outDir, `${p.name}_${p.version}_all.deb`);
  mkdirSync(outDir, { recursive: true });
  await run("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, out]);
  return out;
}

function releaseFile(suite: string, indexes: { rel: string; body: Buffer }[]): string {
  const sum = (algo: string) =>
    indexes.map((i) => ` ${createHash(algo).update(i.body).digest("hex")} ${String(i.body.length).padStart(8)} ${i.rel}`).join("\n");
  return [
    "Origin: keel-lab",
    `Label: ${suite}`,
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    `Date: ${new Date().toUTCString()}`,
    "Architectures: amd64 all",
    "Components: main",
    "Description: keel lab local repository",
    "MD5Sum:",
    sum("md5"),
    "SHA256:",
    sum("sha256"),
    "",
  ].join("\n");
}

/** Content hash of the package definitions: the repository is rebuilt only when they change. */
function recipeHash(): string {
  return createHash("sha256").update(JSON.stringify(REPO_PACKAGES)).update(`real ${realDebsKey()}`).digest("hex").slice(0, 16);
}

/**
 * Build the repository into `dir` (default <state>/repo) unless it is already up to date.
 * The directory itself is kept (hosts bind-mount it); only its contents are replaced.
 */
export async function buildAptRepo(dir: string = labPaths().repo): Promise<{ dir: string; built: boolean }> {
  const stamp = join(dir, ".keel-lab-repo");
  const want = recipeHash();
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === want) return { dir, built: false };
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(join(dirname(dir), ".repo-build-"));
  const work = mkdtempSync(join(tmpdir(), "keel-lab-debs-"));
  try {
    for (const p of REPO_PACKAGES) await buildDeb(p, join(tmp, "pool", p.suite), work);
    // Debian's own packages (test/lab/realdebs.ts), in the keel suite.
    mkdirSync(join(tmp, "pool", "keel"), { recursive: true });
    for (const deb of await fetchRealDebs()) copyFileSync(deb, join(tmp, "pool", "keel", deb.slice(deb.lastIndexOf("/") + 1)));
    for (const suite of [...new Set(REPO_PACKAGES.map((p) => p.suite))]) {
      const { stdout } = await run("dpkg-scanpackages", ["--multiversion", join("pool", suite), "/dev/null"], { cwd: tmp });
      const rel = "main/binary-amd64/Packages";
      const body = Buffer.from(stdout);
      mkdirSync(join(tmp, "dists", suite, "main/binary-amd64"), { recursive: true });
      writeFileSync(join(tmp, "dists", suite, rel), body);
      writeFileSync(join(tmp, "dists", suite, "Release"), releaseFile(suite, [{ rel, body }]));
    }
    writeFileSync(join(tmp, ".keel-lab-repo"), want + "\n");
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
    for (const e of readdirSync(tmp)) renameSync(join(tmp, e), join(dir, e));
    chmodSync(dir, 0o755);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  return { dir, built: true };
}
