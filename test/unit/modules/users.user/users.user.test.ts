import mod from "../../../../modules/users/user.js";
const userMod = mod;

import { describe, it, expect } from "vitest";
import { Ajv } from "ajv";
import { BASE_FACTS, RecordingHost } from "../harness.js";
import { dayText, expiresDays, type UserState } from "../../../../modules/users/user.js";
import groupMod from "../../../../modules/users/group.js";
import keyMod from "../../../../modules/users/authorized_key.js";
import sudoersMod from "../../../../modules/users/sudoers.js";
import commandMod from "../../../../modules/system/command.js";
import shellMod from "../../../../modules/system/shell.js";
import assertMod from "../../../../modules/system/assert.js";
import setFactMod from "../../../../modules/system/set_fact.js";

const HASH_A = "$6$saltA$abcdefghijklmnopqrstuvwxyz";
const HASH_B = "$6$saltB$0123456789";
const existing: UserState = {
  passwd: { name: "deploy", uid: 1001, gid: 1001, comment: "", home: "/home/deploy", shell: "/bin/sh" },
  primaryGroup: "deploy",
  groups: [],
  shadowProbed: true,
  shadow: { name: "deploy", hash: HASH_A, expireDays: null, minDays: 0, maxDays: 99999 },
};

describe("users.user secrets", () => {
  it("never shows the hash in changes, and never puts it on a command line", async () => {
    const a = { name: "deploy", password: HASH_B, password_lock: true, shell: "/bin/bash" };
    const changes = userMod.diff(existing, a, BASE_FACTS);
    expect(JSON.stringify(changes)).not.toContain("$6$");
    const host = new RecordingHost();
    await userMod.apply(host, a, changes, existing);
    const runs = host.calls.filter((c): c is { run: string; opts?: { stdin?: string } } => "run" in c);
    // then getent reads the account back for the registered result
    expect(runs.map((c) => c.run)).toEqual(["chpasswd -e", "usermod -s /bin/bash -L deploy", "getent passwd deploy"]);
    expect(runs[0]!.opts?.stdin).toBe(`deploy:${HASH_B}\n`);
    const created = userMod.diff({}, a, BASE_FACTS);
    expect(JSON.stringify(created)).not.toContain("$6$");
  });
  it("a password change on a locked account keeps it locked (chpasswd would unlock it)", async () => {
    const locked = { ...existing, shadow: { ...existing.shadow!, hash: `!${HASH_A}` } };
    const a = { name: "deploy", password: HASH_B, password_lock: true };
    const changes = userMod.diff(locked, a, BASE_FACTS);
    expect(changes.map((c) => c.field)).toEqual(["password"]);
    const host = new RecordingHost();
    await userMod.apply(host, a, changes, locked);
    expect(host.calls.map((c) => ("run" in c ? c.run : ""))).toEqual(["chpasswd -e", "usermod -L deploy", "getent passwd deploy"]);
  });
  it("a numeric group is compared with the gid", () => {
    expect(userMod.diff(existing, { name: "deploy", group: 1001 }, BASE_FACTS)).toEqual([]);
    expect(userMod.diff(existing, { name: "deploy", group: "1002" }, BASE_FACTS)[0]).toMatchObject({ field: "group", summary: "group deploy → 1002" });
  });
});

describe("expires conversion (epoch seconds → shadow days)", () => {
  const table: [number, number | null, string][] = [
    [0, 0, "1970-01-01"],
    [1893456000, 21915, "2030-01-01"],
    [1893456000 + 86399.5, 21915, "2030-01-01"],
    [-1, null, "never"],
  ];
  for (const [secs, days, text] of table) {
    it(`${secs}`, () => {
      expect(expiresDays(secs)).toBe(days);
      expect(dayText(days)).toBe(text);
    });
  }
});

describe("schemas of these modules compile with ajv strict mode", () => {
  for (const m of [userMod, groupMod, keyMod, sudoersMod, commandMod, shellMod, assertMod, setFactMod]) {
    it(m.name, () => {
      expect(() => new Ajv({ strict: true, allErrors: true }).compile(m.args)).not.toThrow();
      const props = (m.args.properties ?? {}) as Record<string, { description?: string }>;
      for (const [k, p] of Object.entries(props)) expect(p.description, `${m.name}.${k}`).toBeTruthy();
    });
  }
  it("user name and password patterns", () => {
    const v = new Ajv({ strict: true }).compile(userMod.args);
    expect(v({ name: "deploy", password: HASH_A, groups: "a,b", group: 10 })).toBe(true);
    expect(v({ name: "de:ploy" })).toBe(false);
    expect(v({ name: "deploy", password: "a:b" })).toBe(false);
    expect(v({ name: "deploy", bogus: 1 })).toBe(false);
  });
});
