// A probe batch prints every `key:b64=` value raw between its marks and sends the whole batch
// through one base64 (engine/run/batch.ts); a probe that runs alone encodes each value itself.
// Both must give the same output, byte for byte, once the batch is split: the probe cache, the
// pipelined applies' guards (which run a probe alone and compare digests) and every parser rely on
// it. Real dash (and busybox sh when installed), real files: NUL bytes, invalid UTF-8, newlines.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snip } from "../../../engine/core/snippets.js";
import { fileProbeScript } from "../../../engine/core/filestate.js";
import { joinProbes, splitProbes } from "../../../engine/run/batch.js";
import { lstatMtimes } from "../../../engine/core/prefetch.js";
import { factsScript, sectionTexts } from "../../../engine/facts/probe.js";
import { installBusybox } from "./busybox.js";

let dir: string;
let bbBin: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-snipbatch-"));
  writeFileSync(join(dir, "plain"), "hello\n");
  writeFileSync(join(dir, "bin"), Buffer.from([0x61, 0, 0x62, 0x0a, 0, 0xff, 0xfe, 0x0a, 0x0a]));
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "utf8"), "grüße\nnone at end");
  writeFileSync(join(dir, "secret"), "x");
  writeFileSync(join(dir, "we ird\nname"), "odd name\n");
  mkdirSync(join(dir, "sub"));
  chmodSync(join(dir, "secret"), 0);
  symlinkSync("odd\ntarget\n", join(dir, "oddlink"));
  bbBin = installBusybox(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shells = [
  { name: "dash", bin: () => "dash", env: () => process.env },
  { name: "busybox sh", bin: () => (bbBin ? join(bbBin, "sh") : undefined), env: () => ({ PATH: bbBin! }) },
];

const probes = (): string[] => [
  snip.begin("f") + "\n" + snip.field("one", '"a b"') + "\n" + snip.field("multi", "\"$(printf 'x\\ny\\n\\nz')\""),
  snip.out("o", "printf 'l1\\nl2\\n'; printf '\\377\\000\\n'"),
  snip.out("empty", ":"),
  snip.cmd("c", "printf 'out\\n\\n'; printf 'err \\303\\274\\n' >&2; exit 3"),
  snip.cmd("quiet", "printf 'only out'"),
  snip.cmd("none", "exit 0"),
  ...["plain", "bin", "empty", "utf8", "secret", "missing"].map((f) => snip.readFile(f, join(dir, f))),
  snip.readFile("capped", join(dir, "bin"), { maxBytes: 4 }),
  snip.stat("odd", join(dir, "oddlink")),
  snip.statPair("l", "d", join(dir, "oddlink")),
  snip.b64Field("x", "printf 'a\\nb'"),
  // the raw marks of another batch are plain text here
  snip.out("fake", "printf '@@KEEL-000000000000-RAW{'"),
  // read once for the whole batch (engine/core/prefetch.ts)
  ...["plain", "bin", "sub", "oddlink", "missing", "we ird\nname", "secret"].map((f) =>
    fileProbeScript(join(dir, f), { sha256: true, content: { kind: "ifDiffers", sha256: "0".repeat(64) } }),
  ),
  fileProbeScript(join(dir, "plain"), { content: { kind: "always" } }),
  snip.stat("follow", join(dir, "oddlink"), { follow: true }),
  snip.stat("plainf", join(dir, "plain"), { follow: true }),
  snip.statPair("sl", "sd", join(dir, "we ird\nname")),
  snip.getent("pw", "passwd", "root"),
  snip.getent("gr", "group", "root"),
  snip.getent("nobody", "passwd", "no-such-user-keel"),
  snip.getent("byid", "passwd", "0"),
  // an account's primary group by the gid of its passwd entry (the user probe's): the batch asks
  // the gid with its one `getent group` (prefetch.ts pgid)
  [snip.getent("pw2", "passwd", "root"), "_g=${_keel_ge#*:*:*:}; _g=${_g%%:*}", snip.getent("pg", "group", { sh: '"$_g"' }, { primaryOf: "root" })].join("\n"),
  // apt's index age: "PATH MTIME" of the paths that exist, from the batch's one lstat
  (() => {
    const m = lstatMtimes([join(dir, "plain"), join(dir, "missing"), join(dir, "oddlink"), join(dir, "sub")]);
    return [...m.hints, snip.out("mtimes", m.lines)].join("\n");
  })(),
  [snip.getent("pw3", "passwd", "daemon"), "_g=${_keel_ge#*:*:*:}; _g=${_g%%:*}", snip.getent("pg3", "group", { sh: '"$_g"' }, { primaryOf: "daemon" })].join(
    "\n",
  ),
];

describe.each(shells)("under $name: a batch gives each probe's output as the probe alone gives it", (sh) => {
  it("every snippet", () => {
    const bin = sh.bin();
    if (!bin) return;
    const run = (s: string) => execFileSync(bin, ["-c", s], { encoding: "utf8", env: sh.env() as NodeJS.ProcessEnv });
    // alone: as a guard or a single probe runs it (a subshell, stdin /dev/null, stderr dropped)
    const alone = probes().map((p) => run(`(\n${p}\n) </dev/null 2>/dev/null`));
    const { script, nonce } = joinProbes(probes());
    const split = splitProbes(run(script), probes().length, nonce);
    expect(split.map((o) => o.stdout)).toEqual(alone);
    expect(alone.join("")).toContain("content:b64=YQBiCgD//goK");
    expect(alone.join("")).toContain(`sha256=${"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}`);
  });

  it("runs one base64, one stat per kind, one sha256sum and one getent per database for the batch", () => {
    const bin = sh.bin();
    if (!bin || sh.name !== "dash") return; // the shims need the system's tools
    const shims = join(dir, "shims");
    const log = join(dir, "execs.log");
    mkdirSync(shims, { recursive: true });
    for (const tool of ["base64", "stat", "sha256sum", "getent", "cat", "head", "id", "readlink"]) {
      const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
      writeFileSync(join(shims, tool), `#!/bin/sh\nprintf '%s\\n' ${tool} >> '${log}'\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    const env = { ...process.env, PATH: `${shims}:${process.env.PATH}` };
    const run = (s: string) => {
      writeFileSync(log, "");
      const out = execFileSync(bin, ["-c", s], { encoding: "utf8", env });
      const counts: Record<string, number> = {};
      for (const l of readFileSync(log, "utf8").split("\n").filter(Boolean)) counts[l] = (counts[l] ?? 0) + 1;
      return { out, counts };
    };
    const { script, nonce } = joinProbes(probes());
    const batch = run(script);
    const alone = probes().map((p) => run(`(\n${p}\n) </dev/null 2>/dev/null`).out);
    expect(splitProbes(batch.out, probes().length, nonce).map((o) => o.stdout)).toEqual(alone);
    // base64: the batch's own; getent: once per database (the primary groups by gid included),
    // plus the numeric key (looked up by id) and the name that is not there
    expect(batch.counts.base64).toBe(1);
    // sha256sum: the batch's, and the file whose name holds a newline (sha256sum would escape it)
    expect(batch.counts.sha256sum).toBe(2);
    // stat: the batch's lstat and stat -L (2), and the size of each of the 4 files whose sha256
    // differs from the ifDiffers one (the content's reads, not prefetched)
    expect(batch.counts.stat).toBe(6);
    expect(batch.counts.getent).toBe(4);
  });
});

describe("the facts probe's stream", () => {
  it("gives the same sections with its values raw inside the one base64 as with a base64 each", () => {
    const script = factsScript({ subset: ["min", "!local"] });
    const classic = script
      .split("\n")
      .filter((l) => !l.startsWith("_keel_rm="))
      .join("\n");
    expect(classic).not.toBe(script);
    const run = (s: string) => sectionTexts(execFileSync("dash", ["-c", s], { encoding: "utf8" }));
    const [raw, each] = [run(script), run(classic)];
    // the clock moves between the runs
    raw.delete("date");
    each.delete("date");
    expect(raw).toEqual(each);
    expect(raw.size).toBeGreaterThan(5);
  });
});
