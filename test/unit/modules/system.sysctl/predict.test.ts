// system.sysctl's probe prediction (module.ts `predict`, docs/pipelining.md): what the probe prints
// after a batch installed files, compared byte for byte with what the REAL probe script prints
// after really writing them. The script runs in sh with every sysctl folder moved under a temporary
// root (so this machine's own /etc is never read), on a key no kernel has (no @live record).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import mod, { predictSysctl, SYSCTL_DIRS } from "../../../../modules/system/sysctl.js";
import { EMPTY_FACTS } from "../../../../engine/core/facts.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fresh root with these files (paths as on a host), and a function running the probe there. */
function host(files: Record<string, string>, managed: string) {
  const root = mkdtempSync(join(tmpdir(), "keel-sysctl-predict-"));
  roots.push(root);
  for (const d of SYSCTL_DIRS) mkdirSync(root + d, { recursive: true });
  const put = (p: string, c: string | Buffer) => {
    mkdirSync(dirname(root + p), { recursive: true });
    writeFileSync(root + p, c);
  };
  for (const [p, c] of Object.entries(files)) put(p, c);
  let script = mod.probe({ name: "keel.test.no_such_key", value: "1", sysctl_file: root + managed }, EMPTY_FACTS).script;
  // every folder the probe reads, under the root (the managed file is already given with it)
  for (const d of [...SYSCTL_DIRS, "/etc/sysctl.conf"]) script = script.split(` ${d}`).join(` ${root}${d}`);
  const probe = () => execFileSync("/bin/sh", ["-c", script], { encoding: "latin1" });
  return { root, put, probe, file: root + managed };
}

describe("system.sysctl predict: the real probe's output after the writes, byte for byte", () => {
  const others = {
    "/etc/sysctl.d/10-a.conf": "net.ipv4.ip_forward = 1\n",
    "/etc/sysctl.d/90-z.conf": "# z\nvm.swappiness=10\n",
    "/usr/lib/sysctl.d/50-pid-max.conf": "kernel.pid_max = 4194304\n",
    "/etc/sysctl.conf": "#\n; nothing\n",
  };

  it("a new managed file among others: its @conf record where the glob meets it, and its @file record", () => {
    const h = host(others, "/etc/sysctl.d/60-keel.conf");
    const before = h.probe();
    const c1 = Buffer.from("# Managed by keel (system.sysctl).\nkernel.kptr_restrict=2\n");
    const c2 = Buffer.from("# Managed by keel (system.sysctl).\nkernel.kptr_restrict=2\n\n  ; c\nnet.ipv4.tcp_syncookies=1\n");
    const guess = predictSysctl(before, h.file, [{ path: h.file, content: c1 }], h.root);
    h.put("/etc/sysctl.d/60-keel.conf", c1);
    expect(guess).toBe(h.probe());
    // two writes of the same file in one batch: the last one is what the probe reads
    const guess2 = predictSysctl(
      before,
      h.file,
      [
        { path: h.file, content: c1 },
        { path: h.file, content: c2 },
      ],
      h.root,
    );
    h.put("/etc/sysctl.d/60-keel.conf", c2);
    expect(guess2).toBe(h.probe());
    expect(guess2).not.toBe(guess);
  });

  it("an existing managed file rewritten (no newline at its end); the other records unchanged", () => {
    const h = host({ ...others, "/etc/sysctl.d/60-keel.conf": "a.b = 1\n" }, "/etc/sysctl.d/60-keel.conf");
    const before = h.probe();
    const c = Buffer.from("a.b = 1\n\t# x\nc.d=2");
    const guess = predictSysctl(before, h.file, [{ path: h.file, content: c }], h.root);
    h.put("/etc/sysctl.d/60-keel.conf", c);
    expect(guess).toBe(h.probe());
  });

  it("a new managed file that sorts last, and one outside the folders boot reads", () => {
    for (const managed of ["/run/sysctl.d/zz-keel.conf", "/etc/keel/sysctl.txt"]) {
      const h = host(others, managed);
      const before = h.probe();
      const c = Buffer.from("x.y = 3\n");
      const guess = predictSysctl(before, h.file, [{ path: h.file, content: c }], h.root);
      h.put(managed, c);
      expect(guess, managed).toBe(h.probe());
    }
  });

  it("writes elsewhere change nothing; another sysctl file or binary content: no guess", () => {
    const h = host(others, "/etc/sysctl.d/60-keel.conf");
    const before = h.probe();
    expect(predictSysctl(before, h.file, [{ path: "/etc/motd", content: Buffer.from("hi\n") }], h.root)).toBe(before);
    expect(predictSysctl(before, h.file, [{ path: `${h.root}/etc/sysctl.d/10-a.conf`, content: Buffer.from("") }], h.root)).toBeUndefined();
    expect(predictSysctl(before, h.file, [{ path: h.file, content: Buffer.from("a\u0000b\n") }], h.root)).toBeUndefined();
  });
});
