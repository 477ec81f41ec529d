// The files.* modules end to end on this machine: each module's real probe runs under `sh -c`
// against temp files, its output is parsed and diffed, apply acts through a small local Host
// (commands via `sh -c`, writes atomic via temp file + rename), and a second probe must find
// nothing left to change. Over-SSH end-to-end tests come with the run engine.
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  copyFileSync,
  utimesSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import Handlebars from "handlebars";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change, ExecOptions, ExecResult, Host, HostModule, PrepareContext, WriteFileOptions } from "../../../engine/core/module.js";
import { CommandError } from "../../../engine/core/errors.js";
import { shq } from "../../../engine/core/shell.js";
import { BASE_FACTS } from "./harness.js";
import fileMod from "../../../modules/files/file.js";
import copyMod from "../../../modules/files/copy.js";
import templateMod from "../../../modules/files/template.js";
import lineMod from "../../../modules/files/lineinfile.js";
import { pathInfoCommand } from "../../../modules/files/pathinfo.js";

/** The stat each apply ends with: the path as it is now, for the registered result. */
const READ = (p: string) => `${pathInfoCommand(p)} 2>/dev/null || true`;
import blockMod from "../../../modules/files/blockinfile.js";

function sh(cmd: string, stdin?: string | Buffer): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile("sh", ["-c", cmd], { encoding: "utf8", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const rc = err ? (typeof (err as NodeJS.ErrnoException).code === "number" ? (err as unknown as { code: number }).code : 1) : 0;
      resolve({ stdout, stderr, rc });
    });
    child.stdin!.on("error", () => undefined); // a command that exits before reading its stdin (EPIPE)
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

/** A Host on this machine: `sh -c` for commands; writeFile = temp file beside the target, then rename. */
class LocalHost implements Host {
  readonly name = "localhost";
  readonly facts = BASE_FACTS;
  readonly runs: string[] = [];
  readonly writes: string[] = [];

  async run(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.runs.push(cmd);
    const r = await sh(cmd, opts?.stdin);
    if (r.rc !== 0 && opts?.check !== false) throw new CommandError(cmd, r.rc, r.stdout, r.stderr);
    return r;
  }

  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<{ backup?: string }> {
    this.writes.push(path);
    const tmp = join(dirname(path), `.${basename(path)}.keel-${process.pid}-${this.writes.length}`);
    writeFileSync(tmp, content, { mode: 0o600 });
    try {
      chmodSync(tmp, opts.mode !== undefined ? parseInt(opts.mode, 8) : 0o644);
      if (opts.owner !== undefined || opts.group !== undefined) {
        const spec = `${opts.owner ?? ""}${opts.group !== undefined ? `:${opts.group}` : ""}`;
        await this.run(`chown ${shq(spec)} ${shq(tmp)}`);
      }
      if (opts.validate !== undefined) await this.run(opts.validate.replaceAll("%s", shq(tmp)));
    } catch (e) {
      unlinkSync(tmp);
      throw e;
    }
    let backup: string | undefined;
    if (opts.backup && existsSync(path)) {
      backup = `${path}.${Date.now()}~`;
      copyFileSync(path, backup);
    }
    renameSync(tmp, path);
    return backup ? { backup } : {};
  }

  async reconnect(): Promise<void> {}
}

async function probe<A>(mod: HostModule<A>, args: A): Promise<unknown> {
  const p = mod.probe(args, BASE_FACTS);
  const r = await sh(p.script);
  return p.parse(r.stdout, r.rc);
}

/** probe → diff (must not be empty) → apply → probe → diff (must be empty). Returns the first changes. */
async function converge<A>(mod: HostModule<A>, args: A, host = new LocalHost()): Promise<{ changes: Change[]; host: LocalHost }> {
  const st = await probe(mod, args);
  const changes = mod.diff(st, args, BASE_FACTS);
  expect(changes.length, "first diff must find something to change").toBeGreaterThan(0);
  await mod.apply(host, args, changes, st);
  const st2 = await probe(mod, args);
  const again = mod.diff(st2, args, BASE_FACTS);
  expect(
    again.map((c) => c.summary),
    "second diff must be empty",
  ).toEqual([]);
  return { changes, host };
}

async function noop<A>(mod: HostModule<A>, args: A): Promise<void> {
  const st = await probe(mod, args);
  expect(mod.diff(st, args, BASE_FACTS).map((c) => c.summary)).toEqual([]);
}

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, "0");
const isRoot = process.getuid?.() === 0;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "keel-files-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("files.file locally", () => {
  it("creates a directory with a mode, then changes only its mode", async () => {
    const d = join(root, "f1/app/data");
    await converge(fileMod, { path: d, state: "directory", mode: "0750" });
    expect(modeOf(d)).toBe("0750");
    const { changes, host } = await converge(fileMod, { path: d, state: "directory", mode: "u=rwx,g=rx,o=rx" });
    expect(changes.map((c) => c.summary)).toEqual(["mode 0750 → 0755"]);
    expect(host.runs).toEqual([`chmod 00755 ${d}`, READ(d)]);
    expect(host.writes).toEqual([]);
  });

  it("touch, then state file with a symbolic mode, then absent", async () => {
    const f = join(root, "f2-motd");
    mkdirSync(root, { recursive: true });
    // touch keeps changing the times (Ansible's default: now) unless both say preserve
    const keep = { modification_time: "preserve", access_time: "preserve" };
    await converge(fileMod, { path: f, state: "touch", mode: "0600", ...keep });
    expect(modeOf(f)).toBe("0600");
    await noop(fileMod, { path: f, state: "touch", mode: "0600", ...keep });
    const st = (await probe(fileMod, { path: f, state: "touch", mode: "0600" })) as Parameters<typeof fileMod.diff>[0];
    expect(fileMod.diff(st, { path: f, state: "touch", mode: "0600" }, BASE_FACTS).map((c) => c.field)).toEqual(["times"]);
    await converge(fileMod, { path: f, mode: "go+r" });
    expect(modeOf(f)).toBe("0644");
    await converge(fileMod, { path: f, state: "absent" });
    expect(existsSync(f)).toBe(false);
  });

  it("recurse applies owner, group and a symbolic mode to the whole tree", async () => {
    const d = join(root, "f3");
    mkdirSync(join(d, "lib/deep"), { recursive: true });
    writeFileSync(join(d, "a.txt"), "a", { mode: 0o600 });
    writeFileSync(join(d, "lib/deep/b.sh"), "b", { mode: 0o700 });
    const args = { path: d, state: "directory" as const, recurse: true, mode: "u=rwX,g=rX,o=" };
    await converge(fileMod, args);
    expect(modeOf(join(d, "a.txt"))).toBe("0640");
    expect(modeOf(join(d, "lib/deep/b.sh"))).toBe("0750");
    expect(modeOf(join(d, "lib/deep"))).toBe("0750");
    if (isRoot) {
      const { changes } = await converge(fileMod, { path: d, state: "directory", recurse: true, owner: "daemon", group: "daemon" });
      expect(changes.map((c) => c.field)).toEqual(["owner", "group", "tree_owner", "tree_group"]);
      expect(statSync(join(d, "lib/deep/b.sh")).uid).toBe(1);
    }
  });

  it("creates and retargets a symlink; refuses to replace a file without force", async () => {
    const d = join(root, "f4");
    mkdirSync(d);
    writeFileSync(join(d, "one"), "1");
    writeFileSync(join(d, "two"), "2");
    const link = join(d, "current");
    await converge(fileMod, { path: link, state: "link", src: "one" });
    expect(readlinkSync(link)).toBe("one");
    const { changes } = await converge(fileMod, { path: link, state: "link", src: join(d, "two") });
    expect(changes[0]).toMatchObject({ field: "link", before: "one", after: join(d, "two") });
    writeFileSync(join(d, "plain"), "x");
    const st = await probe(fileMod, { path: join(d, "plain"), state: "link", src: "one" });
    expect(() => fileMod.diff(st as never, { path: join(d, "plain"), state: "link", src: "one" }, BASE_FACTS)).toThrow(/force: true/);
    await converge(fileMod, { path: join(d, "plain"), state: "link", src: "one", force: true });
    expect(lstatSync(join(d, "plain")).isSymbolicLink()).toBe(true);
  });

  it("state file on a missing path fails in diff (check mode too), like Ansible", async () => {
    const args = { path: join(root, "nope"), state: "file" as const };
    const st = await probe(fileMod, args);
    expect(() => fileMod.diff(st as never, args, BASE_FACTS)).toThrow(/absent, cannot continue/);
  });
});

describe("files.copy locally", () => {
  it("writes a missing file, rewrites changed content keeping the mode, chmods alone", async () => {
    const f = join(root, "c1.conf");
    await converge(copyMod, { dest: f, content: "a=1\n", mode: "0640" });
    expect(readFileSync(f, "utf8")).toBe("a=1\n");
    expect(modeOf(f)).toBe("0640");
    const { changes, host } = await converge(copyMod, { dest: f, content: "a=2\n" });
    expect(changes).toHaveLength(1);
    expect(changes[0]!.diff).toEqual({ path: f, before: "a=1\n", after: "a=2\n" });
    expect(host.writes).toEqual([f]);
    expect(modeOf(f)).toBe("0640");
    const m = await converge(copyMod, { dest: f, content: "a=2\n", mode: "0600" });
    expect(m.host.writes).toEqual([]);
    expect(m.host.runs).toEqual([`chmod 0600 ${f}`, READ(f)]);
  });

  it("does not send big or binary files back for the diff", async () => {
    const big = join(root, "c2.big");
    writeFileSync(big, "x".repeat(70000));
    const st = (await probe(copyMod, { dest: big, content: "y\n" })) as { content?: string; sha256?: string };
    expect(st.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(st.content).toBeUndefined();
    const bin = join(root, "c2.bin");
    writeFileSync(bin, Buffer.from([1, 0, 2]));
    const st2 = (await probe(copyMod, { dest: bin, content: "y\n" })) as { content?: string };
    expect(st2.content).toBeUndefined();
    const same = (await probe(copyMod, { dest: bin, content: Buffer.from([1, 0, 2]).toString("base64"), content_encoding: "base64" })) as { content?: string };
    expect(same.content).toBeUndefined();
    await converge(copyMod, { dest: bin, content: Buffer.from([9, 0, 255]).toString("base64"), content_encoding: "base64" });
    expect([...readFileSync(bin)]).toEqual([9, 0, 255]);
  });

  it("src from files/ into a directory dest, with backup; a failing validate leaves the file alone", async () => {
    const ctl = join(root, "playbook");
    mkdirSync(join(ctl, "files"), { recursive: true });
    writeFileSync(join(ctl, "files/app.conf"), "port=80\n");
    const ctx = prepareCtx(ctl, {});
    const dir = join(root, "c3");
    mkdirSync(dir);
    const args = copyMod.prepare!({ dest: `${dir}/`, src: "app.conf" }, ctx);
    await converge(copyMod, args);
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("port=80\n");
    writeFileSync(join(ctl, "files/app.conf"), "port=81\n");
    await converge(copyMod, { ...copyMod.prepare!({ dest: dir, src: "app.conf", backup: true }, ctx) });
    expect(readdirSync(dir).filter((n) => n.startsWith("app.conf.") && n.endsWith("~"))).toHaveLength(1);
    const bad = copyMod.prepare!({ dest: dir, src: "app.conf", validate: "grep -q nope %s" }, ctx);
    writeFileSync(join(ctl, "files/app.conf"), "port=82\n");
    const bad2 = copyMod.prepare!({ ...bad, content: undefined }, ctx);
    const st = await probe(copyMod, bad2);
    const changes = copyMod.diff(st as never, bad2, BASE_FACTS);
    await expect(copyMod.apply(new LocalHost(), bad2, changes, st as never)).rejects.toThrow(CommandError);
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("port=81\n");
    expect(readdirSync(dir).filter((n) => n.includes("keel-"))).toEqual([]);
  });

  it("follow: true writes through a symlink; without it the link is replaced by a file", async () => {
    const d = join(root, "c4");
    mkdirSync(d);
    writeFileSync(join(d, "real"), "old\n");
    symlinkSync("real", join(d, "link"));
    await converge(copyMod, { dest: join(d, "link"), content: "new\n", follow: true });
    expect(lstatSync(join(d, "link")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, "real"), "utf8")).toBe("new\n");
    await converge(copyMod, { dest: join(d, "link"), content: "newer\n" });
    expect(lstatSync(join(d, "link")).isFile()).toBe(true);
    expect(readFileSync(join(d, "real"), "utf8")).toBe("new\n");
  });

  it.runIf(isRoot)("owner and group: chown only when content matches", async () => {
    const f = join(root, "c5");
    writeFileSync(f, "z\n");
    const { host } = await converge(copyMod, { dest: f, content: "z\n", owner: "daemon", group: "daemon" });
    expect(host.runs).toEqual([`chown daemon:daemon ${f}`, READ(f)]);
    expect(statSync(f).uid).toBe(1);
    // A rewrite keeps the owner it found.
    await converge(copyMod, { dest: f, content: "zz\n" });
    expect(statSync(f).uid).toBe(1);
    chownSync(f, 0, 0);
  });
});

describe("files.copy remote_src, checksum, directory_mode locally", () => {
  it("remote_src copies a file of the host: compared by sha256, mtime kept, a replaced file keeps its mode", async () => {
    const d = join(root, "rs1");
    mkdirSync(d);
    const src = join(d, "src.conf");
    writeFileSync(src, "from the host\n");
    utimesSync(src, 1_000_000, 1_000_000);
    const dest = join(d, "dest.conf");
    const { changes, host } = await converge(copyMod, { dest, src, remote_src: true });
    expect(changes.map((c) => c.field)).toEqual(["state"]);
    expect(host.writes).toEqual([]);
    expect(readFileSync(dest, "utf8")).toBe("from the host\n");
    expect(statSync(dest).mtimeMs).toBe(1_000_000_000);
    chmodSync(dest, 0o600);
    writeFileSync(src, "changed\n");
    await converge(copyMod, { dest, src, remote_src: true });
    expect([readFileSync(dest, "utf8"), modeOf(dest)]).toEqual(["changed\n", "0600"]);
    await noop(copyMod, { dest, src, remote_src: true });
    // into a directory dest under src's name; a missing src and a directory src fail clearly
    await converge(copyMod, { dest: `${d}/sub/`, src, remote_src: true, directory_mode: "0750" });
    expect([readFileSync(join(d, "sub/src.conf"), "utf8"), modeOf(join(d, "sub"))]).toEqual(["changed\n", "0750"]);
    await expect(
      probe(copyMod, { dest, src: join(d, "nope"), remote_src: true }).then((st) =>
        copyMod.diff(st as never, { dest, src: join(d, "nope"), remote_src: true }, BASE_FACTS),
      ),
    ).rejects.toThrow(/Source .*nope not found/);
    const st = await probe(copyMod, { dest, src: d, remote_src: true });
    expect(() => copyMod.diff(st as never, { dest, src: d, remote_src: true }, BASE_FACTS)).toThrow(
      /is a directory: keel's copy with remote_src copies one file/,
    );
  });

  it("checksum: a wrong SHA1 fails the write (and every remote_src run); the right one writes", async () => {
    const d = join(root, "ck1");
    mkdirSync(d);
    const dest = join(d, "f");
    const sha1 = createHash("sha1").update("x\n").digest("hex");
    const wrong = "0".repeat(40);
    const st = await probe(copyMod, { dest, content: "x\n", checksum: wrong });
    const changes = copyMod.diff(st as never, { dest, content: "x\n", checksum: wrong }, BASE_FACTS);
    await expect(copyMod.apply(new LocalHost(), { dest, content: "x\n", checksum: wrong }, changes, st as never)).rejects.toThrow(
      /does not match the expected checksum/,
    );
    expect(existsSync(dest)).toBe(false);
    await converge(copyMod, { dest, content: "x\n", checksum: sha1 });
    // remote_src: Ansible's module checks it on every run, even when dest already matches
    const st2 = await probe(copyMod, { dest: join(d, "g"), src: dest, remote_src: true, checksum: wrong });
    expect(() => copyMod.diff(st2 as never, { dest: join(d, "g"), src: dest, remote_src: true, checksum: wrong }, BASE_FACTS)).toThrow(/expected checksum/);
    await converge(copyMod, { dest: join(d, "g"), src: dest, remote_src: true, checksum: sha1.toUpperCase() });
  });

  it("refuses at load what it cannot do: remote_src without src, a directory src, content into a dir dest", () => {
    expect(() => copyMod.validate!({ dest: "/tmp/x", remote_src: true, content: "x" })).toThrow(/remote_src needs src/);
    expect(() => copyMod.validate!({ dest: "/tmp/x", remote_src: true, src: "/etc/" })).toThrow(/names a directory/);
    expect(() => copyMod.validate!({ dest: "/tmp/x/", content: "x" })).toThrow(/can not use content with a dir as dest/);
  });
});

describe("files.template locally", () => {
  it("output_encoding writes the rendered text in that encoding; a character it cannot hold fails", async () => {
    const ctl = join(root, "tpl-enc");
    mkdirSync(join(ctl, "templates"), { recursive: true });
    writeFileSync(join(ctl, "templates/t.j2"), "caf\u00e9 {{ x }}\n");
    const dest = join(root, "t-enc");
    await converge(templateMod, templateMod.prepare!({ src: "t.j2", dest, output_encoding: "latin-1" }, prepareCtx(ctl, { x: "1" })));
    expect([...readFileSync(dest)]).toEqual([...Buffer.from("caf\u00e9 1\n", "latin1")]);
    await converge(templateMod, templateMod.prepare!({ src: "t.j2", dest, output_encoding: "utf-16" }, prepareCtx(ctl, { x: "1" })));
    expect(readFileSync(dest).subarray(0, 4)).toEqual(Buffer.from([0xff, 0xfe, 0x63, 0x00]));
    expect(() => templateMod.prepare!({ src: "t.j2", dest, output_encoding: "ascii" }, prepareCtx(ctl, { x: "1" }))).toThrow(/ascii cannot encode/);
    expect(() => templateMod.validate!({ src: "t.j2", dest, output_encoding: "koi8-r" })).toThrow(/not one keel writes/);
  });

  it("renders from templates/ with the task's variables and converges", async () => {
    const ctl = join(root, "tpl");
    mkdirSync(join(ctl, "templates"), { recursive: true });
    writeFileSync(join(ctl, "templates/motd.hbs"), "Welcome to {{host}} <{{role}}>\n");
    const dest = join(root, "t1-motd");
    const args = templateMod.prepare!({ src: "motd.hbs", dest, mode: "0644" }, prepareCtx(ctl, { host: "web01", role: "web" }));
    await converge(templateMod, args);
    expect(readFileSync(dest, "utf8")).toBe("Welcome to web01 <web>\n");
    const args2 = templateMod.prepare!({ src: "motd.hbs", dest }, prepareCtx(ctl, { host: "web02", role: "db" }));
    const { changes } = await converge(templateMod, args2);
    expect(changes[0]!.diff).toEqual({ path: dest, before: "Welcome to web01 <web>\n", after: "Welcome to web02 <db>\n" });
    expect(() => templateMod.prepare!({ src: "motd.hbs", dest }, prepareCtx(ctl, { host: "x" }))).toThrow(/role/);
  });
});

describe("files.lineinfile locally", () => {
  it("replaces, inserts after an anchor, removes; each step idempotent", async () => {
    const f = join(root, "sshd_config");
    writeFileSync(f, "Port 22\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\n", { mode: 0o600 });
    await converge(lineMod, { path: f, regexp: "^PasswordAuthentication", line: "PasswordAuthentication no" });
    await converge(lineMod, { path: f, regexp: "^PermitRootLogin", line: "PermitRootLogin no", insertafter: "^#PermitRootLogin" });
    await converge(lineMod, { path: f, regexp: "^(Port) \\d+", line: "\\1 2222", backrefs: true });
    expect(readFileSync(f, "utf8")).toBe("Port 2222\n#PermitRootLogin prohibit-password\nPermitRootLogin no\nPasswordAuthentication no\n");
    expect(modeOf(f)).toBe("0600");
    await converge(lineMod, { path: f, regexp: "^#", state: "absent" });
    expect(readFileSync(f, "utf8")).toBe("Port 2222\nPermitRootLogin no\nPasswordAuthentication no\n");
    await noop(lineMod, { path: f, regexp: "^Port", line: "Port 2222", insertbefore: "BOF" });
  });

  it("create: false on a missing file is an error; create: true makes it", async () => {
    const f = join(root, "l2.conf");
    const st = await probe(lineMod, { path: f, line: "a=1" });
    expect(() => lineMod.diff(st as never, { path: f, line: "a=1" }, BASE_FACTS)).toThrow(/create: true/);
    await converge(lineMod, { path: f, line: "a=1", create: true, mode: "0640" });
    expect(readFileSync(f, "utf8")).toBe("a=1\n");
    expect(modeOf(f)).toBe("0640");
  });
});

describe("files.blockinfile locally", () => {
  it("inserts, updates in place, and removes a block", async () => {
    const f = join(root, "hosts");
    writeFileSync(f, "127.0.0.1 localhost\n::1 localhost\n");
    await converge(blockMod, { path: f, block: "10.0.0.1 db\n", insertafter: "^127" });
    expect(readFileSync(f, "utf8")).toBe("127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 db\n# END ANSIBLE MANAGED BLOCK\n::1 localhost\n");
    await converge(blockMod, { path: f, block: "10.0.0.1 db\n10.0.0.2 web\n" });
    expect(readFileSync(f, "utf8")).toContain("10.0.0.1 db\n10.0.0.2 web\n# END ANSIBLE MANAGED BLOCK\n::1 localhost\n");
    await converge(blockMod, { path: f, state: "absent" });
    expect(readFileSync(f, "utf8")).toBe("127.0.0.1 localhost\n::1 localhost\n");
    await converge(blockMod, { path: join(root, "new.d.conf"), block: "x", create: true, marker: "// {mark}" });
    expect(readFileSync(join(root, "new.d.conf"), "utf8")).toBe("// BEGIN\nx\n// END\n");
  });
});

/** A controller context for prepare: files/ and templates/ under one folder, strict noEscape Handlebars. */
function prepareCtx(dir: string, vars: Record<string, unknown>): PrepareContext {
  return {
    searchDirs: [dir],
    vars,
    check: false,
    readLocal: (sub, rel) => readFileSync(rel.startsWith("/") ? rel : join(dir, sub, rel)),
    render: (t) => Handlebars.compile(t, { strict: true, noEscape: true })(vars),
  };
}

describe("files modules with awkward paths and contents", () => {
  const awkward = ["with space", "it's", 'dq"x', "$(touch PWNED)", "back\\slash", "new\nline", "tab\tx", "-dash", "ümlaut", "trailing-nl\n"];

  it("copy writes exactly the path asked for, and nothing else, for every awkward name", async () => {
    const d = join(root, "awk-copy");
    mkdirSync(d);
    for (const name of awkward) {
      const p = join(d, name);
      const { host } = await converge(copyMod, { dest: p, content: `content of ${name}\n`, mode: "0640" });
      expect(host.writes).toEqual([p]);
      expect(readFileSync(p, "utf8")).toBe(`content of ${name}\n`);
      expect(modeOf(p)).toBe("0640");
      // only chmod, on the right path
      chmodSync(p, 0o600);
      const again = await converge(copyMod, { dest: p, content: `content of ${name}\n`, mode: "0640" });
      expect(again.host.writes).toEqual([]);
      expect(modeOf(p)).toBe("0640");
    }
    expect(readdirSync(d).sort()).toEqual([...awkward].sort());
  });

  it("lineinfile and blockinfile edit exactly the path asked for", async () => {
    const d = join(root, "awk-edit");
    mkdirSync(d);
    for (const name of awkward) {
      const p = join(d, name);
      writeFileSync(p, "a=1\n");
      await converge(lineMod, { path: p, regexp: "^a=", line: "a=2" });
      await converge(blockMod, { path: p, block: "x\ny" });
      expect(readFileSync(p, "utf8")).toBe("a=2\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n");
    }
    expect(readdirSync(d).sort()).toEqual([...awkward].sort());
  });

  it("file state touch/directory/link handle awkward names", async () => {
    const d = join(root, "awk-file");
    mkdirSync(d);
    for (const name of awkward) {
      const p = join(d, name);
      await converge(fileMod, { path: p, state: "directory", mode: "0750" });
      expect(statSync(p).isDirectory()).toBe(true);
      await converge(fileMod, { path: join(p, name), state: "touch", modification_time: "preserve", access_time: "preserve" });
      await converge(fileMod, { path: join(p, "ln"), src: join(p, name), state: "link" });
      expect(readlinkSync(join(p, "ln"))).toBe(join(p, name));
      await converge(fileMod, { path: p, state: "absent" });
    }
    expect(readdirSync(d)).toEqual([]);
  });
});
