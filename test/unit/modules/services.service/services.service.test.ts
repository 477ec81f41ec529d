import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import mod from "../../../../modules/services/service.js";
import type { Facts } from "../../../../engine/core/facts.js";
import { unitName } from "../../../../modules/services/backends/systemd.js";
import { runModuleFixtures, BASE_FACTS, RecordingHost } from "../harness.js";

const here = dirname(fileURLToPath(import.meta.url));
runModuleFixtures(mod, here);

// Cases whose diff must fail (unknown service). Same YAML shape, with `diff_error` (a regex).
describe("services.service error fixtures", () => {
  const dir = join(here, "errors");
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith(".yml"))
    .sort()) {
    it(f.replace(/\.yml$/, ""), () => {
      const c = parse(readFileSync(join(dir, f), "utf8"));
      const facts = { ...BASE_FACTS, ...(c.facts ?? {}) };
      const probe = mod.probe(c.args, facts);
      const state = probe.parse(c.probe.stdout ?? "", c.probe.rc ?? 0);
      expect(() => mod.diff(state, c.args, facts)).toThrow(new RegExp(c.diff_error));
    });
  }
});

describe("services.service pure parts", () => {
  it("adds .service only to bare names", () => {
    expect(unitName("ssh")).toBe("ssh.service");
    expect(unitName("docker.socket")).toBe("docker.socket");
    expect(unitName("getty@tty1")).toBe("getty@tty1.service");
  });
  it("fails clearly on an unknown init system", () => {
    expect(() => mod.probe({ name: "ssh", state: "started" }, { ...BASE_FACTS, init: "unknown" })).toThrow(/no service backend for init 'unknown'/);
  });
  it("quotes the name in the sysv probe and globs only the S?? prefix", () => {
    const s = mod.probe({ name: "keel-daemon", state: "started" }, BASE_FACTS).script;
    expect(s).toContain("/etc/rc2.d/S??keel-daemon");
    expect(s).toContain("/etc/init.d/keel-daemon status");
  });
});

describe("services.service pattern (Ansible's sysvinit get_ps), run by sh on this machine", () => {
  it("counts the process lines holding the text, not the probe's own shell", async () => {
    const { execFileSync, spawn } = await import("node:child_process");
    const marker = `keel-pattern-${process.pid}-${Date.now()}`;
    const count = (pattern: string) => {
      const script = mod.probe({ name: "nope", state: "started", pattern }, BASE_FACTS).script;
      const m = /@pattern\n?[\s\S]*?pattern=(\d+)/.exec(execFileSync("sh", ["-c", script], { encoding: "utf8" }));
      return Number(m?.[1]);
    };
    expect(count(marker)).toBe(0);
    // a shell that stays (its command line holds the marker as $0) while it sleeps
    const child = spawn("sh", ["-c", "sleep 30; true", marker], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(count(marker)).toBe(1);
    } finally {
      child.kill();
    }
  });
  it("on systemd, arguments/pattern/sleep/runlevel are left out, as Ansible drops them; runlevel on SysV fails", () => {
    const s = mod.probe(
      { name: "nginx", state: "started", pattern: "nginx: master", arguments: "-q", runlevel: "default" },
      { ...BASE_FACTS, init: "systemd" },
    ).script;
    expect(s).not.toContain("nginx: master");
    expect(() => mod.probe({ name: "nginx", state: "started", runlevel: "default" }, BASE_FACTS)).toThrow(/runlevel is OpenRC's/);
  });
});

describe("services.service arguments on SysV: words, never sh syntax (Ansible's run_command, no shell)", () => {
  const facts: Facts = { ...BASE_FACTS, init: "sysv" };
  it("a ; or $() in arguments reaches the init script as a plain word", async () => {
    const args = { name: "app", state: "restarted" as const, arguments: "x; touch /tmp/pwned $(id) 'a b'" };
    const st = mod.probe(args, facts).parse("@cmd status\nout:b64=\nrc=0\nerr:b64=\n@out links\ntext:b64=\n", 0);
    const host = new RecordingHost(facts);
    await mod.apply(host, args, mod.diff(st, args, facts), st);
    const run = host.calls.map((c) => ("run" in c ? c.run : "")).join("\n");
    expect(run).toContain(`service app restart 'x;' touch /tmp/pwned '$(id)' 'a b'`);
    expect(run).not.toContain("x; touch");
  });
  it("an unterminated quote in arguments is refused at load", () => {
    expect(() => mod.validate!({ name: "app", arguments: "--opt 'oops" })).toThrow(/unterminated ' quote/);
  });
});

describe("services.service daemon_reload, as Ansible's systemd module reports it", () => {
  const facts: Facts = { ...BASE_FACTS, init: "systemd" };
  it("alone: runs daemon-reload but the task is not changed", async () => {
    const args = { daemon_reload: true };
    const st = mod.probe(args, facts).parse("", 0);
    const changes = mod.diff(st, args, facts);
    const host = new RecordingHost(facts);
    expect(await mod.apply(host, args, changes, st)).toMatchObject({ changed: false });
    expect(host.calls).toEqual([{ run: "systemctl daemon-reload" }]);
  });
  it("with a start: changed (the start is the change)", async () => {
    const args = { name: "nginx", state: "started" as const, daemon_reload: true };
    const show = "LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=enabled\nNeedDaemonReload=yes\n";
    const b = (t: string) => Buffer.from(t).toString("base64");
    const st = mod.probe(args, facts).parse(`@out show\ntext:b64=${b(show)}\n@out is-enabled\ntext:b64=${b("enabled\n")}\n`, 0);
    const changes = mod.diff(st, args, facts);
    const host = new RecordingHost(facts);
    const r = await mod.apply(host, args, changes, st);
    expect(r && "changed" in r).toBe(false);
    expect(host.calls.map((c) => ("run" in c ? c.run : ""))).toEqual(["systemctl daemon-reload", "systemctl start nginx.service"]);
  });
});

describe("services.service: systemctl show as Ansible's parse_systemctl_show reads it", () => {
  it("joins only Exec* values that open with { and close on a later line", async () => {
    const { parseSystemctlShow } = await import("../../../../modules/services/backends/systemd.js");
    const got = parseSystemctlShow([
      "ExecStart={ path=/bin/x ; argv[]=/bin/x",
      "  -v ; status=0/0 }",
      "Description={ not closed",
      "LoadState=loaded",
      "no equals sign",
    ]);
    expect(got).toEqual({ ExecStart: "{ path=/bin/x ; argv[]=/bin/x\n  -v ; status=0/0 }", Description: "{ not closed", LoadState: "loaded" });
  });
  it("daemon_reexec on a SysV host is refused before anything runs", () => {
    expect(() => mod.probe({ daemon_reexec: true }, BASE_FACTS)).toThrow(/daemon_reexec.*need systemd/);
  });
});
