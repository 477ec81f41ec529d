// The snippets run in real shells against real files: dash with the system's tools, and, when
// busybox is installed, busybox sh with only busybox applets on PATH (no getent there, so the
// /etc fallback is exercised too).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRec, parseRecords } from "../../../engine/core/record.js";
import { B64, fileOf, normMode, snip } from "../../../engine/core/snippets.js";
import { InternalError } from "../../../engine/core/errors.js";
import { shq } from "../../../engine/core/shell.js";
import { installBusybox } from "./busybox.js";

let dir: string;
let bbBin: string | undefined;
const NASTY = "we ird\nname 'q' \"dq\" $(x) `y`";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-snip-"));
  writeFileSync(join(dir, "plain"), "hello\n");
  chmodSync(join(dir, "plain"), 0o640);
  mkdirSync(join(dir, "sub"));
  chmodSync(join(dir, "sub"), 0o2750);
  symlinkSync("plain", join(dir, "link"));
  symlinkSync("nowhere", join(dir, "dangling"));
  symlinkSync("odd\ntarget\n", join(dir, "oddlink"));
  writeFileSync(join(dir, NASTY), "nasty\n");
  writeFileSync(join(dir, "nul"), Buffer.from([0x61, 0, 0x62, 0x0a, 0, 0xff]));
  writeFileSync(join(dir, "empty"), "");
  bbBin = installBusybox(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Shell = { name: string; run(script: string): string };
const shells: Shell[] = [
  { name: "dash", run: (s) => execFileSync("dash", ["-c", s], { encoding: "latin1" }) },
  {
    name: "busybox sh",
    run: (s) => {
      if (!bbBin) throw new Error("busybox not installed");
      return execFileSync(join(bbBin, "sh"), ["-c", s], { encoding: "latin1", env: { PATH: bbBin } });
    },
  },
];

describe.each(shells)("snippets under $name", (sh) => {
  const runIt = (s: string) => {
    if (sh.name !== "dash" && !bbBin) return undefined;
    return parseRecords(Buffer.from(sh.run(s), "latin1").toString("utf8"));
  };
  const skip = () => sh.name !== "dash" && !bbBin;

  it("stat: a regular file, a directory, a link, a dangling link, a missing path", () => {
    if (skip()) return;
    const p = (n: string) => join(dir, n);
    const recs = runIt(
      [
        snip.stat("f", p("plain")),
        snip.stat("d", p("sub")),
        snip.stat("l", p("link")),
        snip.stat("lf", p("link"), { follow: true }),
        snip.stat("dl", p("dangling")),
        snip.stat("dlf", p("dangling"), { follow: true }),
        snip.stat("m", p("missing")),
      ].join("\n"),
    )!;
    const f = findRec(recs, "stat", "f")!;
    const st = statSync(p("plain"));
    expect(f.get("exists")).toBe("1");
    expect(f.get("type")).toBe("file");
    expect(f.get("mode")).toBe("0640");
    expect(f.int("uid")).toBe(st.uid);
    expect(f.int("gid")).toBe(st.gid);
    expect(f.int("size")).toBe(6);
    expect(f.int("mtime")).toBe(Math.floor(st.mtimeMs / 1000));
    expect(f.get("owner")).toMatch(/^\S+$/);
    expect(f.has("target")).toBe(false);
    const d = findRec(recs, "stat", "d")!;
    expect([d.get("type"), d.get("mode")]).toEqual(["directory", "2750"]);
    const l = findRec(recs, "stat", "l")!;
    expect([l.get("type"), l.get("target")]).toEqual(["link", "plain"]);
    expect(l.int("uid")).toBe(lstatSync(p("link")).uid);
    const lf = findRec(recs, "stat", "lf")!;
    expect([lf.get("type"), lf.get("mode"), lf.int("size")]).toEqual(["file", "0640", 6]);
    const dl = findRec(recs, "stat", "dl")!;
    expect([dl.get("exists"), dl.get("type"), dl.get("target")]).toEqual(["1", "link", "nowhere"]);
    expect(findRec(recs, "stat", "dlf")!.get("exists")).toBe("0");
    const m = findRec(recs, "stat", "m")!;
    expect(m.get("exists")).toBe("0");
    expect(m.has("type")).toBe(false);
  });

  it("stat and readFile: a path with spaces, a newline, quotes and shell syntax; a link target with newlines", () => {
    if (skip()) return;
    const recs = runIt([snip.stat("n", join(dir, NASTY)), snip.readFile("n", join(dir, NASTY)), snip.stat("o", join(dir, "oddlink"))].join("\n"))!;
    expect(findRec(recs, "stat", "n")!.get("type")).toBe("file");
    expect(findRec(recs, "file", "n")!.get("content")).toBe("nasty\n");
    expect(findRec(recs, "stat", "o")!.get("target")).toBe("odd\ntarget\n");
  });

  it("readFile: NUL bytes, an empty file, a directory, a missing file, a size cap", () => {
    if (skip()) return;
    const p = (n: string) => join(dir, n);
    const recs = runIt(
      [
        snip.readFile("nul", p("nul")),
        snip.readFile("e", p("empty")),
        snip.readFile("d", p("sub")),
        snip.readFile("m", p("missing")),
        snip.readFile("cap", p("nul"), { maxBytes: 3 }),
        snip.readFile("big", p("nul"), { maxBytes: 100 }),
      ].join("\n"),
    )!;
    const nul = findRec(recs, "file", "nul")!;
    expect(nul.buf("content")).toEqual(readFileSync(p("nul")));
    expect([nul.get("exists"), nul.get("readable"), nul.has("truncated")]).toEqual(["1", "1", false]);
    // the whole file read: no wc, its size is the content's length
    expect(nul.has("size")).toBe(false);
    expect(fileOf(recs, "nul").size).toBe(6);
    expect(fileOf(recs, "e").size).toBe(0);
    expect(findRec(recs, "file", "cap")!.int("size")).toBe(6);
    const e = findRec(recs, "file", "e")!;
    expect([e.get("exists"), e.get("content")]).toEqual(["1", ""]);
    const d = findRec(recs, "file", "d")!;
    expect([d.get("exists"), d.get("type"), d.has("content")]).toEqual(["1", "directory", false]);
    expect(findRec(recs, "file", "m")!.get("exists")).toBe("0");
    const cap = findRec(recs, "file", "cap")!;
    expect(cap.buf("content")).toEqual(Buffer.from([0x61, 0, 0x62]));
    expect(cap.get("truncated")).toBe("1");
    expect(findRec(recs, "file", "big")!.has("truncated")).toBe(false);
  });

  it("readFile as a user who cannot read the file: readable=0, and the probe goes on", () => {
    if (skip() || process.getuid?.() !== 0) return; // needs root to run the shell as nobody
    // dash and busybox sh exit when a special builtin's redirection fails (`: < file` did, and the
    // rest of the probe was lost); a regular builtin's failure is only a false condition
    const f = join(tmpdir(), `keel-unreadable-${process.pid}`);
    writeFileSync(f, "secret\n", { mode: 0 });
    try {
      const script = `${snip.readFile("u", f)}\n${snip.begin("after")}\n`;
      for (const sh of ["dash", ...(bbBin ? [join(bbBin, "sh")] : [])]) {
        const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", sh, "-c", script], { encoding: "utf8" });
        expect(r.status, `${sh}: ${r.stderr}`).toBe(0);
        const recs = parseRecords(r.stdout);
        expect([findRec(recs, "file", "u")?.get("readable"), findRec(recs, "after") !== undefined], sh).toEqual(["0", true]);
        expect(fileOf(recs, "u").unreadable, sh).toBe(true);
      }
    } finally {
      rmSync(f, { force: true });
    }
  });

  it("statPair: the same two records as stat and stat with follow, for a file, a folder, links, a missing path", () => {
    if (skip()) return;
    const p = (n: string) => join(dir, n);
    for (const n of ["plain", "sub", "link", "dangling", "oddlink", "missing", NASTY]) {
      const pair = sh.run(snip.statPair("a", "b", p(n)));
      const two = sh.run([snip.stat("a", p(n)), snip.stat("b", p(n), { follow: true })].join("\n"));
      expect(pair, n).toBe(two);
    }
  });

  it("statPair runs stat once for a path that is not a link, twice for a link", () => {
    if (skip()) return;
    // stat runs inside $(…): each call appends a line to a file
    const log = join(dir, `stat-calls-${sh.name.replace(/ /g, "-")}`);
    const count = (n: string) => {
      writeFileSync(log, "");
      sh.run(`stat() { echo x >> ${shq(log)}; command stat "$@"; }\n${snip.statPair("a", "b", join(dir, n))}\n`);
      return readFileSync(log, "utf8").length / 2;
    };
    expect([count("plain"), count("sub"), count("missing"), count("link")]).toEqual([1, 1, 0, 2]);
  });

  it("B64: one line without a newline, and the same bytes where base64 refuses -w (older busybox)", () => {
    if (skip()) return;
    const noW = `base64() { case "$1" in -w) echo "base64: invalid option -- w" >&2; return 1 ;; esac; command base64 "$@"; }\n`;
    for (const prefix of ["", noW]) {
      const out = sh.run(
        `${prefix}printf 'a\\000b\\n%s' "$(printf '%0200d' 0)" | ${B64}; printf '|'; ${B64} < ${JSON.stringify(join(dir, "nul"))}; printf '|'`,
      );
      const [a, b] = out.split("|");
      expect(Buffer.from(a!, "base64")).toEqual(Buffer.concat([Buffer.from("a\0b\n"), Buffer.from("0".repeat(200))]));
      expect(a).not.toContain("\n");
      expect(Buffer.from(b!, "base64")).toEqual(readFileSync(join(dir, "nul")));
    }
  });

  it("getent leaves the entry's first line in $_keel_ge for the lines after it", () => {
    if (skip()) return;
    const out = sh.run(
      `${snip.getent("u", "passwd", "root")}\nprintf 'ge=%s|' "$_keel_ge"\n${snip.getent("n", "passwd", "no-such-user-keel")}\nprintf 'ge=%s|' "$_keel_ge"`,
    );
    expect(out).toMatch(/ge=root:[^:]*:0:0:[^\n|]*\|/);
    expect(out).toMatch(/ge=\|$/);
  });

  it("getent: a user by name and by uid, a group, a missing name, a name with shell syntax", () => {
    if (skip()) return;
    const recs = runIt(
      [
        snip.getent("u", "passwd", "root"),
        snip.getent("uid", "passwd", "0"),
        snip.getent("g", "group", "root"),
        snip.getent("none", "passwd", "no-such-user-keel"),
        snip.getent("evil", "passwd", "$(touch /tmp/keel-pwned) '"),
      ].join("\n"),
    )!;
    expect(findRec(recs, "getent", "u")!.get("entry")).toMatch(/^root:[^:]*:0:0:/);
    expect(findRec(recs, "getent", "uid")!.get("entry")).toMatch(/^root:[^:]*:0:0:/);
    expect(findRec(recs, "getent", "g")!.get("entry")).toMatch(/^root:[^:]*:0:/);
    expect(findRec(recs, "getent", "none")!.get("found")).toBe("0");
    expect(findRec(recs, "getent", "evil")!.get("found")).toBe("0");
    expect(existsSync("/tmp/keel-pwned")).toBe(false);
  });

  it("cmd: stdout byte for byte, stderr and the exit code; stdin is empty", () => {
    if (skip()) return;
    const recs = runIt(
      [
        snip.cmd("a", "printf 'out\\n\\n'; printf 'err\\n' >&2; exit 3"),
        snip.cmd("b", "printf 'a\\000b'"),
        snip.cmd("c", "true # a trailing comment"),
        snip.cmd("d", "cat; echo done"),
        snip.cmd("e", "printf 'no newline' >&2; exit 0"),
        snip.begin("after", "x"),
      ].join("\n"),
    )!;
    const a = findRec(recs, "cmd", "a")!;
    expect([a.get("out"), a.get("err"), a.int("rc")]).toEqual(["out\n\n", "err\n", 3]);
    expect(findRec(recs, "cmd", "b")!.buf("out")).toEqual(Buffer.from("a\0b"));
    const c = findRec(recs, "cmd", "c")!;
    expect([c.get("out"), c.get("err"), c.int("rc")]).toEqual(["", "", 0]);
    expect(findRec(recs, "cmd", "d")!.get("out")).toBe("done\n");
    expect(findRec(recs, "cmd", "e")!.get("err")).toBe("no newline");
    expect(findRec(recs, "after", "x")).toBeDefined();
  });

  it("field and b64Field: single-line values raw, multi-line values as base64, bytes exact", () => {
    if (skip()) return;
    const recs = runIt(
      [
        snip.begin("v"),
        snip.field("one", '"a b=c"'),
        snip.field("two", "\"$(printf 'x\\ny')\""),
        snip.field("none", '""'),
        snip.b64Field("bytes", "printf 'a\\000\\n'"),
        snip.b64Field("fails", "false"),
      ].join("\n"),
    )!;
    const v = findRec(recs, "v", "")!;
    expect(v.fields.one).toBe("a b=c");
    expect(v.get("two")).toBe("x\ny");
    expect(v.get("none")).toBe("");
    expect(v.buf("bytes")).toEqual(Buffer.from("a\0\n"));
    expect(v.get("fails")).toBe("");
  });
});

describe("snippet construction", () => {
  it("refuses kinds, ids and keys that the record format cannot carry", () => {
    expect(() => snip.begin("bad kind")).toThrow(InternalError);
    expect(() => snip.stat("/etc/passwd", "/etc/passwd")).toThrow(InternalError);
    expect(() => snip.field("a=b", '"x"')).toThrow(InternalError);
    expect(() => snip.readFile("x", "/p", { maxBytes: -1 })).toThrow(InternalError);
  });
  it("quotes every path", () => {
    expect(snip.stat("x", "/tmp/$(reboot)")).toContain("'/tmp/$(reboot)'");
  });
});

describe("normMode", () => {
  it.each([
    ["644", "0644"],
    ["0644", "0644"],
    ["00644", "0644"],
    ["0o644", "0644"],
    ["4755", "4755"],
    ["0", "0000"],
    [0o644, "0644"],
    [0o4755, "4755"],
  ] as const)("%s -> %s", (input, want) => expect(normMode(input)).toBe(want));
  it.each(["", "888", "12345", "rwx", -1, 0o10000, 1.5])("refuses %s", (bad) => expect(() => normMode(bad as string | number)).toThrow());
});
