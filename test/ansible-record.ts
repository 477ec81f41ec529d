// Recorded Ansible outcomes for the tests that compare keel with ansible-playbook.
//
// Ansible's side of a comparison is a pure function of what it is given: the playbook and roles,
// the variables, the starting host, and the Ansible on the machine (ansible-core and Debian's
// collection bundle). On this suite's 2-core machine it was 45% of the CPU of a full run (process
// accounting, session 10), most of it the same Ansible runs giving the same outcome every time.
// So a test records Ansible's outcome once, keyed by the SHA-256 of every input it names plus the
// installed Ansible's package versions, and replays it while the key is unchanged; keel's side
// always runs live and is compared with the recording exactly as with a live run.
//
// - A changed input (a role's pin, a var, the play, another ansible-core) changes the key: the test
//   runs Ansible live again, compares with that, and says the recording is stale.
// - KEEL_ANSIBLE_LIVE=1 runs every Ansible side live, recordings or not (what `npm run
//   test:ansible-live` sets); KEEL_ANSIBLE_RECORD=1 also writes each live outcome as the new
//   recording. A missing recording is written by any live run.
// - Each recording holds its key's parts, so a reader sees what it was made with.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labPaths } from "./lab/config.js";
import { APT_SUITES, rootfsDir } from "./lab/rootfs.js";

export const RECORDINGS_DIR = join(import.meta.dirname, "recordings", "ansible");

/** Where recordings are read and written: RECORDINGS_DIR, or KEEL_ANSIBLE_RECORDINGS (the unit test's own folder). */
function recordingsDir(): string {
  return process.env.KEEL_ANSIBLE_RECORDINGS || RECORDINGS_DIR;
}

export interface Recording<T> {
  name: string;
  key: string;
  parts: Record<string, string>;
  recordedAt: string;
  value: T;
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * One hash over a folder: every file's relative path, kind, executable bit and content (links by
 * their target), in path order. (Only the executable bit: a checkout's other mode bits follow its umask.)
 */
export function hashTree(dir: string): string {
  const h = createHash("sha256");
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(dir, r);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) h.update(`l ${r} ${readlinkSync(p)}\n`);
      else if (st.isDirectory()) {
        h.update(`d ${r}\n`);
        walk(r);
      } else {
        h.update(`f ${r} ${st.mode & 0o111 ? "x" : "-"}\n`);
        h.update(readFileSync(p));
        h.update("\n");
      }
    }
  };
  walk("");
  return h.digest("hex");
}

/** "name=version …" of these Debian packages on this machine, as dpkg-query lists them (throws without dpkg-query or a package). */
function dpkgVersions(names: string[]): string {
  return execFileSync("dpkg-query", ["-W", "-f", "${Package}=${Version} ", ...names], { encoding: "utf8" }).trim();
}

/** The Debian versions of these packages on this machine (a key part: e.g. the python3 that runs Ansible); "name=unknown" each when dpkg-query fails. */
export function debianVersions(names: string[]): string {
  try {
    return dpkgVersions(names);
  } catch {
    return names.map((n) => `${n}=unknown`).join(" ");
  }
}

let installed: string | undefined;

/** The installed Ansible: ansible-core's and the collection bundle's Debian versions (or `ansible --version`). */
export function ansibleVersion(): string {
  if (installed !== undefined) return installed;
  try {
    installed = dpkgVersions(["ansible-core", "ansible"]);
  } catch {
    try {
      installed = execFileSync("ansible", ["--version"], { encoding: "utf8" }).split("\n")[0]!.trim();
    } catch {
      installed = "none";
    }
  }
  return installed;
}

/** The key of a recording: its name, the installed Ansible, and each named part (already hashed or short). */
export function recordingKey(name: string, parts: Record<string, string>): { key: string; parts: Record<string, string> } {
  const all = { ansible: ansibleVersion(), ...parts };
  const text = Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k as keyof typeof all]}`)
    .join("\n");
  return { key: sha256(`${name}\n${text}`), parts: all };
}

/** The file of recording `name` (in RECORDINGS_DIR or KEEL_ANSIBLE_RECORDINGS), for reading, writing and messages. */
export function recordingFile(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`recording name '${name}': lower-case letters, digits, '.', '_' and '-' only`);
  return join(recordingsDir(), `${name}.json`);
}

export type Lookup<T> = { recording: Recording<T> } | { stale: string };

/** The recording of `name` made with these parts; or why there is none to replay. */
export function findRecording<T>(name: string, parts: Record<string, string>): Lookup<T> {
  if (process.env.KEEL_ANSIBLE_LIVE === "1") return { stale: "KEEL_ANSIBLE_LIVE=1" };
  const f = recordingFile(name);
  if (!existsSync(f)) return { stale: `no recording (${f})` };
  const rec = JSON.parse(readFileSync(f, "utf8")) as Recording<T>;
  const want = recordingKey(name, parts);
  if (rec.key === want.key) return { recording: rec };
  const changed = Object.keys({ ...rec.parts, ...want.parts }).filter((k) => rec.parts[k] !== want.parts[k]);
  return { stale: `recording made with other inputs (${changed.map((k) => `${k}: ${rec.parts[k] ?? "-"} -> ${want.parts[k] ?? "-"}`).join("; ")})` };
}

/**
 * Keep a live outcome: as the recording when there is none or KEEL_ANSIBLE_RECORD=1, otherwise
 * beside it in the temp folder (the path is returned, to print).
 */
export function saveRecording<T>(name: string, parts: Record<string, string>, value: T): string {
  const { key, parts: all } = recordingKey(name, parts);
  const rec: Recording<T> = { name, key, parts: all, recordedAt: new Date().toISOString(), value };
  const f = recordingFile(name);
  const target = !existsSync(f) || process.env.KEEL_ANSIBLE_RECORD === "1" ? f : join(tmpdir(), "keel-recordings", `${name}.json`);
  mkdirSync(join(target, ".."), { recursive: true });
  writeFileSync(target, JSON.stringify(rec, null, 1) + "\n");
  return target;
}

/**
 * Ansible's outcome for `name`: replayed while its key holds, else from `live()` (then kept, see
 * saveRecording). `source` says which, for the test's output.
 */
export async function replayOrRun<T>(name: string, parts: Record<string, string>, live: () => Promise<T>): Promise<{ value: T; source: string }> {
  const found = findRecording<T>(name, parts);
  if ("recording" in found) return { value: found.recording.value, source: `recorded ${found.recording.recordedAt.slice(0, 10)}` };
  const value = await live();
  const saved = saveRecording(name, parts, value);
  console.log(`ansible ${name}: ran live (${found.stale}); outcome kept in ${saved}`);
  return { value, source: "live" };
}

/**
 * The versions lab hosts get of these packages, for a recording's key: from the lab repository's
 * suites (test/lab/aptrepo.ts; every version any suite offers), else from the lab rootfs's dpkg
 * database. "name=absent" when neither has it. A Debian update of one of them makes the recording
 * stale, so the test runs Ansible live again instead of trusting an outcome made with another version.
 */
export function labPackageVersions(names: string[]): string {
  const paths = labPaths();
  const found = new Map<string, Set<string>>();
  const scan = (text: string, installedOnly: boolean) => {
    for (const stanza of text.split(/\n\n+/)) {
      const pkg = /^Package: (\S+)$/m.exec(stanza)?.[1];
      const ver = /^Version: (\S+)$/m.exec(stanza)?.[1];
      if (!pkg || !ver || !names.includes(pkg)) continue;
      if (installedOnly && !/^Status: install ok installed$/m.test(stanza)) continue;
      if (!found.has(pkg)) found.set(pkg, new Set());
      found.get(pkg)!.add(ver);
    }
  };
  for (const suite of APT_SUITES) {
    const f = join(paths.repo, "dists", suite, "main", "binary-amd64", "Packages");
    if (existsSync(f)) scan(readFileSync(f, "utf8"), false);
  }
  const status = join(rootfsDir(paths), "var", "lib", "dpkg", "status");
  if (existsSync(status)) {
    const inRepo = new Set(found.keys());
    const before = new Map(found);
    scan(readFileSync(status, "utf8"), true);
    // a repository version wins over the rootfs's: that is what apt installs
    for (const k of inRepo) found.set(k, before.get(k)!);
  }
  return [...names]
    .sort()
    .map((n) => `${n}=${found.has(n) ? [...found.get(n)!].sort().join("|") : "absent"}`)
    .join(" ");
}
