// Edge cases of the files.* modules, run for real on this machine (probe under sh, apply, probe
// again): empty files, missing final newlines, markers, binary content.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change, ExecOptions, ExecResult, Host, HostModule, WriteFileOptions } from "../../../engine/core/module.js";
import { CommandError } from "../../../engine/core/errors.js";
import { atomicWriteScript } from "../../../engine/transport/atomic.js";
import { BASE_FACTS } from "./harness.js";
import copyMod from "../../../modules/files/copy.js";
import lineMod from "../../../modules/files/lineinfile.js";
import blockMod from "../../../modules/files/blockinfile.js";

function sh(cmd: string, stdin?: string | Buffer): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile("sh", ["-c", cmd], { encoding: "utf8", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, rc: err ? Number((err as { code?: unknown }).code) || 1 : 0 });
    });
    child.stdin!.on("error", () => undefined); // a command that does not read its stdin
    child.stdin!.end(stdin ?? "");
  });
}

/** A Host on this machine whose writeFile runs the transport's real atomic-write script. */
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
    const r = await sh(atomicWriteScript(path, opts), typeof content === "string" ? Buffer.from(content) : content);
    if (r.rc !== 0) throw new CommandError(`write ${path}`, r.rc, r.stdout, r.stderr);
    return {};
  }
  async reconnect(): Promise<void> {}
}

async function probe<A>(mod: HostModule<A>, args: A): Promise<unknown> {
  const p = mod.probe(args, BASE_FACTS);
  const r = await sh(p.script);
  return p.parse(r.stdout, r.rc);
}

async function changesOf<A>(mod: HostModule<A>, args: A): Promise<Change[]> {
  return mod.diff(await probe(mod, args), args, BASE_FACTS);
}

async function converge<A>(mod: HostModule<A>, args: A): Promise<Change[]> {
  const st = await probe(mod, args);
  const changes = mod.diff(st, args, BASE_FACTS);
  expect(changes.length, "first diff must find something to change").toBeGreaterThan(0);
  await mod.apply(new LocalHost(), args, changes, st);
  expect(
    (await changesOf(mod, args)).map((c) => c.summary),
    "second diff must be empty",
  ).toEqual([]);
  return changes;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "keel-files-edge-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("files.copy edge cases", () => {
  it("an empty file: created, then converged; a non-empty file emptied", async () => {
    const p = join(root, "empty");
    await converge(copyMod, { dest: p, content: "" });
    expect(readFileSync(p, "utf8")).toBe("");
    writeFileSync(p, "x");
    await converge(copyMod, { dest: p, content: "" });
    expect(readFileSync(p, "utf8")).toBe("");
  });

  it("content with backslashes, NULs, CRLF and no final newline is written byte for byte", async () => {
    const p = join(root, "bin");
    const bytes = Buffer.from("a\\nb\\\\c\0d\r\n%s%%'\"$(x)`y`\xff", "latin1");
    await converge(copyMod, { dest: p, content: bytes.toString("base64"), content_encoding: "base64" as const });
    expect(readFileSync(p).equals(bytes)).toBe(true);
    const text = "tab\there\\0 \\x00 {{ not a template }}\n\\";
    await converge(copyMod, { dest: p, content: text });
    expect(readFileSync(p, "utf8")).toBe(text);
  });

  it("a 0600 file keeps its mode when only the content changes", async () => {
    const p = join(root, "secret");
    writeFileSync(p, "old");
    chmodSync(p, 0o600);
    await converge(copyMod, { dest: p, content: "new" });
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});

describe("files.lineinfile edge cases", () => {
  it("a file without a final newline: the line is added on a line of its own", async () => {
    const p = join(root, "nonl");
    writeFileSync(p, "a=1");
    await converge(lineMod, { path: p, line: "b=2" });
    expect(readFileSync(p, "utf8")).toBe("a=1\nb=2\n");
  });
  it("a file without a final newline: the last line already present is no change", async () => {
    const p = join(root, "nonl2");
    writeFileSync(p, "a=1\nb=2");
    expect((await changesOf(lineMod, { path: p, line: "b=2" })).map((c) => c.summary)).toEqual([]);
  });
  it("an empty file, and state absent on it", async () => {
    const p = join(root, "emptyl");
    writeFileSync(p, "");
    expect(await changesOf(lineMod, { path: p, line: "x", state: "absent" as const })).toEqual([]);
    await converge(lineMod, { path: p, line: "x" });
    expect(readFileSync(p, "utf8")).toBe("x\n");
  });
  it("regexp with backslashes and backrefs", async () => {
    const p = join(root, "backref");
    writeFileSync(p, "path = C:\\old\\dir\n");
    await converge(lineMod, { path: p, regexp: "^path = (C:\\\\)old(.*)$", line: "path = \\1new\\2", backrefs: true });
    expect(readFileSync(p, "utf8")).toBe("path = C:\\new\\dir\n");
  });
});

describe("files.blockinfile edge cases", () => {
  it("a file without a final newline gets the block on lines of its own", async () => {
    const p = join(root, "bnonl");
    writeFileSync(p, "a=1");
    await converge(blockMod, { path: p, block: "x" });
    expect(readFileSync(p, "utf8")).toBe("a=1\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n");
  });
  it("keeps CRLF line endings of the lines it does not touch", async () => {
    const p = join(root, "crlf");
    writeFileSync(p, "a\r\nb\r\n");
    await converge(blockMod, { path: p, block: "x", insertafter: "^a" });
    expect(readFileSync(p, "utf8")).toBe("a\r\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\r\n");
  });
  it("removing a block at the end of a file without a final newline", async () => {
    const p = join(root, "rmend");
    writeFileSync(p, "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK");
    await converge(blockMod, { path: p, state: "absent" as const });
    expect(readFileSync(p, "utf8")).toBe("a\n");
  });
  it("only a begin marker (end marker lost): the block is added, the stray marker stays, and it converges", async () => {
    const p = join(root, "half");
    writeFileSync(p, "# BEGIN ANSIBLE MANAGED BLOCK\nold\n");
    await converge(blockMod, { path: p, block: "x" });
  });
  it("a block ending in blank lines or containing the marker text converges", async () => {
    const p = join(root, "blank");
    writeFileSync(p, "a\n");
    await converge(blockMod, { path: p, block: "x\n\n" });
    await converge(blockMod, { path: p, block: "y\n" });
    expect(readFileSync(p, "utf8")).toBe("a\n# BEGIN ANSIBLE MANAGED BLOCK\ny\n# END ANSIBLE MANAGED BLOCK\n");
  });
  it("custom markers with regex and template characters", async () => {
    const p = join(root, "custom");
    writeFileSync(p, "a\n");
    const args = { path: p, block: "k=v", marker: "// {mark} $(x) .* [block] \\1 {mark}", marker_begin: "B", marker_end: "E" };
    await converge(blockMod, args);
    expect(readFileSync(p, "utf8")).toBe("a\n// B $(x) .* [block] \\1 B\nk=v\n// E $(x) .* [block] \\1 E\n");
    await converge(blockMod, { ...args, state: "absent" as const });
    expect(readFileSync(p, "utf8")).toBe("a\n");
  });
});
