// End to end: SSH password authentication and become with a password, through the real `keel run`
// (bin/keel.js) over SSH against a private scratch lab host.
//
// On the scratch host: a user pwuser with a known password (chpasswd), the lab key in its
// authorized_keys, a sudoers rule that REQUIRES a password (`pwuser ALL=(ALL) ALL`), and sshd
// switched between refusing and allowing password logins (a drop-in in /etc/ssh/sshd_config.d).
// Passwords are typed at keel's prompts on a real pseudo-terminal (fixtures/auth/pty_drive.py waits
// for each prompt and for the terminal's ECHO flag to go off before typing), piped on stdin, or
// taken from the inventory (ansible_password, ansible_become_password). Every keel run writes
// --json and --log; no password (right or wrong) may appear in stdout, stderr, the terminal
// transcript, the log or the JSON report, nor in any process's argv or environment on the host
// while a become task runs. Everything keel did is checked from outside through nsenter (hostExec).
// keel runs with HOME pointing at an empty folder and no ssh-agent, so when it is given no key a
// password is the only way in.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeLab, hostExec, KEEL_BIN, keel, lab, ROOT, startScratchHost, stopScratchHost, waitForPort, type ProcResult, type ScratchHost } from "./lab.js";

const FIX = join(ROOT, "test/e2e/fixtures/auth");
const USER = "pwuser";
/** pwuser's password: blanks, quotes, $ and a backslash, to catch any quoting slip. */
const PW = `Pw d'q"$(id)\\x 71`;
const WRONG_SSH = "wrong-ssh-Zq81xv";
const WRONG_BECOME = "wrong-become-Kp27mw";
const SECRETS = [PW, WRONG_SSH, WRONG_BECOME];

interface Event {
  type: string;
  host: string;
  failure?: string;
  message?: string;
  task?: { name: string };
  result?: { status: string; msg?: string };
}
interface Report {
  events: Event[];
  summary: { failed: string[]; unreachable: string[]; failures: { host: string; task?: string; message: string }[] };
}
interface Run extends ProcResult {
  out: string;
  log: string;
  report: Report;
}

let dir = "";
let home = "";
let h: ScratchHost;
let n = 0;
/** Everything any run showed or wrote, for the final leak check. */
const seen: string[] = [];

/** Environment for keel: no default key files (empty HOME), no agent, no colour. */
const env = () => ({ HOME: home, SSH_AUTH_SOCK: "", NO_COLOR: "1" });

function inventory(name: string, vars: Record<string, string>): string {
  const file = join(dir, `${name}.yml`);
  const lines = [
    "all:",
    "  hosts:",
    `    ${h.name}:`,
    `      ansible_host: ${h.address}`,
    `      ansible_user: ${USER}`,
    `      keel_known_hosts: ${h.knownHosts}`,
    ...Object.entries(vars).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
  ];
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}
let invPw = ""; // password login, password from -k
let invPwVar = ""; // password login, ansible_password
let invKey = ""; // key login (lab key)
let invKeyBecomeVar = ""; // key login, ansible_become_password
let invWrongBecomeVar = ""; // key login, a wrong ansible_become_password

function artifacts(tag: string): { json: string; log: string } {
  const base = join(dir, `${String(++n).padStart(2, "0")}-${tag}`);
  return { json: `${base}.json`, log: `${base}.log` };
}

function collect(r: ProcResult & { transcript?: string }, a: { json: string; log: string }): Run {
  const out = `${r.stdout}\n${r.stderr}`;
  let report: Report;
  let log: string;
  try {
    report = JSON.parse(readFileSync(a.json, "utf8")) as Report;
    log = readFileSync(a.log, "utf8");
  } catch {
    throw new Error(`keel wrote no JSON report or log (exit ${r.code}):\n${out}`);
  }
  seen.push(out, log, JSON.stringify(report), readFileSync(a.json, "utf8"));
  for (const s of SECRETS) {
    expect(out, "a password in keel's output").not.toContain(s);
    expect(log, "a password in the run log").not.toContain(s);
    expect(readFileSync(a.json, "utf8"), "a password in the JSON report").not.toContain(s);
  }
  return { ...r, out, log, report };
}

/** keel run with stdin piped (not a terminal). */
async function run(tag: string, playbook: string, args: string[], input = ""): Promise<Run> {
  const a = artifacts(tag);
  const r = await keel(["run", join(FIX, playbook), "--json", a.json, "--log", a.log, ...args], { env: env(), input });
  return collect(r, a);
}

interface TtyRun extends Run {
  transcript: string;
  echoOff: boolean[];
  timedOut: string | null;
}

/** keel run on a pseudo-terminal, typing `answers` at its prompts (see fixtures/auth/pty_drive.py). */
async function runTty(tag: string, playbook: string, args: string[], answers: [string, string][]): Promise<TtyRun> {
  const a = artifacts(tag);
  const argv = [join(FIX, "pty_drive.py"), process.execPath, KEEL_BIN, "run", join(FIX, playbook), "--json", a.json, "--log", a.log, ...args];
  const r = await new Promise<ProcResult>((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn("python3", argv, { cwd: ROOT, env: { ...process.env, ...env(), TERM: "xterm" }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - t0 }));
    child.stdin.on("error", () => undefined); // the child failing early shows in its exit code
    child.stdin.end(JSON.stringify(answers));
  });
  if (r.code !== 0) throw new Error(`pty_drive.py failed (exit ${r.code}): ${r.stderr}`);
  const d = JSON.parse(r.stdout) as { code: number; transcript: string; echo_off: boolean[]; timed_out: string | null };
  if (d.timed_out) throw new Error(`keel never showed the prompt '${d.timed_out}'; the terminal showed:\n${d.transcript}`);
  seen.push(d.transcript);
  for (const s of SECRETS) expect(d.transcript, "a password echoed or printed on the terminal").not.toContain(s);
  const run = collect({ code: d.code, stdout: d.transcript, stderr: "", ms: r.ms }, a);
  return { ...run, transcript: d.transcript, echoOff: d.echo_off, timedOut: d.timed_out };
}

const hostFile = async (path: string) => (await hostExec(h, `cat ${path}`)).stdout;

/** What sshd offers besides public keys: password and keyboard-interactive (PAM asks "Password:"). */
async function sshdPasswords(password: boolean, kbd: boolean): Promise<void> {
  const yn = (b: boolean) => (b ? "yes" : "no");
  await hostExec(
    h,
    `printf '%s\\n' 'PasswordAuthentication ${yn(password)}' 'KbdInteractiveAuthentication ${yn(kbd)}' > /etc/ssh/sshd_config.d/10-keel-auth-test.conf && sshd -t`,
  );
  const eff = (await hostExec(h, "sshd -T -C user=pwuser,host=x,addr=198.18.0.1 | grep -Ei '^(passwordauthentication|kbdinteractiveauthentication) '")).stdout;
  expect(eff).toContain(`passwordauthentication ${yn(password)}`);
  expect(eff).toContain(`kbdinteractiveauthentication ${yn(kbd)}`);
  await hostExec(h, "service ssh restart >/dev/null");
  await waitForPort(h.address, 22);
}

const unreachable = (r: Run) => r.report.events.filter((e) => e.type === "host.unreachable");
const failures = (r: Run) => r.report.summary.failures;

describeLab("SSH password authentication and become with a password", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-auth-e2e-"));
    home = join(dir, "home");
    mkdirSync(home);
    h = await startScratchHost();
    const pub = readFileSync(`${lab().privateKey}.pub`, "utf8").trim();
    await hostExec(h, `useradd --create-home --shell /bin/bash ${USER}`);
    await hostExec(h, "chpasswd", { input: `${USER}:${PW}\n` });
    await hostExec(
      h,
      `install -d -m 0700 -o ${USER} -g ${USER} /home/${USER}/.ssh && cat > /home/${USER}/.ssh/authorized_keys && chown ${USER}: /home/${USER}/.ssh/authorized_keys`,
      { input: pub + "\n" },
    );
    await hostExec(h, `printf '%s\\n' '${USER} ALL=(ALL) ALL' > /etc/sudoers.d/${USER} && chmod 0440 /etc/sudoers.d/${USER} && visudo -cq`);
    invPw = inventory("pw", {});
    invPwVar = inventory("pw-var", { ansible_password: PW });
    invKey = inventory("key", { ansible_ssh_private_key_file: lab().privateKey });
    invKeyBecomeVar = inventory("key-become-var", { ansible_ssh_private_key_file: lab().privateKey, ansible_become_password: PW });
    invWrongBecomeVar = inventory("key-wrong-become-var", { ansible_ssh_private_key_file: lab().privateKey, ansible_become_password: WRONG_BECOME });
  });

  afterAll(async () => {
    if (h) await stopScratchHost(h);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the host is set up as the tests assume: sudo for pwuser requires a password", async () => {
    const r = await hostExec(h, `su -s /bin/sh ${USER} -c 'sudo -n true' 2>&1`, { check: false });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/password is required/);
    expect((await hostExec(h, `sudo -l -U ${USER}`)).stdout).toMatch(/\(ALL\) ALL/);
  });

  it("while sshd refuses passwords, the right password is refused (exit 4, auth)", async () => {
    await sshdPasswords(false, false);
    const r = await run("pw-refused", "login.yml", ["-i", invPw, "-k", "-e", "mark=refused"], PW + "\n");
    expect(r.code, r.out).toBe(4);
    expect(unreachable(r).map((e) => [e.host, e.failure])).toEqual([[h.name, "auth"]]);
    expect(await hostExec(h, `test -e /home/${USER}/keel-auth-mark`, { check: false })).toMatchObject({ code: 1 });
  });

  it("-k when sshd offers keyboard-interactive only (PAM's Password: prompt answered)", async () => {
    await sshdPasswords(false, true);
    const r = await run("pw-kbd", "login.yml", ["-i", invPw, "-k", "-e", "mark=kbd"], PW + "\n");
    expect(r.code, r.out).toBe(0);
    expect(await hostFile(`/home/${USER}/keel-auth-mark`)).toBe("kbd\n");
    await sshdPasswords(true, false);
  });

  it("-k on a terminal: the prompt turns echo off, the typed password logs in, nothing is echoed", async () => {
    const r = await runTty("pw-tty", "login.yml", ["-i", invPw, "-k", "-e", "mark=tty"], [["SSH password: ", PW]]);
    expect(r.code, r.transcript).toBe(0);
    expect(r.echoOff).toEqual([true]);
    expect(r.transcript).toContain("SSH password: ");
    expect(r.report.summary.failed).toEqual([]);
    expect(await hostFile(`/home/${USER}/keel-auth-mark`)).toBe("tty\n");
    expect((await hostExec(h, `stat -c %U /home/${USER}/keel-auth-mark`)).stdout.trim()).toBe(USER);
  });

  it("-k with the password piped on stdin", async () => {
    const r = await run("pw-piped", "login.yml", ["-i", invPw, "-k", "-e", "mark=piped"], PW + "\n");
    expect(r.code, r.out).toBe(0);
    expect(r.stderr).toContain("SSH password: ");
    expect(await hostFile(`/home/${USER}/keel-auth-mark`)).toBe("piped\n");
  });

  it("ansible_password from the inventory logs in without a prompt", async () => {
    const r = await run("pw-var", "login.yml", ["-i", invPwVar, "-e", "mark=invvar"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/password:/i);
    expect(await hostFile(`/home/${USER}/keel-auth-mark`)).toBe("invvar\n");
  });

  it("a wrong SSH password: exit 4, failure 'auth' naming the host; the other tasks never ran", async () => {
    const r = await run("pw-wrong", "login.yml", ["-i", invPw, "-k", "-e", "mark=wrong"], WRONG_SSH + "\n");
    expect(r.code, r.out).toBe(4);
    const u = unreachable(r);
    expect(u.map((e) => [e.host, e.failure])).toEqual([[h.name, "auth"]]);
    expect(u[0]!.message).toMatch(new RegExp(`authentication failed for ${USER}@${h.name}`));
    expect(r.report.summary.unreachable).toEqual([h.name]);
    expect(r.out).toContain(h.name);
    expect(r.out).toMatch(/authentication failed/);
    expect(await hostFile(`/home/${USER}/keel-auth-mark`)).toBe("invvar\n");
  });

  it("--become -k -K on a terminal: both prompts without echo; the task runs as root", async () => {
    await hostExec(h, "rm -f /root/keel-auth-root.txt");
    const r = await runTty(
      "become-tty",
      "become.yml",
      ["-i", invPw, "--become", "-k", "-K", "-e", "mark=tty-root"],
      [
        ["SSH password: ", PW],
        ["BECOME password: ", PW],
      ],
    );
    expect(r.code, r.transcript).toBe(0);
    expect(r.echoOff).toEqual([true, true]);
    expect(await hostFile("/root/keel-auth-root.txt")).toBe("tty-root\n");
    expect((await hostExec(h, "stat -c '%U %G %a' /root/keel-auth-root.txt")).stdout.trim()).toBe("root root 600");
  });

  it("-k -K with both passwords piped on stdin", async () => {
    const r = await run("become-pw-piped", "become.yml", ["-i", invPw, "--become", "-k", "-K", "-e", "mark=piped-root"], `${PW}\n${PW}\n`);
    expect(r.code, r.out).toBe(0);
    expect(await hostFile("/root/keel-auth-root.txt")).toBe("piped-root\n");
  });

  it("key login, --become -K with the become password piped", async () => {
    const r = await run("become-key-piped", "become.yml", ["-i", invKey, "--become", "-K", "-e", "mark=key-root"], PW + "\n");
    expect(r.code, r.out).toBe(0);
    expect(await hostFile("/root/keel-auth-root.txt")).toBe("key-root\n");
  });

  it("ansible_become_password from the inventory works without a prompt", async () => {
    const r = await run("become-var", "become.yml", ["-i", invKeyBecomeVar, "--become", "-e", "mark=var-root"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/password:/i);
    expect(await hostFile("/root/keel-auth-root.txt")).toBe("var-root\n");
  });

  it("--become without a password on a rule that needs one fails clearly (sudo -n), naming host and task", async () => {
    const r = await run("become-nopw", "become.yml", ["-i", invKey, "--become", "-e", "mark=nopw"]);
    expect(r.code, r.out).toBe(2);
    expect(r.report.summary.failed).toEqual([h.name]);
    const f = failures(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.host).toBe(h.name);
    expect(f[0]!.task).toBe("uid under become");
    expect(f[0]!.message).toContain(h.name);
    expect(f[0]!.message).toMatch(/password is required/);
    expect(r.out).toMatch(/password is required/);
    expect(await hostFile("/root/keel-auth-root.txt")).toBe("var-root\n");
  });

  for (const how of ["-K", "ansible_become_password"] as const) {
    it(`a wrong become password (${how}) fails clearly, naming host and task`, async () => {
      const r =
        how === "-K"
          ? await run("become-wrong-K", "become.yml", ["-i", invKey, "--become", "-K", "-e", "mark=wrong"], WRONG_BECOME + "\n")
          : await run("become-wrong-var", "become.yml", ["-i", invWrongBecomeVar, "--become", "-e", "mark=wrong"]);
      expect(r.code, r.out).toBe(2);
      expect(r.report.summary.failed).toEqual([h.name]);
      const f = failures(r);
      expect(f).toHaveLength(1);
      expect(f[0]!.host).toBe(h.name);
      expect(f[0]!.task).toBe("uid under become");
      expect(f[0]!.message).toContain(h.name);
      // sudo's own words, after it read the wrong password from stdin (sudo -k -S).
      expect(f[0]!.message).toMatch(/incorrect password attempt/);
      expect(r.out).toMatch(/incorrect password attempt/);
      expect(await hostFile("/root/keel-auth-root.txt")).toBe("var-root\n");
    });
  }

  it("no password in any process's argv or environment on the host while a become task runs", async () => {
    const a = artifacts("become-slow");
    const running = keel(["run", join(FIX, "become-slow.yml"), "-i", invKey, "--become", "-K", "--json", a.json, "--log", a.log], {
      env: env(),
      input: PW + "\n",
    });
    const snapshots: string[] = [];
    let sawSleep = false;
    let done = false;
    void running.finally(() => (done = true));
    while (!done) {
      const ps = await hostExec(
        h,
        `for p in /proc/[0-9]*; do printf '%s\\n' "$p"; tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; tr '\\0' '\\n' < $p/environ 2>/dev/null; echo; done`,
        { check: false },
      );
      snapshots.push(ps.stdout);
      if (/^sleep 4 $/m.test(ps.stdout)) sawSleep = true;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = collect(await running, a);
    expect(r.code, r.out).toBe(0);
    expect(sawSleep, "the scan never saw the become task's `sleep 4` running").toBe(true);
    // The task really ran under sudo: sudo and its sh -c were among the processes.
    expect(snapshots.join("\n")).toMatch(/sudo -k -S -p {2}-H -u root -- sh -c/);
    for (const s of snapshots) for (const secret of SECRETS) expect(s).not.toContain(secret);
  });

  it("no password anywhere keel printed or wrote, in all the runs above (failing and succeeding)", () => {
    expect(seen.length).toBeGreaterThan(30);
    for (const text of seen) for (const s of SECRETS) expect(text).not.toContain(s);
    // The log and report are not empty: the check above looked at real content.
    expect(seen.some((t) => t.includes("task.result") && t.includes(h.name))).toBe(true);
  });
});
