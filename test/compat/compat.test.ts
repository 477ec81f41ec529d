// The compatibility corpus (issue 15): real public roles (roles.json) loaded by keel, and — on lab
// scratch hosts — converged by keel and by ansible-playbook (ansible-core 2.14), then compared:
//   loads       keel loads the role unchanged (the first load error otherwise)
//   same state  the two hosts end with the same /etc and /usr/local files (content, mode, owner),
//               users, groups, packages and net.* sysctls (host names and addresses normalised)
//   idempotent  a second run changes nothing, for keel and for Ansible
//   drift       `keel drift` on the host Ansible converged agrees with `ansible-playbook --check`
//   ansible     where Ansible's side came from: a live run, or its recording (test/ansible-record.ts),
//               replayed only while the role, the row, this harness and the installed Ansible are
//               unchanged and keel's host ends in the recorded end state (KEEL_ANSIBLE_LIVE=1: live)
// It prints a table, and checks each row against the outcome recorded in roles.json (`expect`),
// so a regression (or an improvement to record) fails the test.
import { describe, it, expect, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { corpus, materialize, type CorpusRole } from "./materialize.js";
import { loadPlaybook } from "../../engine/playbook/index.js";
import { InputError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { registry } from "../../modules/index.js";
import { describeLab, keel, ssh, startScratchHosts, stopScratchHosts, type ScratchHost } from "../e2e/lab.js";
import { findRecording, hashTree, saveRecording, sha256 } from "../ansible-record.js";
import { installSystemctl } from "../lab/systemctl.js";

interface Row {
  role: string;
  loads: string;
  sameState?: string;
  idempotent?: string;
  drift?: string;
  /** Where Ansible's side came from: live, or its recording's date. */
  ansible?: string;
}

const rows = new Map<string, Row>();
const roles = corpus();

/** A playbook folder for one role: site.yml and roles/<name> pointing at the extracted role. */
function playbookFor(r: CorpusRole, dir: string): string {
  const book = mkdtempSync(join(tmpdir(), `keel-compat-${r.name}-`));
  mkdirSync(join(book, "roles"));
  symlinkSync(dir, join(book, "roles", r.name));
  writeFileSync(join(book, "site.yml"), stringify([{ hosts: "all", vars: r.vars, roles: [r.name] }]));
  return join(book, "site.yml");
}

function sh(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 900_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * A link-local IPv6 address for a lab host, from its IPv4 address (198.18.3.143 -> fe80::198:18:3:143):
 * unique on the lab bridge, and no traffic leaves it.
 */
function linkLocal(address: string): string {
  return `fe80::${address.split(".").join(":")}`;
}

// Pipelining sends each module to the remote python on the ssh channel's stdin instead of copying
// it to a remote temp dir first (put, chmod, run, rm): the same modules run with the same arguments,
// with a quarter of the ssh round trips. It is only unsafe with sudo's requiretty; we connect as root.
const ANSIBLE_ENV = {
  ANSIBLE_NOCOLOR: "1",
  ANSIBLE_RETRY_FILES_ENABLED: "0",
  ANSIBLE_HOST_KEY_CHECKING: "True",
  ANSIBLE_DEPRECATION_WARNINGS: "0",
  ANSIBLE_PIPELINING: "True",
};

/** ansible-playbook's per-host stats, from its PLAY RECAP line. */
async function ansible(playbook: string, host: ScratchHost, check = false): Promise<{ changed: number; failures: number; raw: string; msg: string }> {
  const r = await sh("ansible-playbook", ["-i", host.inventory, playbook, ...(check ? ["--check"] : [])], ANSIBLE_ENV);
  const raw = r.stdout + r.stderr;
  const m = new RegExp(`^${host.name}\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)`, "m").exec(raw);
  if (!m) return { changed: 0, failures: 1, raw, msg: raw.slice(-300) };
  return { changed: Number(m[2]), failures: Number(m[3]) + Number(m[4]), raw, msg: ansibleFailure(raw) };
}

/** The first failed task of an ansible-playbook output: "task 'NAME': its msg". */
function ansibleFailure(raw: string): string {
  const lines = raw.split("\n");
  const i = lines.findIndex((l) => /^(fatal|failed): \[/.test(l));
  if (i < 0) return "";
  const task = lines
    .slice(0, i)
    .reverse()
    .find((l) => l.startsWith("TASK ["));
  const msg = /"msg": "((?:[^"\\]|\\.)*)"/.exec(lines[i]!)?.[1] ?? lines[i]!.slice(0, 200);
  return `task '${task?.replace(/^TASK \[(.*)\].*$/, "$1") ?? "?"}': ${msg}`;
}

async function keelRun(playbook: string, host: ScratchHost, dir: string, n: number): Promise<{ changed: number; failures: number; msg: string }> {
  const json = join(dir, `keel-${n}.json`);
  const r = await keel(["run", playbook, "-i", host.inventory, "--json", json], { timeoutMs: 900_000 });
  try {
    const rep = JSON.parse(readFileSync(json, "utf8")) as {
      summary: { hosts: Record<string, { changed: number; failed: number }>; failures: { message: string }[] };
    };
    const s = rep.summary.hosts[host.name] ?? { changed: 0, failed: 1 };
    return { changed: s.changed, failures: s.failed, msg: rep.summary.failures[0]?.message ?? "" };
  } catch {
    return { changed: 0, failures: 1, msg: (r.stderr || r.stdout).slice(0, 300) };
  }
}

async function keelDrift(playbook: string, host: ScratchHost, dir: string): Promise<{ code: number }> {
  const d = await keel(["drift", playbook, "-i", host.inventory], { timeoutMs: 900_000 });
  writeFileSync(join(dir, `keel-drift-${host.name}.txt`), `exit ${d.code}\n${d.stdout}\n${d.stderr}`);
  return { code: d.code };
}

/**
 * Content that is random by construction on every host (a key generated at install, a Berkeley DB
 * file whose bytes vary between two builds of the same table) is compared through what it means:
 * the certificate's subject and names, the table's entries; a private key only by its listing
 * (path, mode, owner). postalias/postmap store the build time as the entry YP_LAST_MODIFIED
 * (seconds since the epoch) and the host name as YP_MASTER_NAME (normalised below): the time is
 * dropped, so two builds of the same aliases at different seconds compare equal. Each line: a shell `case` pattern and the command whose output is hashed.
 */
const MEANING: [string, string][] = [
  ["/etc/ssl/private/ssl-cert-snakeoil.key", "echo generated-key"],
  ["/etc/ssl/certs/ssl-cert-snakeoil.pem", 'openssl x509 -in "$f" -noout -subject -ext subjectAltName 2>/dev/null || echo generated-cert'],
  ["/etc/aliases.db", 'postalias -s "hash:${f%.db}" 2>/dev/null | grep -v "^YP_LAST_MODIFIED:" | sort'],
  ["/etc/postfix/*.db", 'postmap -s "hash:${f%.db}" 2>/dev/null | grep -v "^YP_LAST_MODIFIED:" | sort'],
  // DH parameters are random primes: compared by their size ("DH Parameters: (1024 bit)")
  ["/etc/nginx/dh*.pem", 'openssl dhparam -in "$f" -noout -text 2>/dev/null | head -1'],
  // community.general.pamd stamps the file it edits with "# Updated by Ansible - <now>"; keel's pamd
  // writes the same rules without that comment (compared without it)
  ["/etc/pam.d/*", 'grep -v "^# Updated by Ansible - " "$f"'],
  // the third field of a shadow entry is the day of the last password change: the day the lab's
  // rootfs was built, or an account was made (compared without it; a role that sets a password
  // changes the second field)
  ["/etc/shadow", `sed -E 's/^([^:]*:[^:]*:)[0-9]*:/\\1<day>:/' "$f"`],
];

/**
 * The end state of a host, one line per item, host name and address replaced. Sysctls are the
 * writable net.* ones: a read-only sysctl (nf_conntrack_count, mc_forwarding…) is a live counter
 * or a kernel fact, not configuration. The link named by the snakeoil certificate's subject hash
 * (/etc/ssl/certs/1a2b3c4d.0) loses that name: the subject holds the host name.
 */
async function snapshot(host: ScratchHost): Promise<string[]> {
  // One python3 process hashes every file (python3 is on every lab host; Ansible needs it): a shell
  // loop of case, cat, sed, sha256sum and cut per file cost 20-40 s per snapshot under the suite's
  // load, two snapshots per role. The content is hashed with the host name and address replaced,
  // the MEANING files through their command.
  const hasher = [
    "import fnmatch, subprocess, sys, hashlib",
    "H, A = sys.argv[1].encode(), sys.argv[2].encode()",
    `M = [(p.encode(), c) for p, c in ${JSON.stringify(MEANING)}]`,
    "for f in sys.stdin.buffer.read().split(b'\\n'):",
    "    if not f: continue",
    "    cmd = next((c for p, c in M if fnmatch.fnmatchcase(f, p)), None)",
    "    if cmd is not None: data = subprocess.run([b'sh', b'-c', b'f=\"$1\"; ' + cmd.encode(), b'sh', f], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout",
    "    else:",
    "        try:",
    "            with open(f, 'rb') as fh: data = fh.read()",
    "        except OSError: data = b''",
    "    data = data.replace(H, b'HOST').replace(A, b'ADDR')",
    "    sys.stdout.buffer.write(f + b' ' + hashlib.sha256(data).hexdigest()[:16].encode() + b'\\n')",
  ].join("\n");
  const script = [
    "H=$(hostname); A=" + host.address,
    "find /etc /usr/local -xdev \\( -path /etc/ssh/ssh_host_\\* -o -name hostname -o -name hosts -o -name machine-id -o -name ld.so.cache -o -name '*-' -o -name .pwd.lock -o -path /etc/keel\\* \\) -prune -o -printf '%p %m %u %g %y %l\\n' 2>/dev/null | sort",
    "find /etc /usr/local -xdev -type f ! -path '/etc/ssh/ssh_host_*' ! -name hostname ! -name hosts ! -name machine-id ! -name ld.so.cache ! -name '*-' 2>/dev/null | sort | python3 -c " +
      shq(hasher) +
      ' "$H" "$A"',
    "getent passwd | cut -d: -f1,3,4,6,7; getent group | cut -d: -f1,3,4",
    "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 2>/dev/null",
    "{ echo '#'; find /proc/sys/net -type f ! -perm -u=w 2>/dev/null | sed 's|^/proc/sys/||; s|/|.|g'; } > /tmp/.keel-ro-sysctls",
    "sysctl -a 2>/dev/null | grep '^net\\.' | grep -v -e '\\.stable_secret' -e 'random' | awk 'NR==FNR{ro[$0]=1; next} !($1 in ro)' /tmp/.keel-ro-sysctls - | sort",
    "rm -f /tmp/.keel-ro-sysctls",
  ].join("\n");
  const r = await ssh(host, script, { timeoutMs: 120_000 });
  const lines = r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^\/etc\/ssl\/certs\/[0-9a-f]{8}\.\d+ (.* l ssl-cert-snakeoil\.pem)$/, "/etc/ssl/certs/<subject hash> $1"))
    // a backup's name holds the writing process id and the second it was made (Ansible's naming, keel's too)
    .map((l) => l.replace(/^(\S+)\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~ /, "$1.<pid>.<time>~ "))
    // `ufw reset` keeps the rules files it replaces as <file>.YYYYMMDD_HHMMSS (either tool's run)
    .map((l) => l.replace(/^(\/etc\/ufw\/\S+)\.\d{8}_\d{6} /, "$1.<time> "));
  if (r.code !== 0 || lines.length < 100) throw new Error(`snapshot of ${host.name} failed (exit ${r.code}, ${lines.length} lines): ${r.stderr.slice(0, 300)}`);
  return lines;
}

function diffLines(a: string[], b: string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...a.filter((x) => !sb.has(x)).map((x) => `ansible only: ${x}`), ...b.filter((x) => !sa.has(x)).map((x) => `keel only:    ${x}`)];
}

describe("compat corpus: keel loads each role", () => {
  for (const r of roles) {
    it(r.name, () => {
      const m = materialize(r);
      // the roles are committed: a missing one is a broken checkout, not a role to skip
      expect(m, `${r.name}: run npm run compat:vendor`).not.toHaveProperty("missing");
      if ("missing" in m) return;
      try {
        const plan = loadPlaybook(playbookFor(r, m.dir), { registry });
        rows.set(r.name, { role: r.name, loads: `yes (${plan.plays[0]!.tasks.length} tasks)` });
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        rows.set(r.name, { role: r.name, loads: `no: ${e.message}` });
      }
      const want = (r as CorpusRole & { expect?: Partial<Row> }).expect?.loads;
      if (want !== undefined) expect(rows.get(r.name)!.loads.startsWith(want), rows.get(r.name)!.loads).toBe(true);
    });
  }
});

interface Outcome {
  changed: number;
  failures: number;
  msg: string;
}
/** Ansible's side of a row, as recorded (test/ansible-record.ts): its three runs and its host's end state. */
interface AnsibleSide {
  a1: Outcome;
  a2: Outcome;
  check: Outcome;
  snapshot: { sha256: string; lines: number };
}

/** A snapshot's digest: its distinct lines in order (the two hosts may list users in another order). */
function digest(lines: string[]): { sha256: string; lines: number } {
  const set = [...new Set(lines)].sort();
  return { sha256: sha256(set.join("\n")), lines: set.length };
}

/**
 * As a real fleet host: current package lists, python3-apt (without it Ansible's apt module runs
 * apt-get update and installs it as a side effect, which keel does not do), and the auth log a
 * syslog daemon keeps (fail2ban's sshd jail refuses to start without it); for roles marked
 * `systemctl`, a service manager (lab hosts have no init system); a role's `packages`, which a real
 * Debian host has and a lab host lacks.
 */
async function prepare(h: ScratchHost, r: CorpusRole): Promise<void> {
  const pkgs = ["python3-apt", ...(r.packages ?? [])].join(" ");
  const prep = `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkgs} >/dev/null`;
  const p = await ssh(h, `${prep} && touch /var/log/auth.log && chmod 0640 /var/log/auth.log && chgrp adm /var/log/auth.log`, {
    timeoutMs: 300_000,
  });
  expect(p.code, `preparing ${h.name}: ${p.stderr}`).toBe(0);
  if (r.linkLocalIPv6) {
    const l = await ssh(h, `ip -6 addr add ${linkLocal(h.address)}/64 dev eth0 nodad`);
    expect(l.code, `adding an IPv6 link-local address on ${h.name}: ${l.stderr}`).toBe(0);
  }
  if (r.systemctl) await installSystemctl(h);
}

/**
 * What a row's Ansible outcome depends on besides the installed Ansible: the role's files, the
 * row's settings, and this harness (how hosts are prepared, how Ansible runs, what a snapshot
 * holds). The starting host is checked through the snapshot instead: it lists every package with
 * its version, so keel's end state matches a recording only on the same lab repository.
 */
function recordingParts(r: CorpusRole, dir: string): Record<string, string> {
  const row = { vars: r.vars, packages: r.packages ?? [], systemctl: !!r.systemctl, linkLocalIPv6: !!r.linkLocalIPv6 };
  const harness = [prepare, snapshot, ansible, digest].map((f) => f.toString()).join("\n") + JSON.stringify([MEANING, ANSIBLE_ENV]);
  return { role: hashTree(dir), row: sha256(JSON.stringify(row)), harness: sha256(harness) };
}

// Roles run three at a time: each waits mostly on apt and dpkg inside its scratch hosts.
//
// Ansible's side of a row is replayed from its recording (test/recordings/ansible/compat-<role>.json)
// while the role, the row and the installed Ansible are those it was made with, and keel's host
// ends in exactly the recorded end state (the snapshot's digest). Then the drift cell is `keel drift`
// on keel's own host, which is in Ansible's end state by that digest. Otherwise, and always with
// KEEL_ANSIBLE_LIVE=1, Ansible converges a second host live, as below.
describeLab.concurrent("compat corpus: keel and ansible-playbook converge each role on scratch hosts", () => {
  for (const r of roles.filter((x) => x.converge)) {
    it(r.name, { timeout: 1_800_000 }, async () => {
      const m = materialize(r);
      if ("missing" in m || !rows.get(r.name)?.loads.startsWith("yes")) return;
      const playbook = playbookFor(r, m.dir);
      const work = mkdtempSync(join(tmpdir(), `keel-compat-run-${r.name}-`));
      // a phase log (seconds since the start) goes to the run's folder next to the outputs, to see
      // where a role's time goes
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (what: string) => phases.push(`${((Date.now() - t0) / 1000).toFixed(1)} ${what}`);
      const parts = recordingParts(r, m.dir);
      const found = findRecording<AnsibleSide>(`compat-${r.name}`, parts);
      const hosts: ScratchHost[] = [];
      const start = async (n: number) => {
        const hs = await startScratchHosts(n);
        hosts.push(...hs);
        phase(`${n} scratch host(s) up`);
        await Promise.all(hs.map((h) => prepare(h, r)));
        phase("prepared");
        return hs;
      };
      try {
        // Each tool works through its own host at its own pace: keel's two runs and its host's
        // snapshot do not wait for Ansible's. On Ansible's host the order is fixed: run, run,
        // snapshot, then the two read-only checks one after the other (a check-mode run may still
        // execute `check_mode: false` commands, which must not race keel's drift probe).
        const keelSide = async (k: ScratchHost) => {
          const k1 = await keelRun(playbook, k, work, 1);
          phase("keel run 1");
          const k2 = await keelRun(playbook, k, work, 2);
          phase("keel run 2");
          const sk = await snapshot(k);
          phase("keel host snapshot");
          return { k1, k2, sk };
        };
        const ansibleSide = async (a: ScratchHost) => {
          const a1 = await ansible(playbook, a);
          phase("ansible run 1");
          writeFileSync(join(work, "ansible-1.json"), a1.raw);
          const a2 = await ansible(playbook, a);
          phase("ansible run 2");
          writeFileSync(join(work, "ansible-2.json"), a2.raw);
          const sa = await snapshot(a);
          phase("ansible host snapshot");
          const check = await ansible(playbook, a, true);
          phase("ansible --check");
          const drift = await keelDrift(playbook, a, work);
          phase("keel drift on the Ansible host");
          const strip = (o: Outcome & { raw: string }): Outcome => ({ changed: o.changed, failures: o.failures, msg: o.msg });
          return { side: { a1: strip(a1), a2: strip(a2), check: strip(check), snapshot: digest(sa) }, sa, drift };
        };
        let source: string;
        let keelOut: Awaited<ReturnType<typeof keelSide>>;
        let side: AnsibleSide;
        let sa: string[] | undefined;
        let drift: { code: number };
        const live = async (a: ScratchHost, why: string) => {
          const got = await ansibleSide(a);
          const saved = saveRecording(`compat-${r.name}`, parts, got.side);
          console.log(`compat ${r.name}: Ansible ran live (${why}); outcome kept in ${saved}`);
          return got;
        };
        if ("recording" in found) {
          const [k] = await start(1);
          keelOut = await keelSide(k!);
          if (digest(keelOut.sk).sha256 === found.recording.value.snapshot.sha256) {
            side = found.recording.value;
            drift = await keelDrift(playbook, k!, work);
            phase("keel drift on keel's host (in the recorded end state)");
            source = `recorded ${found.recording.recordedAt.slice(0, 10)}`;
          } else {
            const [a] = await start(1);
            ({ side, sa, drift } = await live(a!, "keel's end state differs from the recorded one"));
            source = "live: keel's end state is not the recorded one";
          }
        } else {
          const [a, k] = await start(2);
          // both sides finish before the hosts are stopped, even when one of them throws
          const settled = await Promise.allSettled([keelSide(k!), live(a!, found.stale)]);
          for (const s of settled) if (s.status === "rejected") throw s.reason;
          keelOut = (settled[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof keelSide>>>).value;
          ({ side, sa, drift } = (settled[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof ansibleSide>>>).value);
          source = "live";
        }
        const { k1, k2, sk } = keelOut;
        const { a1, a2, check } = side;
        writeFileSync(join(work, "phases.txt"), phases.join("\n") + "\n");
        // replayed only when the digests are equal: no difference by construction
        const diff = sa ? diffLines(sa, sk) : [];
        writeFileSync(join(work, "state.diff"), diff.join("\n") + "\n");
        const row = rows.get(r.name)!;
        row.ansible = source;
        // Converged means both runs succeeded and the hosts ended alike: two runs failing at the
        // same task leave alike hosts, but neither has the role's end state.
        const runs = `ansible ${a1.failures ? `failed: ${a1.msg.slice(0, 160)}` : "ok"}, keel ${k1.failures ? `failed: ${k1.msg.slice(0, 160)}` : "ok"}`;
        const failed = a1.failures > 0 || k1.failures > 0;
        const differences = diff.length === 0 ? "no differences" : `${diff.length} differences, e.g. ${diff.slice(0, 3).join(" | ")}`;
        row.sameState = !failed && diff.length === 0 ? "yes" : `no: ${failed ? "a run failed" : "the hosts differ"}: ${differences} (${runs}; ${work})`;
        const again = (x: { changed: number; failures: number }) =>
          x.failures ? `no (second run failed)` : x.changed === 0 ? "yes" : `no (${x.changed} changed)`;
        row.idempotent = `keel ${again(k2)}, ansible ${again(a2)}`;
        const ansibleSays = check.failures ? "fails" : check.changed ? "drift" : "no drift";
        const keelSays = drift.code === 0 ? "no drift" : drift.code === 2 ? "drift" : "fails";
        row.drift = `${keelSays === ansibleSays ? "yes" : "no"} (keel: ${keelSays}, ansible --check: ${ansibleSays})`;
        const want = (r as CorpusRole & { expect?: Partial<Row> }).expect;
        if (want?.sameState !== undefined) expect(row.sameState.startsWith(want.sameState), row.sameState).toBe(true);
        if (want?.idempotent !== undefined) expect(row.idempotent, row.idempotent).toBe(want.idempotent);
        if (want?.drift !== undefined) expect(row.drift.startsWith(want.drift), row.drift).toBe(true);
      } finally {
        await stopScratchHosts(hosts);
      }
    });
  }
});

afterAll(() => {
  const cols: (keyof Row)[] = ["role", "loads", "sameState", "idempotent", "drift", "ansible"];
  const lines = [`| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`];
  for (const r of roles) {
    const row = rows.get(r.name);
    if (row) lines.push(`| ${cols.map((c) => (row[c] ?? "-").replace(/\|/g, "\\|").replace(/\n/g, " ")).join(" | ")} |`);
  }
  console.log(`\ncompat corpus\n${lines.join("\n")}\n`);
});
