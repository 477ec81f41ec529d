// services.service's guard around sshd restarts/reloads/stops (engine/core/sshd-access.ts): the
// configuration on disk is checked for keel's own login before the action, and a NEW connection is
// proved after it. The probe output below is what SSHD_ACTION_CHECK prints (records).
import { describe, expect, it } from "vitest";
import { SSHD_ACTION_CHECK, sshdActionGuarded, sshdActionRefusal } from "../../../engine/core/sshd-access.js";
import mod from "../../../modules/services/service.js";
import { BASE_FACTS, RecordingHost } from "../modules/harness.js";

const b = (t: string) => Buffer.from(t).toString("base64");
const EFF_OK =
  "port 22\npermitrootlogin without-password\npubkeyauthentication yes\nauthenticationmethods any\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\n";

function check(o: { ssh?: string; user?: string; testRc?: number; testErr?: string; eff?: string; lport?: string } = {}): string {
  return [
    "@login",
    `ssh=${o.ssh ?? "1"}`,
    `user=${o.user ?? "root"}`,
    "addr=198.18.0.1",
    "groups=root",
    "sshd=/usr/sbin/sshd",
    "@listen",
    "laddr=198.18.0.11",
    `lport=${o.lport ?? "22"}`,
    "@cmd test",
    "out:b64=",
    `rc=${o.testRc ?? 0}`,
    `err:b64=${b(o.testErr ?? "")}`,
    "@cmd effective",
    `out:b64=${b(o.eff ?? EFF_OK)}`,
    "rc=0",
    "err:b64=",
    "",
  ].join("\n");
}

describe("sshd action guard (pure)", () => {
  it("guards restart/reload/stop of sshd's own service names only", () => {
    expect(sshdActionGuarded("ssh", ["restart"])).toBe(true);
    expect(sshdActionGuarded("sshd.service", ["reload"])).toBe(true);
    expect(sshdActionGuarded("ssh", ["disable --now"])).toBe(true);
    expect(sshdActionGuarded("ssh", ["start", "enable"])).toBe(false);
    expect(sshdActionGuarded("keelfix-sshd", ["restart"])).toBe(false);
    expect(sshdActionGuarded("nginx", ["restart"])).toBe(false);
  });
  it("lets a configuration through that admits keel's login", () => {
    expect(sshdActionRefusal(check(), "ssh", ["restart"])).toEqual({ viaSsh: true });
  });
  it("refuses PermitRootLogin no when keel connects as root", () => {
    const g = sshdActionRefusal(check({ eff: EFF_OK.replace("without-password", "no") }), "ssh", ["restart"]);
    expect(g.refusal).toMatch(/PermitRootLogin no refuses root, the user keel connects as \(root@198\.18\.0\.1\)/);
  });
  it("refuses a configuration sshd -t rejects, with sshd's message", () => {
    const g = sshdActionRefusal(check({ testRc: 255, testErr: "/etc/ssh/sshd_config line 3: Bad configuration option: Foo\n" }), "ssh", ["reload"]);
    expect(g.refusal).toMatch(/`sshd -t` rejects the configuration on disk: .*line 3: Bad configuration option: Foo/);
  });
  it("refuses a port keel does not connect to", () => {
    const g = sshdActionRefusal(check({ eff: EFF_OK.replace(/:22/g, ":2222").replace("port 22", "port 2222") }), "ssh", ["restart"]);
    expect(g.refusal).toMatch(/would listen on \[::\]:2222, 0\.0\.0\.0:2222, not on 198\.18\.0\.11:22/);
  });
  it("refuses AllowUsers that leave keel's user out", () => {
    const g = sshdActionRefusal(check({ eff: `${EFF_OK}allowusers deploy\n` }), "ssh", ["restart"]);
    expect(g.refusal).toMatch(/AllowUsers deploy does not let in root@198\.18\.0\.1/);
  });
  it("always refuses stopping sshd over SSH", () => {
    expect(sshdActionRefusal(check(), "ssh", ["stop"]).refusal).toMatch(/stopping ssh refuses every new SSH login/);
  });
  it("does not guard a local connection (nothing to lock out, nothing to prove)", () => {
    expect(sshdActionRefusal(check({ ssh: "0", eff: "permitrootlogin no\n" }), "ssh", ["stop"])).toEqual({ viaSsh: false });
  });
});

describe("services.service restarting sshd", () => {
  const args = { name: "ssh", state: "restarted" as const };
  const changes = [
    { summary: "service ssh restart", field: "state", before: "running", after: "running", data: { op: "restart" as const, action: true as const } },
  ];
  const restart = /service ssh restart/;
  it("checks before, restarts, then proves a new connection", async () => {
    const host = new RecordingHost(BASE_FACTS, [{ match: "_keel_sshd", stdout: check() }]);
    await mod.apply(host, args, changes, undefined as never);
    expect(host.calls.map((c) => ("run" in c ? (c.run === SSHD_ACTION_CHECK ? "check" : c.run) : Object.keys(c)[0]))).toEqual([
      "check",
      expect.stringMatching(restart),
      "probe_new_connection",
    ]);
  });
  it("does not restart when the configuration on disk would refuse keel's login", async () => {
    const host = new RecordingHost(BASE_FACTS, [{ match: "_keel_sshd", stdout: check({ eff: "permitrootlogin no\n" }) }]);
    await expect(mod.apply(host, args, changes, undefined as never)).rejects.toThrow(
      /refusing to restart ssh: PermitRootLogin no refuses root.*The running sshd keeps its current configuration/,
    );
    expect(host.calls.some((c) => "run" in c && restart.test(c.run))).toBe(false);
  });
  it("fails the task when the new connection fails after the restart", async () => {
    const host = new RecordingHost(BASE_FACTS, [
      { match: "_keel_sshd", stdout: check() },
      { match: "probe_new_connection", rc: 1, stderr: "connection timed out" },
    ]);
    await expect(mod.apply(host, args, changes, undefined as never)).rejects.toThrow(/ssh restart done, but a new SSH connection to fixture-host failed/);
  });
});
