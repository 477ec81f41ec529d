// The corpus roles (roles.json) live in test/compat/roles/<name>/, committed (CI has no GitHub
// access), each exactly as its repository has it at the pinned commit, with the repository's
// LICENSE (MIT or Apache-2.0; sshd, willshersystems/ansible-sshd, is LGPL-3.0) and a SOURCE file naming repository, commit and path.
//
// `npx tsx test/compat/materialize.ts` (npm run compat:vendor) refreshes them from local git
// mirrors after a pin changes or a role is added: bare repositories at
// $KEEL_COMPAT_MIRRORS/<owner>+<repo>/repo (default /work/.mirror), as the fetch tool lays them out.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CorpusRole {
  name: string;
  repo: string;
  commit: string;
  /** Folder of the role inside the repository ("" for a role repository). */
  path: string;
  converge: boolean;
  /**
   * The scratch hosts get a service manager first (test/lab/systemctl.ts): for roles that drive
   * systemctl (`systemd: masked`, `daemon_reload`, services started and restarted through it). Lab
   * hosts have no init system; both tools' hosts get the same.
   */
  systemctl?: boolean;
  /**
   * The scratch hosts' eth0 gets an IPv6 link-local address, as every real host's has (lab hosts
   * have none: addrgenmode none). Without one, getaddrinfo's AI_ADDRCONFIG finds no IPv6 and a
   * daemon that binds `*` through IO::Socket::IP (munin-node) fails with EINVAL.
   */
  linkLocalIPv6?: boolean;
  /**
   * Packages installed on both scratch hosts before the runs: what a real Debian host has and a
   * lab host lacks (systemd's unit files, for a role that masks systemd-journald-audit.socket).
   * Each must be in the lab repository (test/lab/realdebs.ts).
   */
  packages?: string[];
  vars: Record<string, unknown>;
  /** The repository's licence (SPDX id), for rows added since session 8 (older rows: see their LICENSE file). */
  license?: string;
  /** Why the row's vars or outcome are what they are (free text, read by people). */
  note?: string;
}

export const COMPAT_DIR = import.meta.dirname;
export const ROLES_DIR = join(COMPAT_DIR, "roles");

export function corpus(): CorpusRole[] {
  return (JSON.parse(readFileSync(join(COMPAT_DIR, "roles.json"), "utf8")) as { roles: CorpusRole[] }).roles;
}

function mirrorOf(repo: string): string {
  return join(process.env.KEEL_COMPAT_MIRRORS ?? "/work/.mirror", repo.replace("/", "+"), "repo");
}

/** The role's committed folder (extracted from its mirror when the pin changed); or why it is unavailable. */
export function materialize(r: CorpusRole): { dir: string } | { missing: string } {
  const dir = join(ROLES_DIR, r.name);
  const source = `${r.repo} ${r.commit}${r.path ? ` ${r.path}` : ""}\n`;
  if (existsSync(join(dir, "SOURCE")) && readFileSync(join(dir, "SOURCE"), "utf8") === source) return { dir };
  const mirror = mirrorOf(r.repo);
  if (!existsSync(mirror)) return { missing: `no mirror of ${r.repo} at ${mirror}` };
  try {
    execFileSync("git", ["-C", mirror, "cat-file", "-e", `${r.commit}^{commit}`]);
  } catch {
    return { missing: `the mirror of ${r.repo} lacks commit ${r.commit}` };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync("git", ["-C", mirror, "archive", "--format=tar", r.commit, ...(r.path ? [r.path] : ["."])], { maxBuffer: 256 * 1024 * 1024 });
  const strip = r.path ? r.path.split("/").length : 0;
  execFileSync("tar", ["-x", "-C", dir, `--strip-components=${strip}`], { input: tar });
  if (r.path) {
    const lic = execFileSync("git", ["-C", mirror, "show", `${r.commit}:LICENSE`]);
    writeFileSync(join(dir, "LICENSE"), lic);
  }
  writeFileSync(join(dir, "SOURCE"), source);
  return { dir };
}

// npm run compat:vendor: extract every role of roles.json whose committed copy is not at its pin.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  let bad = 0;
  for (const r of corpus()) {
    const m = materialize(r);
    if ("missing" in m) {
      bad++;
      console.error(`${r.name}: ${m.missing}`);
    } else console.log(`${r.name}: ${r.repo}@${r.commit.slice(0, 10)} in ${m.dir}`);
  }
  process.exitCode = bad ? 1 : 0;
}
