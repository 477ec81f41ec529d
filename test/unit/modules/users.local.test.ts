// Idempotence of users.* (and command creates) on THIS machine, as root: probe → diff → apply through
// a small local Host (child_process `sh -c`) → probe again must give no change. Only throwaway
// keeltest-* accounts and files are touched; afterAll removes them. Skipped when not running as root
// (useradd and /etc/shadow need it).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecOptions, ExecResult, Host, HostModule, WriteFileOptions, Change } from "../../../engine/core/module.js";
import { CommandError } from "../../../engine/core/errors.js";
import { shq } from "../../../engine/core/shell.js";
import { BASE_FACTS } from "./harness.js";
import userMod from "../../../modules/users/user.js";
import groupMod from "../../../modules/users/group.js";
import keyMod from "../../../modules/users/authorized_key.js";
import sudoersMod from "../../../modules/users/sudoers.js";
import commandMod from "../../../modules/system/command.js";
import shellMod from "../../../modules/system/shell.js";

const IS_ROOT = process.getuid?.() === 0;
const USER = "keeltest-u1";
const GROUP = "keeltest-lg";
const GROUP2 = "keeltest-lg2";
const SUDOERS = "keeltest-lsud";
const MARK = "/tmp/keeltest-local-created";
const HASH = "$6$keeltestsalt1$2TGr4/aVfmtBiUVaJ5vq97EJZv/f0/J4m/79qxSR.Kskmt6MTNC55boS564BKJNnnjrUXGKkRRz/oWAHWMlqF0";
const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB alice@laptop";
const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFj9F3Y/dMM5qkle34E06grdeE30jtF5V6aNHTmOe1qe bob@desk";

function sh(cmd: string, opts: { cwd?: string; stdin?: string | Buffer } = {}): ExecResult {
  const r = spawnSync("sh", ["-c", cmd], { cwd: opts.cwd ?? "/", input: opts.stdin, encoding: "utf8" });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", rc: r.status ?? -1 };
}

/** This machine as a Host: commands through `sh -c`, atomic writes (temp file, validate, rename). */
class LocalHost implements Host {
  readonly name = "localhost";
  readonly facts = BASE_FACTS;
  readonly commands: string[] = [];
  async run(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push(cmd);
    const r = sh(cmd, { ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}) });
    if (r.rc !== 0 && opts.check !== false) throw new CommandError(cmd, r.rc, r.stdout, r.stderr);
    return r;
  }
  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<{ backup?: string }> {
    const tmp = join(dirname(path), `.keel-tmp-${process.pid}-${Date.now()}`);
    writeFileSync(tmp, content, { mode: 0o600 });
    try {
      if (opts.owner || opts.group) await this.run(`chown ${shq(`${opts.owner ?? ""}:${opts.group ?? ""}`)} ${shq(tmp)}`);
      if (opts.mode) chmodSync(tmp, parseInt(opts.mode, 8));
      if (opts.validate) await this.run(opts.validate.replace(/%s/g, shq(tmp)));
      renameSync(tmp, path);
    } finally {
      if (existsSync(tmp)) unlinkSync(tmp);
    }
    return {};
  }
  async reconnect(): Promise<void> {
    throw new Error("LocalHost cannot reconnect; not needed by these modules");
  }
}

async function probeDiff(mod: HostModule, args: unknown): Promise<{ state: unknown; changes: Change[] }> {
  const p = mod.probe(args, BASE_FACTS);
  const r = sh(p.script);
  const state = p.parse(r.stdout, r.rc);
  return { state, changes: mod.diff(state, args, BASE_FACTS) };
}

/** Converges once (expecting changes), then checks that a second probe finds nothing to do. */
async function converge(mod: HostModule, args: unknown, host = new LocalHost()): Promise<Change[]> {
  const first = await probeDiff(mod, args);
  expect(first.changes.length, `${mod.name} should have something to do`).toBeGreaterThan(0);
  await mod.apply(host, args, first.changes, first.state);
  const second = await probeDiff(mod, args);
  expect(second.changes.map((c) => c.summary)).toEqual([]);
  return first.changes;
}

function cleanup(): void {
  sh(`getent passwd ${USER} >/dev/null && userdel -r ${USER} 2>/dev/null
for g in ${USER} ${GROUP} ${GROUP2}; do getent group $g >/dev/null && groupdel $g; done
rm -f /etc/sudoers.d/${SUDOERS} ${MARK}; true`);
}

describe.skipIf(!IS_ROOT)("users modules against this machine (root only; skipped when not root)", () => {
  beforeAll(() => {
    for (const n of [USER]) {
      if (sh(`getent passwd ${n}`).rc === 0) throw new Error(`${n} already exists: another run is using it, or clean it up`);
    }
    cleanup();
  });
  afterAll(cleanup);

  it("users.group: create, change gid, converge", async () => {
    await converge(groupMod, { name: GROUP, gid: 2990 });
    await converge(groupMod, { name: GROUP2, system: true });
    const changes = await converge(groupMod, { name: GROUP, gid: 2991 });
    expect(changes[0]!.summary).toBe("gid 2990 → 2991");
  });

  it("users.user: create with every field, then change fields, converge each time", async () => {
    const base = { name: USER, uid: 2992, groups: [GROUP], shell: "/bin/sh", comment: "Keel Local", password: HASH, expires: 1893456000 };
    await converge(userMod, base);
    expect(sh(`getent shadow ${USER}`).stdout.split(":")[1]).toBe(HASH);
    expect(sh(`getent shadow ${USER}`).stdout.split(":")[7]).toBe("21915");
    expect(existsSync(`/home/${USER}`)).toBe(true);

    const host = new LocalHost();
    const changes = await converge(
      userMod,
      { ...base, shell: "/bin/bash", groups: [GROUP2], append: true, password_lock: true, expires: -1, comment: "Changed" },
      host,
    );
    expect(changes.map((c) => c.field)).toEqual(["groups", "shell", "comment", "password_lock", "expires"]);
    expect(host.commands.join("\n")).not.toContain("$6$");
    expect(sh(`id -Gn ${USER}`).stdout.trim().split(" ").sort()).toEqual([GROUP, GROUP2, USER].sort());
    expect(sh(`getent shadow ${USER}`).stdout.split(":")[1]).toBe(`!${HASH}`);

    // A new hash on a locked account: set, and still locked.
    const other = "$6$keeltestsalt2$.1Jl//FyiiX9dhCAth87ZeCaN9R/.wrYGsE6yB/Q8x63TGG7eaPsW9CBhNs5KnGNAywkVBEhvzUSogEfF7KBZ.";
    await converge(userMod, { name: USER, password: other, password_lock: true });
    expect(sh(`getent shadow ${USER}`).stdout.split(":")[1]).toBe(`!${other}`);
    // Exact groups: drop the appended one.
    await converge(userMod, { name: USER, groups: [GROUP] });
  });

  it("users.authorized_key: creates ~/.ssh 0700 and the file 0600 owned by the user; exclusive; absent", async () => {
    const file = `/home/${USER}/.ssh/authorized_keys`;
    sh(`rm -rf /home/${USER}/.ssh`);
    await converge(keyMod, { user: USER, key: KEY_A });
    const d = statSync(`/home/${USER}/.ssh`);
    const f = statSync(file);
    expect((d.mode & 0o777).toString(8)).toBe("700");
    expect((f.mode & 0o777).toString(8)).toBe("600");
    expect([d.uid, f.uid]).toEqual([2992, 2992]);
    expect(readFileSync(file, "utf8")).toBe(`${KEY_A}\n`);

    await converge(keyMod, { user: USER, key: [KEY_B], key_options: "no-pty" });
    await converge(keyMod, { user: USER, key: [KEY_B], key_options: "no-pty", exclusive: true });
    expect(readFileSync(file, "utf8")).toBe(`no-pty ${KEY_B}\n`);
    // A different comment is not drift.
    expect((await probeDiff(keyMod, { user: USER, key: KEY_B.replace("bob@desk", "bob@elsewhere"), key_options: "no-pty" })).changes).toEqual([]);
    sh(`chmod 644 ${file}`);
    await converge(keyMod, { user: USER, key: [KEY_B], key_options: "no-pty" });
    await converge(keyMod, { user: USER, key: KEY_B, state: "absent" });
    expect(readFileSync(file, "utf8")).toBe("");
  });

  it("users.sudoers: validated install 0440 root:root; an invalid rule is never installed", async () => {
    const path = `/etc/sudoers.d/${SUDOERS}`;
    await converge(sudoersMod, { name: SUDOERS, user: USER, commands: ["/usr/bin/id", "/usr/bin/true"] });
    expect(readFileSync(path, "utf8")).toBe(`${USER} ALL=NOPASSWD: /usr/bin/id, /usr/bin/true\n`);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("440");
    expect(sh("visudo -c").rc).toBe(0);
    // sudo really reads the rule.
    expect(sh(`sudo -l -U ${USER}`).stdout).toContain("(root) NOPASSWD: /usr/bin/id, /usr/bin/true");

    const bad = { name: SUDOERS, user: USER, commands: ["id"] };
    const { state, changes } = await probeDiff(sudoersMod, bad);
    expect(changes.length).toBe(1);
    await expect(sudoersMod.apply(new LocalHost(), bad, changes as never, state as never)).rejects.toThrow(/expected a fully-qualified path name/);
    expect(readFileSync(path, "utf8")).toBe(`${USER} ALL=NOPASSWD: /usr/bin/id, /usr/bin/true\n`);

    // writeFile's validate alone also refuses it (the second line of defence).
    await expect(new LocalHost().writeFile(path, `${USER} ALL=NOPASSWD: id\n`, { validate: "visudo -cf %s" })).rejects.toThrow(CommandError);
    expect(readFileSync(path, "utf8")).toBe(`${USER} ALL=NOPASSWD: /usr/bin/id, /usr/bin/true\n`);

    await converge(sudoersMod, { name: SUDOERS, state: "absent" });
    expect(existsSync(path)).toBe(false);
  });

  it("system.command / system.shell: creates makes the second run a no-op; rc comes back", async () => {
    await converge(commandMod, { cmd: `touch ${MARK}`, creates: MARK });
    const host = new LocalHost();
    const res = await commandMod.apply(host, { cmd: `sh -c "exit 7"` }, [], {});
    expect(res).toMatchObject({ rc: 7, msg: "non-zero return code" });
    const out = await shellMod.apply(host, { cmd: "echo $((6*7)) | tr 4 X; pwd", chdir: "/etc" }, [], {});
    expect(out).toMatchObject({ rc: 0, stdout: "X2\n/etc" });
    const lit = await commandMod.apply(host, { cmd: "echo $HOME *" }, [], {});
    expect(lit).toMatchObject({ rc: 0, stdout: "$HOME *" });
    await converge(shellMod, { cmd: `rm ${MARK}`, removes: MARK });
  });

  it("users.user / users.group: absent with remove, converge", async () => {
    await converge(userMod, { name: USER, state: "absent", remove: true });
    expect(existsSync(`/home/${USER}`)).toBe(false);
    await converge(groupMod, { name: GROUP, state: "absent" });
    await converge(groupMod, { name: GROUP2, state: "absent" });
  });
});
