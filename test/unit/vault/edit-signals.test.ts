// keel vault edit, interrupted: a signal to keel while the editor runs (Ctrl-C in the terminal, a
// SIGTERM, the terminal closing) must leave no decrypted copy in the temp folder and the vault file
// unchanged. Before, the signal's default action killed keel with the plaintext still on disk.
// keel runs in its own process (tsx) so that the signals reach it and not the test runner.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, mkdirSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "keel-vault-sig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tsx = resolve("node_modules/.bin/tsx");
const runner = join(dir, "run.mts");
writeFileSync(runner, `import { main } from ${JSON.stringify(resolve("engine/cli/main.ts"))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
writeFileSync(join(dir, "pw"), "edit-signal-password\n");

// Asynchronous on purpose: a tsx start takes tens of seconds under load, and a spawnSync that long
// blocks the test worker's event loop, so vitest's own RPC to it times out ("Timeout calling
// onTaskUpdate") and fails the whole run although every test passed.
function keel(args: string[], env: Record<string, string> = {}): Promise<{ rc: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, [runner, ...args], { cwd: dir, env: { ...process.env, TMPDIR: tmp, ...env }, timeout: 120_000 });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", fail);
    child.on("close", (rc, signal) => done({ rc, signal, out, err }));
  });
}

// keel's TMPDIR (tsx keeps its compile cache there too, which is why only keel-vault-* is looked at)
const tmp = join(dir, "tmp");
mkdirSync(tmp);
/** What keel vault edit left in the temp folder. */
const leftovers = () => readdirSync(tmp).filter((n) => n.startsWith("keel-vault-"));

describe("keel vault edit: a signal while the editor runs", { timeout: 180_000 }, () => {
  it("the vault file is encrypted first", async () => {
    writeFileSync(join(dir, "v.yml"), "db_password: edit-signal-plaintext\n");
    expect((await keel(["vault", "encrypt", "--vault-password-file", "pw", "v.yml"])).rc).toBe(0);
  });

  // the editor changes the file, then keel receives the signal (its parent: keel itself)
  it.each(["INT", "TERM", "HUP"])("SIG%s: no plaintext left in the temp folder, the vault unchanged", async (sig) => {
    const editor = join(dir, `editor-${sig}.sh`);
    writeFileSync(editor, `#!/bin/sh\necho 'added: 1' >> "$1"\nkill -${sig} $PPID\nsleep 1\nexit 0\n`, { mode: 0o755 });
    const before = readFileSync(join(dir, "v.yml"), "utf8");
    const r = await keel(["vault", "edit", "--vault-password-file", "pw", "v.yml"], { EDITOR: editor });
    expect(r.signal).toBeNull();
    expect(r.rc).toBe(1);
    expect(r.err).toContain(`interrupted (SIG${sig}); v.yml is unchanged`);
    expect(leftovers()).toEqual([]);
    expect(readFileSync(join(dir, "v.yml"), "utf8")).toBe(before);
  });

  it("without a signal the same editor's change is saved (the test above can fail)", async () => {
    const editor = join(dir, "editor-ok.sh");
    writeFileSync(editor, `#!/bin/sh\necho 'added: 1' >> "$1"\n`, { mode: 0o755 });
    expect((await keel(["vault", "edit", "--vault-password-file", "pw", "v.yml"], { EDITOR: editor })).rc).toBe(0);
    expect(leftovers()).toEqual([]);
    expect((await keel(["vault", "view", "--vault-password-file", "pw", "v.yml"])).out).toBe("db_password: edit-signal-plaintext\nadded: 1\n");
  });
});
