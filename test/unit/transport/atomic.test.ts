// The atomic-write script: its text, and its behaviour run by /bin/sh in a temporary directory
// (both transports send exactly this text).
import { mkdtempSync, readFileSync, writeFileSync, statSync, readdirSync, chmodSync, mkdirSync, symlinkSync, lstatSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, it, expect } from "vitest";
import { atomicWriteScript, parseAtomicWriteOutput } from "../../../engine/transport/atomic.js";
import { utimesSync } from "node:fs";
import { shq } from "../../../engine/core/shell.js";

const run = (script: string, content: Buffer | string) => {
  const r = spawnSync("/bin/sh", ["-c", script], { input: content });
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), rc: r.status };
};
const temps = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(".keel-tmp-"));

describe("atomicWriteScript text", () => {
  it("rejects bad input before anything runs", () => {
    expect(() => atomicWriteScript("relative/path")).toThrow(/absolute/);
    expect(() => atomicWriteScript("/etc/")).toThrow(/directory/);
    expect(() => atomicWriteScript("/etc/x", { mode: "0999" })).toThrow(/invalid mode/);
    expect(() => atomicWriteScript("/etc/x", { validate: "visudo -c" })).toThrow(/%s/);
  });
  it("quotes the path and substitutes %s with the temp file", () => {
    const s = atomicWriteScript("/etc/it's here", { validate: "visudo -cf %s && echo 100%%" });
    expect(s).toContain(`__p='/etc/it'\\''s here'`);
    expect(s).toContain(`visudo -cf "$__t" && echo 100%`);
    expect(s).toContain(".keel-tmp-$$.XXXXXX");
    // the rename goes onto the path itself (rename(2) semantics), never into a directory
    expect(s.trimEnd().split("\n").pop()).toContain(`mv -T -f -- "$__t" "$__p" || exit 1`);
  });
});

describe("atomicWriteScript behaviour", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-atomic-"));

  it("creates a new file with umask permissions and exact binary content", () => {
    const p = join(dir, "new.bin");
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x27, 0x22]);
    const r = run(`umask 022\n${atomicWriteScript(p)}`, bytes);
    expect(r.rc).toBe(0);
    expect(readFileSync(p).equals(bytes)).toBe(true);
    expect((statSync(p).mode & 0o777).toString(8)).toBe("644");
    expect(temps(dir)).toEqual([]);
  });

  it("keeps the replaced file's mode unless a mode is given", () => {
    const p = join(dir, "keep");
    writeFileSync(p, "old");
    chmodSync(p, 0o600);
    expect(run(atomicWriteScript(p), "new").rc).toBe(0);
    expect((statSync(p).mode & 0o777).toString(8)).toBe("600");
    expect(readFileSync(p, "utf8")).toBe("new");
    expect(run(atomicWriteScript(p, { mode: "0640" }), "newer").rc).toBe(0);
    expect((statSync(p).mode & 0o777).toString(8)).toBe("640");
  });

  it("installs nothing when validation fails, and says so", () => {
    const p = join(dir, "validated");
    writeFileSync(p, "good\n");
    const r = run(atomicWriteScript(p, { validate: "grep -q good %s || { echo 'bad content' >&2; exit 4; }" }), "evil\n");
    expect(r.rc).toBe(4);
    const o = parseAtomicWriteOutput(r.stdout, r.stderr);
    expect(o.validateRc).toBe(4);
    expect(o.stderr.trim()).toBe("bad content");
    expect(readFileSync(p, "utf8")).toBe("good\n");
    expect(temps(dir)).toEqual([]);
    const ok = run(atomicWriteScript(p, { validate: "grep -q good %s" }), "still good\n");
    expect(ok.rc).toBe(0);
    expect(readFileSync(p, "utf8")).toBe("still good\n");
  });

  it("backs up the old file and reports the backup's path", () => {
    const p = join(dir, "backed");
    writeFileSync(p, "v1");
    const r = run(atomicWriteScript(p, { backup: true }), "v2");
    expect(r.rc).toBe(0);
    const { backup } = parseAtomicWriteOutput(r.stdout, r.stderr);
    expect(backup).toMatch(new RegExp(`^${p}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
    expect(readFileSync(backup!, "utf8")).toBe("v1");
    expect(readFileSync(p, "utf8")).toBe("v2");
    // no backup when there was no old file
    const r2 = run(atomicWriteScript(join(dir, "fresh"), { backup: true }), "x");
    expect(parseAtomicWriteOutput(r2.stdout, r2.stderr).backup).toBeUndefined();
  });

  it("fails cleanly on a missing directory or a directory in the way", () => {
    expect(run(atomicWriteScript(join(dir, "missing/x")), "x").rc).not.toBe(0);
    mkdirSync(join(dir, "adir"));
    const r = run(atomicWriteScript(join(dir, "adir")), "x");
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/is a directory/);
    expect(temps(dir)).toEqual([]);
  });
});

describe("atomicWriteScript and other users", () => {
  /** Runs the script with a `cat` on PATH that records, as it writes the new content, who could open the file it writes to. */
  const runSpying = (script: string, content: string, bin: string, log: string) => {
    writeFileSync(
      join(bin, "cat"),
      `#!/bin/sh\nf=$(readlink /proc/$$/fd/1)\nprintf '%s %s %s\\n' "$f" "$(stat -c %a "$f")" "$(stat -c %a "\${f%/*}")" >> '${log}'\nexec /bin/cat "$@"\n`,
      { mode: 0o755 },
    );
    return spawnSync("/bin/sh", ["-c", script], { input: content, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  };

  it("no other user can open the temporary file while it holds content the target's mode denies them", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-perm-"));
    chmodSync(dir, 0o755); // like /etc
    const bin = mkdtempSync(join(tmpdir(), "keel-atomic-bin-"));
    const log = join(bin, "log");
    const cases: { name: string; old?: number; mode?: string; umask: string }[] = [
      { name: "public file becomes a secret", old: 0o644, mode: "0600", umask: "022" },
      { name: "new secret file", mode: "0600", umask: "022" },
      { name: "new file, symbolic mode", mode: "go-rwx", umask: "022" },
    ];
    for (const c of cases) {
      const p = join(dir, c.name.replace(/\W+/g, "_"));
      if (c.old !== undefined) {
        writeFileSync(p, "public\n");
        chmodSync(p, c.old);
      }
      writeFileSync(log, "");
      const r = runSpying(`umask ${c.umask}\n${atomicWriteScript(p, { mode: c.mode })}`, "secret\n", bin, log);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(readFileSync(p, "utf8")).toBe("secret\n");
      expect((statSync(p).mode & 0o777).toString(8)).toBe("600");
      const [tmp, fileMode, dirMode] = readFileSync(log, "utf8").trim().split(" ");
      expect(tmp).toContain(".keel-tmp-");
      const f = parseInt(fileMode!, 8);
      const d = parseInt(dirMode!, 8);
      const othersCanOpen = (d & 0o001) !== 0 && (f & 0o004) !== 0;
      const groupCanOpen = (d & 0o010) !== 0 && (f & 0o040) !== 0;
      expect({ case: c.name, othersCanOpen, groupCanOpen }).toEqual({ case: c.name, othersCanOpen: false, groupCanOpen: false });
      expect(temps(dir)).toEqual([]);
    }
    rmSync(dir, { recursive: true });
    rmSync(bin, { recursive: true });
  });
});

describe("atomicWriteScript and symlinks", () => {
  it("refuses a path that is a symlink to a directory instead of moving the file into it", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-link-"));
    mkdirSync(join(dir, "real"));
    symlinkSync("real", join(dir, "link"));
    const r = run(atomicWriteScript(join(dir, "link")), "x");
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/is a directory/);
    expect(readdirSync(join(dir, "real"))).toEqual([]);
    expect(temps(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
  it("replaces a symlink to a file with the new file, and leaves the link's target alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-link-"));
    writeFileSync(join(dir, "target"), "t");
    symlinkSync("target", join(dir, "link"));
    expect(run(atomicWriteScript(join(dir, "link")), "new").rc).toBe(0);
    expect(lstatSync(join(dir, "link")).isFile()).toBe(true);
    expect(readFileSync(join(dir, "link"), "utf8")).toBe("new");
    expect(readFileSync(join(dir, "target"), "utf8")).toBe("t");
    rmSync(dir, { recursive: true });
  });
});

describe("atomicWriteScript and a destination swapped during the write (issue 10 #3)", () => {
  // The validate command runs while the new file sits in the temporary directory: it stands for
  // another user who swaps the destination at that moment.
  const swap = (what: string) => `${what} >/dev/null 2>&1; true %s`;
  it("a destination that became a symlink to a directory: nothing is written into that directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-swap-"));
    const p = join(dir, "conf");
    mkdirSync(join(dir, "crond"));
    writeFileSync(p, "old");
    const r = run(atomicWriteScript(p, { validate: swap(`rm -f '${p}' && ln -s crond '${p}'`) }), "new");
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/became a (directory|symbolic link) during the write; nothing was installed/);
    expect(readdirSync(join(dir, "crond"))).toEqual([]);
    expect(temps(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
  it("a destination that became a symlink to a file: refused, the link's target untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-swap-"));
    const p = join(dir, "conf");
    writeFileSync(join(dir, "victim"), "victim");
    writeFileSync(p, "old");
    const r = run(atomicWriteScript(p, { validate: swap(`rm -f '${p}' && ln -s victim '${p}'`) }), "new");
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/became a symbolic link/);
    expect(readFileSync(join(dir, "victim"), "utf8")).toBe("victim");
    rmSync(dir, { recursive: true });
  });
  it("a destination that became a directory: refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-swap-"));
    const p = join(dir, "conf");
    const r = run(atomicWriteScript(p, { validate: swap(`mkdir '${p}'`) }), "new");
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/became a directory/);
    expect(readdirSync(p)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});

describe("stale temporary directories of killed writes (issue 10 #10)", () => {
  it("are removed on the next write to the directory, and reported; live and foreign ones are kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-stale-"));
    const dead = spawnSync("/bin/sh", ["-c", "echo $$"]).stdout.toString().trim(); // a PID that has exited
    const mk = (name: string, ageSec = 0) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "new"), "x".repeat(1000));
      if (ageSec) utimesSync(join(dir, name), new Date(Date.now() - ageSec * 1000), new Date(Date.now() - ageSec * 1000));
    };
    mk(`.keel-tmp-${dead}.aB3dE9`); // writer gone: stale
    mk(`.keel-tmp-${process.pid}.Zz9yY8`); // writer alive (this process): in progress, kept
    mk(".keel-tmp-Qw3rTy", 2 * 3600); // old form, two hours old: stale
    mk(".keel-tmp-AsDfGh"); // old form, fresh: kept
    mk(".keel-tmp-notours-at-all"); // not keel's pattern: kept
    const r = run(atomicWriteScript(join(dir, "f")), "content");
    expect(r.rc, r.stderr).toBe(0);
    const o = parseAtomicWriteOutput(r.stdout, r.stderr);
    expect(o.staleRemoved.sort()).toEqual([join(dir, `.keel-tmp-${dead}.aB3dE9`), join(dir, ".keel-tmp-Qw3rTy")].sort());
    expect(temps(dir).sort()).toEqual([`.keel-tmp-${process.pid}.Zz9yY8`, ".keel-tmp-AsDfGh", ".keel-tmp-notours-at-all"].sort());
    expect(readFileSync(join(dir, "f"), "utf8")).toBe("content");
    rmSync(dir, { recursive: true });
  });
  it("a write killed with SIGKILL leaves its directory, and the next write removes it", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-atomic-kill-"));
    const p = join(dir, "big");
    writeFileSync(p, "old");
    // the content never ends (stdin stays open): the writer is killed mid-write
    const r = spawnSync("/bin/sh", [
      "-c",
      `(sleep 5 | /bin/sh -c ${shq(atomicWriteScript(p))}) >/dev/null 2>&1 & i=0; while ! ls -a ${shq(dir)} | grep -q keel-tmp && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; sleep 0.1; pkill -KILL -P $! -x sh; kill -KILL $! 2>/dev/null; sleep 0.2`,
    ]);
    expect(r.status).toBe(0);
    expect(readFileSync(p, "utf8")).toBe("old");
    const left = temps(dir);
    expect(left.length).toBe(1);
    const r2 = run(atomicWriteScript(p), "new");
    expect(r2.rc).toBe(0);
    expect(parseAtomicWriteOutput(r2.stdout, r2.stderr).staleRemoved).toEqual([join(dir, left[0]!)]);
    expect(temps(dir)).toEqual([]);
    expect(readFileSync(p, "utf8")).toBe("new");
    rmSync(dir, { recursive: true });
  });
});
