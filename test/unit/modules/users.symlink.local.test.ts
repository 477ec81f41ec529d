// users.authorized_key run as root on a user's home that the user controls: a symlink the user
// planted at ~/.ssh or ~/.ssh/authorized_keys must not make keel read, copy or chmod another file.
// Root only (creates the throwaway account keeltest-sym); skipped otherwise.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecOptions, ExecResult, Host, WriteFileOptions } from "../../../engine/core/module.js";
import { CommandError } from "../../../engine/core/errors.js";
import { atomicWriteScript } from "../../../engine/transport/atomic.js";
import { BASE_FACTS } from "./harness.js";
import keyMod from "../../../modules/users/authorized_key.js";

const IS_ROOT = process.getuid?.() === 0;
const USER = "keeltest-sym";
const SECRET = "/tmp/keeltest-sym-secret";
const VICTIM = "/tmp/keeltest-sym-victim";
const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB alice@laptop";

function sh(cmd: string, stdin?: string | Buffer): ExecResult {
  const r = spawnSync("sh", ["-c", cmd], { cwd: "/", input: stdin, encoding: "utf8" });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", rc: r.status ?? -1 };
}

class LocalHost implements Host {
  readonly name = "localhost";
  readonly facts = BASE_FACTS;
  async run(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = sh(cmd, opts.stdin);
    if (r.rc !== 0 && opts.check !== false) throw new CommandError(cmd, r.rc, r.stdout, r.stderr);
    return r;
  }
  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<{ backup?: string }> {
    const r = sh(atomicWriteScript(path, opts), content);
    if (r.rc !== 0) throw new CommandError(`write ${path}`, r.rc, r.stdout, r.stderr);
    return {};
  }
  async reconnect(): Promise<void> {}
}

/** probe → diff → apply as keel would (a diff error fails the task before apply). */
async function run(args: Parameters<typeof keyMod.diff>[1]): Promise<void> {
  const p = keyMod.probe(args, BASE_FACTS);
  const r = sh(p.script);
  const st = p.parse(r.stdout, r.rc);
  const changes = keyMod.diff(st, args, BASE_FACTS);
  await keyMod.apply(new LocalHost(), args, changes, st);
}

const cleanup = () => sh(`getent passwd ${USER} >/dev/null && userdel -r ${USER} 2>/dev/null; rm -rf ${SECRET} ${VICTIM}; true`);

describe.skipIf(!IS_ROOT)("users.authorized_key and symlinks planted by the user (root only)", () => {
  const home = `/home/${USER}`;
  beforeAll(() => {
    if (sh(`getent passwd ${USER}`).rc === 0) throw new Error(`${USER} already exists: another run is using it, or clean it up`);
    cleanup();
    expect(sh(`useradd -m ${USER}`).rc).toBe(0);
  });
  afterAll(cleanup);

  it("~/.ssh/authorized_keys -> a root-only file: refused; the file is neither copied nor changed", async () => {
    writeFileSync(SECRET, "root:SECRET-HASH:19000:0:99999:7:::\n", { mode: 0o600 });
    sh(
      `rm -rf ${home}/.ssh && mkdir -m 700 ${home}/.ssh && chown ${USER}: ${home}/.ssh && ln -s ${SECRET} ${home}/.ssh/authorized_keys && chown -h ${USER}: ${home}/.ssh/authorized_keys`,
    );
    await expect(run({ user: USER, key: KEY_A })).rejects.toThrow(/symlink/);
    const leaked = sh(`grep -rl SECRET-HASH ${home}`).stdout;
    expect(leaked).toBe("");
    expect(statSync(SECRET).mode & 0o777).toBe(0o600);
    expect(statSync(SECRET).uid).toBe(0);
    expect(readFileSync(SECRET, "utf8")).toBe("root:SECRET-HASH:19000:0:99999:7:::\n");
  });

  it("~/.ssh -> a root directory: refused; the directory is not chmod'ed and gets no file", async () => {
    rmrf(VICTIM);
    mkdirSync(VICTIM);
    chmodSync(VICTIM, 0o755);
    sh(`rm -rf ${home}/.ssh && ln -s ${VICTIM} ${home}/.ssh && chown -h ${USER}: ${home}/.ssh`);
    await expect(run({ user: USER, key: KEY_A })).rejects.toThrow(/symlink/);
    expect(statSync(VICTIM).mode & 0o777).toBe(0o755);
    expect(existsSync(`${VICTIM}/authorized_keys`)).toBe(false);
  });

  it("a symlink root made is followed as before", async () => {
    rmrf(VICTIM);
    mkdirSync(VICTIM);
    sh(`chown ${USER}: ${VICTIM} && chmod 700 ${VICTIM} && rm -rf ${home}/.ssh && ln -s ${VICTIM} ${home}/.ssh`);
    await run({ user: USER, key: KEY_A });
    expect(readFileSync(`${VICTIM}/authorized_keys`, "utf8")).toBe(`${KEY_A}\n`);
    // and converged: the link's own mode (0777) is not the directory's
    const p = keyMod.probe({ user: USER, key: KEY_A }, BASE_FACTS);
    const r = sh(p.script);
    expect(keyMod.diff(p.parse(r.stdout, r.rc), { user: USER, key: KEY_A }, BASE_FACTS).map((c) => c.summary)).toEqual([]);
  });
});

function rmrf(p: string): void {
  sh(`rm -rf '${p}'`);
}
