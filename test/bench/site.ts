// The benchmark's site state on a lab host (test/bench/fixtures/site.yml): resetting a host to the
// state of one that never saw the playbook, fingerprinting the converged state so that keel's and
// Ansible's end states can be compared host by host, and Ansible's apt bindings. Used by
// test/bench/ansible.ts, which re-exports it.
//
// Lab hosts have python3 but not python3-apt, which Ansible's apt module needs (it would
// apt-get install it, but lab hosts have no internet). ensureAptBindings installs the controller's
// own python3-apt (same Debian release), repacked with dpkg-deb, on each host that lacks it.
// keel needs nothing on the hosts but a POSIX shell.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { hostExec } from "../lab/index.js";
import { mapLimit, run } from "../lab/util.js";

const SNAPSHOT = "/var/tmp/keelbench-orig";
/** Packages Ansible's apt module needs on the host (python3-apt and what it depends on beyond python3 and libapt). */
const APT_BINDINGS = ["distro-info-data", "python-apt-common", "python3-apt"];

/** Files the playbook manages, fingerprinted by kind, mode, owner and content. */
const MANAGED_FILES = [
  "/etc/keelbench/static.conf",
  "/etc/keelbench/keelbench.conf",
  "/etc/default/keelbench",
  "/etc/login.defs",
  "/etc/sysctl.d/60-keelbench.conf",
  "/opt/keelbench/RELEASE",
  "/opt/keelbench/initialized-on",
  "/home/keelbench/.ssh/authorized_keys",
];
const MANAGED_DIRS = ["/opt/keelbench", "/etc/keelbench", "/home/keelbench", "/home/keelbench/.ssh"];

// ---------------------------------------------------------------------------------------------
// Host state

/**
 * Put a host into the state of one that never saw site.yml: no keelbench account, group, files or
 * sysctl drop-in; /etc/login.defs and the live log_martians value as first seen (snapshot taken on
 * the first call); no Ansible leftovers in /root/.ansible.
 */
export async function resetSite(host: string): Promise<void> {
  await hostExec(
    host,
    [
      `if [ ! -d ${SNAPSHOT} ]; then mkdir -p ${SNAPSHOT} && cp -a /etc/login.defs ${SNAPSHOT}/ &&`,
      `  cat /proc/sys/net/ipv4/conf/all/log_martians > ${SNAPSHOT}/log_martians; fi`,
      restoreScript(),
    ].join("\n"),
  );
}

/** Undo site.yml on a host and drop the snapshot. */
export async function restoreSite(host: string): Promise<void> {
  await hostExec(host, `[ -d ${SNAPSHOT} ] || exit 0\n${restoreScript()}\nrm -rf ${SNAPSHOT}`, { check: false });
}

function restoreScript(): string {
  return [
    "set -e",
    "if getent passwd keelbench >/dev/null; then userdel -r keelbench 2>/dev/null || userdel keelbench; fi",
    "if getent group keelbench >/dev/null; then groupdel keelbench; fi",
    "rm -rf /opt/keelbench /etc/keelbench /etc/default/keelbench /etc/sysctl.d/60-keelbench.conf /root/.ansible",
    `cp -a ${SNAPSHOT}/login.defs /etc/login.defs`,
    `sysctl -qw net.ipv4.conf.all.log_martians=$(cat ${SNAPSHOT}/log_martians)`,
  ].join("\n");
}

export interface Fingerprint {
  /** One line per managed item; equal lines mean the same state. */
  lines: string[];
  /** Content of each managed file (for showing what differs). */
  contents: Record<string, string>;
}

const SEP = "\n@@keelbench@@ ";

/** The converged state of one host, read without SSH (one nsenter'ed shell). */
export async function fingerprint(host: string): Promise<Fingerprint> {
  const script = [
    // sysctl files are compared without comment lines (sysctl ignores them; keel writes a header).
    `body() { case "$1" in */sysctl.d/*) grep -v '^[[:space:]]*[#;]' "$1" || true ;; *) cat "$1" ;; esac; }`,
    `for f in ${MANAGED_FILES.join(" ")}; do`,
    `  if [ -e "$f" ]; then echo "$f $(stat -c '%F %a %U:%G' "$f") sha256:$(body "$f" | sha256sum | cut -c1-16)"; else echo "$f missing"; fi`,
    "done",
    `for d in ${MANAGED_DIRS.join(" ")}; do if [ -e "$d" ]; then stat -c '%n %F %a %U:%G' "$d"; else echo "$d missing"; fi; done`,
    `echo "passwd $(getent passwd keelbench)"`,
    `echo "group $(getent group keelbench)"`,
    `echo "live net.ipv4.conf.all.log_martians=$(cat /proc/sys/net/ipv4/conf/all/log_martians)"`,
    `echo "package $(dpkg-query -W -f='\${Package} \${Status}' openssh-server)"`,
    `for f in ${MANAGED_FILES.join(" ")}; do printf '${SEP.replace(/\n/g, "\\n")}%s\\n' "$f"; [ -f "$f" ] && cat "$f"; done`,
    "true",
  ].join("\n");
  const out = (await hostExec(host, script)).stdout;
  const [head, ...parts] = out.split(SEP);
  const contents: Record<string, string> = {};
  for (const p of parts) {
    const nl = p.indexOf("\n");
    contents[p.slice(0, nl)] = p.slice(nl + 1);
  }
  return { lines: head!.split("\n").filter(Boolean), contents };
}

/** Differences between two fingerprints of the same host, each with a diff of the file when it is one. */
export function compareFingerprints(a: Fingerprint, b: Fingerprint, labels: [string, string]): string[] {
  const out: string[] = [];
  const n = Math.max(a.lines.length, b.lines.length);
  for (let i = 0; i < n; i++) {
    const la = a.lines[i] ?? "(none)";
    const lb = b.lines[i] ?? "(none)";
    if (la === lb) continue;
    let msg = `${labels[0]}: ${la}\n    ${labels[1]}: ${lb}`;
    const file = MANAGED_FILES.find((f) => la.startsWith(f + " "));
    if (file && a.contents[file] !== b.contents[file]) {
      msg +=
        "\n" + createTwoFilesPatch(`${file} (${labels[0]})`, `${file} (${labels[1]})`, a.contents[file] ?? "", b.contents[file] ?? "").replace(/^/gm, "      ");
    }
    out.push(msg);
  }
  return out;
}

/**
 * Make sure Ansible's apt module can run on these hosts: install the controller's python3-apt
 * (repacked) where `import apt` fails. Returns the hosts it was installed on.
 */
export async function ensureAptBindings(hosts: string[], work: string): Promise<string[]> {
  const lacking: string[] = [];
  await mapLimit(hosts, 8, async (h) => {
    const r = await hostExec(h, "python3 -c 'import apt, apt_pkg' 2>/dev/null", { check: false });
    if (r.code !== 0) lacking.push(h);
  });
  if (!lacking.length) return [];
  const debs = await repack(APT_BINDINGS, join(work, "debs"));
  const payload = debs.map((d) => `${d.name} ${readFileSync(d.path).toString("base64")}`).join("\n") + "\n";
  await mapLimit(lacking, 8, async (h) => {
    // Base64 through stdin (hostExec takes text); each line is "NAME BASE64".
    await hostExec(
      h,
      [
        "set -e",
        "d=$(mktemp -d)",
        'while read -r name data; do printf %s "$data" | base64 -d > "$d/$name.deb"; done',
        'dpkg -i "$d"/*.deb >/dev/null',
        'rm -rf "$d"',
        "python3 -c 'import apt, apt_pkg'",
      ].join("\n"),
      { input: payload, timeoutMs: 120_000 },
    );
  });
  return lacking.sort();
}

export async function purgeAptBindings(host: string): Promise<void> {
  await hostExec(host, `dpkg --purge ${[...APT_BINDINGS].reverse().join(" ")} >/dev/null 2>&1; true`, { check: false });
}

/** Rebuild installed packages of the controller into .deb files (what dpkg-repack does, without maintainer scripts). */
export async function repack(pkgs: string[], dir: string): Promise<{ name: string; path: string }[]> {
  mkdirSync(dir, { recursive: true });
  const out: { name: string; path: string }[] = [];
  for (const pkg of pkgs) {
    const fields = ["Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Section", "Priority", "Multi-Arch", "Description"];
    const fmt = fields.map((f) => `${f}: \${${f}}\\n`).join("");
    const ctl = (await run("dpkg-query", ["-W", `-f=${fmt}`, pkg])).stdout
      .split("\n")
      .filter((l) => !/^[A-Za-z-]+: $/.test(l)) // an empty field is not allowed in a control file
      .join("\n")
      .replace(/\n*$/, "\n");
    const root = join(dir, pkg);
    const script = [
      "set -e",
      `mkdir -p "${root}/DEBIAN"`,
      `dpkg-query -L ${pkg} | while IFS= read -r f; do`,
      '  case "$f" in /|/.) continue;; esac',
      `  if [ -L "$f" ] || [ -f "$f" ]; then cp -a --parents "$f" "${root}/"; elif [ -d "$f" ]; then mkdir -p "${root}$f"; fi`,
      "done",
    ].join("\n");
    await run("sh", ["-c", script]);
    writeFileSync(join(root, "DEBIAN/control"), ctl);
    const deb = join(dir, `${pkg}.deb`);
    await run("dpkg-deb", ["--root-owner-group", "-Zgzip", "-b", root, deb]);
    out.push({ name: pkg, path: deb });
  }
  return out;
}
