// End-to-end: the real `keel run` binary (node bin/keel.js, built from this checkout) over real SSH.
//
// Until the lab (test/e2e/lab.ts) is available, the test starts ONE private sshd on 127.0.0.1 (free
// high port, temporary host and client keys, all in a temp dir). The inventory has three hosts that
// all connect to it; each keeps its files under its own `root` folder, so they never touch each other.
// Cases: first run changes, second run changes nothing (≤ 2 round trips per host after connecting),
// tamper + --check reports exactly that task and touches nothing, a connection killed mid-run is
// contained to its host, and a changed host key is refused.
// When the lab is up (test/e2e/setup.ts), the same playbook also runs against every lab host over
// real SSH: converge, converge again (≤ 2 round trips per host), tamper + --check, checked with ssh.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keygen, startLocalSshd, SSHD } from "./local-sshd.js";
import { Ajv } from "ajv";
import { describeLab, HOSTS as LAB_HOSTS, INVENTORY as LAB_INVENTORY, ssh as labSsh } from "./lab.js";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = join(REPO, "bin", "keel.js");
const FIX = join(REPO, "test", "e2e", "fixtures");
const suite = existsSync(SSHD) ? describe : describe.skip;
const HOSTS = ["lab01", "lab02", "lab03"];
const TOKEN = "tok-E2E-secret-991";

let dir = "";
let port = 0;
let sshd: ChildProcess | undefined;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the keel binary; resolves when it exits. `onSpawn` sees the child (to watch it mid-run). */
function keel(args: string[], onSpawn?: (c: ChildProcess) => void): Promise<Result> {
  return new Promise((res, rej) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    c.stdout!.on("data", (d) => (stdout += d));
    c.stderr!.on("data", (d) => (stderr += d));
    c.on("error", rej);
    c.on("close", (code) => res({ code, stdout, stderr }));
    onSpawn?.(c);
  });
}

const readJson = (f: string) => JSON.parse(readFileSync(f, "utf8"));
const hostRoot = (h: string) => join(dir, "hosts", h);

/** sha256 of every file under a folder (symlinks by target), to prove a host was not touched. */
function checksums(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[p] = createHash("sha256").update(readFileSync(p)).digest("hex") + ` ${statSync(p).mode.toString(8)} ${statSync(p).mtimeMs}`;
      else out[p] = "link";
    }
  };
  walk(root);
  return out;
}

function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** The pid of a process whose argv is exactly `argv`, or undefined. */
function findProcess(argv: string[]): number | undefined {
  const want = argv.join("\0");
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0$/, "") === want) return Number(d);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** Processes under a pid (to stop exactly what this test started). */
function descendantsOf(pid: number): number[] {
  const kids: number[] = [];
  for (const d of readdirSync("/proc")) if (/^\d+$/.test(d) && ppidOf(Number(d)) === pid) kids.push(Number(d));
  return [...kids, ...kids.flatMap(descendantsOf)];
}

function writeInventory(file: string, hosts: Record<string, Record<string, unknown>>): string {
  const lines = [
    "all:",
    "  vars:",
    "    ansible_host: 127.0.0.1",
    `    ansible_port: ${port}`,
    `    ansible_user: ${userInfo().username}`,
    `    ansible_ssh_private_key_file: ${join(dir, "client_key")}`,
    `    keel_known_hosts: ${join(dir, "known_hosts")}`,
    `    app_token: ${TOKEN}`,
    "  hosts:",
  ];
  for (const [h, vars] of Object.entries(hosts)) {
    lines.push(`    ${h}:`);
    for (const [k, v] of Object.entries(vars)) lines.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  const p = join(dir, file);
  writeFileSync(p, lines.join("\n") + "\n");
  return p;
}

suite("keel run over real SSH (private sshd on 127.0.0.1)", () => {
  let inv = "";

  beforeAll(async () => {
    // test/e2e/setup.ts (the e2e project's global setup) has compiled dist/ for bin/keel.js.
    dir = mkdtempSync(join(tmpdir(), "keel-run-e2e-"));
    keygen(join(dir, "host_key"));
    keygen(join(dir, "client_key"));
    keygen(join(dir, "other_key"));
    const started = await startLocalSshd(dir, { hostKeys: [join(dir, "host_key")], extraConfig: ["MaxStartups 50"] });
    port = started.port;
    sshd = started.proc;
    const hostPub = readFileSync(join(dir, "host_key.pub"), "utf8").split(" ");
    writeFileSync(join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
    const otherPub = readFileSync(join(dir, "other_key.pub"), "utf8").split(" ");
    writeFileSync(join(dir, "known_hosts_wrong"), `[127.0.0.1]:${port} ${otherPub[0]} ${otherPub[1]}\n`);
    for (const h of HOSTS) mkdirSync(hostRoot(h), { recursive: true });
    inv = writeInventory("inventory.yml", Object.fromEntries(HOSTS.map((h) => [h, { root: hostRoot(h) }])));
  });

  afterAll(() => {
    if (sshd?.pid) {
      for (const p of descendantsOf(sshd.pid)) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // gone
        }
      }
      sshd.kill("SIGTERM");
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("1. the first run changes things on every host and exits 0", async () => {
    const json = join(dir, "run1.json");
    const r = await keel(["run", join(FIX, "site.yml"), "-i", inv, "--json", json, "--log", join(dir, "run1.log")]);
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    const rep = readJson(json);
    for (const h of HOSTS) {
      expect(rep.summary.hosts[h]).toMatchObject({ changed: 13, ok: 1, failed: 0, unreachable: 0, status: "ok" }); // 12 tasks + the handler
    }
    expect(readFileSync(join(hostRoot("lab02"), "etc", "motd"), "utf8")).toBe("Welcome to lab02.\nManaged by keel.\n");
    expect(readFileSync(join(hostRoot("lab01"), "etc", "greeting"), "utf8")).toMatch(/^Hello from lab01 \(\w+\), app on port 8080\.\n$/);
    expect(statSync(join(hostRoot("lab01"), "etc", "secret.conf")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(hostRoot("lab03"), "var", "lib", "app", "motd.refreshed"))).toBe(true); // the handler ran
    expect(r.stdout).toMatch(/^changed  lab01  Ensure motd  \(files\.copy /m);
    expect(r.stdout).toMatch(/^RECAP$/m);
    // no_log: the token reaches the host, but neither the output, the JSON nor the run log
    expect(readFileSync(join(hostRoot("lab01"), "etc", "secret.conf"), "utf8")).toBe(`token=${TOKEN}\n`);
    expect(r.stdout).not.toContain(TOKEN);
    expect(readFileSync(json, "utf8")).not.toContain(TOKEN);
    expect(readFileSync(join(dir, "run1.log"), "utf8")).not.toContain(TOKEN);
  });

  it("2. the second run changes nothing, in at most 2 round trips per host after connecting", async () => {
    const json = join(dir, "run2.json");
    const r = await keel(["run", join(FIX, "site.yml"), "-i", inv, "--json", json]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = readJson(json);
    for (const h of HOSTS) {
      expect(rep.summary.hosts[h]).toMatchObject({ changed: 0, ok: 13, failed: 0, unknown: 0 });
      expect(rep.summary.round_trips[h]).toBeLessThanOrEqual(2);
    }
    expect(rep.events.filter((e: { type: string; result?: { handler?: boolean } }) => e.type === "task.result" && e.result?.handler)).toEqual([]);
    const schema = readJson(join(REPO, "schemas", "run-report.schema.json"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(rep) ? [] : validate.errors).toEqual([]);
    console.log(`converged 13-task run: round trips per host ${JSON.stringify(rep.summary.round_trips)}`);
  });

  it("3. after tampering, --check reports exactly that task and does not touch the host", async () => {
    appendFileSync(join(hostRoot("lab02"), "etc", "motd"), "tampered\n");
    const before = Object.fromEntries(HOSTS.map((h) => [h, checksums(hostRoot(h))]));
    const json = join(dir, "check.json");
    const r = await keel(["run", join(FIX, "site.yml"), "-i", inv, "--check", "--diff", "--json", json]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = readJson(json);
    const changed = rep.events
      .filter((e: { type: string; result?: { status: string } }) => e.type === "task.result" && e.result!.status === "changed")
      .map((e: { host: string; task: { name: string } }) => `${e.host}: ${e.task.name}`);
    expect(changed).toEqual(["lab02: Ensure motd"]);
    // the handler it notifies is a command: unpredictable, so "unknown", never "changed"
    const unknown = rep.events
      .filter((e: { type: string; result?: { status: string } }) => e.type === "task.result" && e.result!.status === "unknown")
      .map((e: { host: string; task: { name: string } }) => `${e.host}: ${e.task.name}`);
    expect(unknown).toEqual(["lab02: refresh motd"]);
    expect(r.stdout).toContain("-tampered");
    expect(r.stdout).toContain("check mode: nothing was changed");
    const after = Object.fromEntries(HOSTS.map((h) => [h, checksums(hostRoot(h))]));
    expect(after).toEqual(before);
    // a real run repairs it, and only it
    const fix = await keel(["run", join(FIX, "site.yml"), "-i", inv, "--json", join(dir, "fix.json")]);
    expect(fix.code).toBe(0);
    expect(readJson(join(dir, "fix.json")).summary.hosts.lab02).toMatchObject({ changed: 2, ok: 12 }); // motd + its handler
  });

  it("4. a connection killed mid-run is reported for that host; the others finish", async () => {
    const secs = `29.${Math.floor(Math.random() * 9000) + 1000}`;
    const json = join(dir, "slow.json");
    let killed: number | undefined;
    const r = await keel(["run", join(FIX, "slow.yml"), "-i", inv, "-e", "victim=lab02", "-e", `sleep_seconds=${secs}`, "--json", json], () => {
      const poll = setInterval(() => {
        const sleeper = findProcess(["sleep", secs]);
        if (sleeper === undefined) return;
        // walk up to lab02's session process: the child of the listening sshd
        let p: number | undefined = sleeper;
        while (p !== undefined && ppidOf(p) !== sshd!.pid) p = ppidOf(p);
        if (p === undefined) return;
        clearInterval(poll);
        killed = p;
        process.kill(p, "SIGKILL");
        const rest = findProcess(["sleep", secs]);
        if (rest) process.kill(rest, "SIGKILL");
      }, 50);
      setTimeout(() => clearInterval(poll), 20_000).unref();
    });
    expect(killed, "the victim's sleep was never seen").toBeDefined();
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const rep = readJson(json);
    expect(rep.summary.unreachable).toEqual(["lab02"]);
    expect(rep.summary.hosts.lab01).toMatchObject({ status: "ok", changed: 2, skipped: 1 });
    expect(rep.summary.hosts.lab03).toMatchObject({ status: "ok", changed: 2, skipped: 1 });
    expect(existsSync(join(hostRoot("lab01"), "after"))).toBe(true);
    expect(existsSync(join(hostRoot("lab03"), "after"))).toBe(true);
    expect(existsSync(join(hostRoot("lab02"), "after"))).toBe(false);
    const u = rep.events.find((e: { type: string }) => e.type === "host.unreachable");
    expect(u.message).toMatch(/^lab02: unreachable during task 'Sleep on the victim' \(.*slow\.yml:\d+\): lost: /);
    expect(r.stdout).toMatch(/^unreachable lab02  lab02: unreachable during task 'Sleep on the victim'/m);
    expect(r.stdout).toMatch(/^FAILED$/m);
  });

  it("5. a changed host key is refused; the other host still runs", async () => {
    const bad = writeInventory("inventory-badkey.yml", {
      lab01: { root: hostRoot("lab01") },
      lab04: { root: join(dir, "hosts", "lab04"), keel_known_hosts: join(dir, "known_hosts_wrong") },
    });
    const json = join(dir, "badkey.json");
    const r = await keel(["run", join(FIX, "site.yml"), "-i", bad, "--json", json]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const rep = readJson(json);
    expect(rep.summary.unreachable).toEqual(["lab04"]);
    expect(rep.summary.hosts.lab01).toMatchObject({ status: "ok", failed: 0 });
    const u = rep.events.find((e: { type: string }) => e.type === "host.unreachable");
    expect(u).toMatchObject({ host: "lab04", failure: "hostkey" });
    expect(u.message).toMatch(/^lab04: unreachable while connecting: host key CHANGED for lab04 /);
    expect(existsSync(join(dir, "hosts", "lab04"))).toBe(false);
    expect(readFileSync(join(dir, "known_hosts_wrong"), "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("invalid input exits 1 before any host is touched", async () => {
    const badPlay = join(dir, "bad.yml");
    writeFileSync(badPlay, "- hosts: all\n  tasks:\n    - name: typo\n      copyy:\n        dest: /tmp/x\n        content: x\n");
    const r = await keel(["run", badPlay, "-i", inv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yml:4:\d+/);
    const lim = await keel(["run", join(FIX, "site.yml"), "-i", inv, "--limit", "nosuchhost"]);
    expect(lim.code).toBe(1);
  });
});

describeLab("keel run on the lab hosts", () => {
  const root = "/srv/keel-e2e-run";
  const vars = ["-e", `root=${root}`, "-e", `app_token=${TOKEN}`];
  const out = mkdtempSync(join(tmpdir(), "keel-run-lab-"));
  afterAll(async () => {
    await Promise.all(LAB_HOSTS.map((h) => labSsh(h, `rm -rf ${root}`)));
    rmSync(out, { recursive: true, force: true });
  });

  it("converges every lab host, then converges again with nothing to do in ≤ 2 round trips per host", async () => {
    await Promise.all(LAB_HOSTS.map((h) => labSsh(h, `rm -rf ${root}`)));
    const t1 = Date.now();
    const first = await keel(["run", join(FIX, "site.yml"), "-i", LAB_INVENTORY, ...vars, "--json", join(out, "1.json")]);
    const firstMs = Date.now() - t1;
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const r1 = readJson(join(out, "1.json"));
    for (const h of LAB_HOSTS) expect(r1.summary.hosts[h.name]).toMatchObject({ changed: 13, failed: 0 });
    const t2 = Date.now();
    const second = await keel(["run", join(FIX, "site.yml"), "-i", LAB_INVENTORY, ...vars, "--json", join(out, "2.json")]);
    const secondMs = Date.now() - t2;
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const r2 = readJson(join(out, "2.json"));
    for (const h of LAB_HOSTS) {
      expect(r2.summary.hosts[h.name]).toMatchObject({ changed: 0, ok: 13, failed: 0 });
      expect(r2.summary.round_trips[h.name]).toBeLessThanOrEqual(2);
    }
    const greeting = await labSsh(LAB_HOSTS[0]!, `cat ${root}/etc/greeting`);
    expect(greeting.stdout).toBe(`Hello from ${LAB_HOSTS[0]!.name} (debian), app on port 8080.\n`);
    console.log(
      `lab: 13-task playbook on ${LAB_HOSTS.length} hosts: first run ${firstMs} ms, second run ${secondMs} ms; round trips ${JSON.stringify(r2.summary.round_trips)}`,
    );
  });

  it("after tampering on one host, --check reports exactly that task and leaves every host untouched", async () => {
    const victim = LAB_HOSTS[LAB_HOSTS.length - 1]!;
    await labSsh(victim, `echo tampered >> ${root}/etc/motd`);
    const sums = () =>
      Promise.all(
        LAB_HOSTS.map((h) =>
          labSsh(h, `cd ${root} && find . -type f -exec sha256sum {} + | sort && stat -c '%n %a %Y' $(find . -type f | sort)`).then((r) => r.stdout),
        ),
      );
    const before = await sums();
    const r = await keel(["run", join(FIX, "site.yml"), "-i", LAB_INVENTORY, ...vars, "--check", "--json", join(out, "check.json")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = readJson(join(out, "check.json"));
    const changed = rep.events
      .filter((e: { type: string; result?: { status: string } }) => e.type === "task.result" && e.result!.status === "changed")
      .map((e: { host: string; task: { name: string } }) => `${e.host}: ${e.task.name}`);
    expect(changed).toEqual([`${victim.name}: Ensure motd`]);
    expect(await sums()).toEqual(before);
  });
});
