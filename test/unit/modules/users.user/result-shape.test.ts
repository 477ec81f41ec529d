// users.user's registered keys, as ansible-core 2.14's user module returns them (user.py main();
// the values below are those of its live runs on a lab host, session 10 and 12): created, unchanged,
// modified with a password (masked as Ansible masks it), and check mode, where an account to create
// or delete gives nothing but `changed`. After apply, one getent reads the account as it is now.
import { describe, expect, it } from "vitest";
import user from "../../../../modules/users/user.js";
import { userResult } from "../../../../modules/users/user-result.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const P = { name: "shapeu", uid: 1001, gid: 1001, comment: "", home: "/home/shapeu", shell: "/bin/sh" };

describe("users.user registered keys", () => {
  it("a created account: system, create_home and the new passwd entry (Ansible's live result)", () => {
    expect(userResult(P, { name: "shapeu" }, { check: false, existed: false })).toEqual({
      comment: "",
      create_home: true,
      group: 1001,
      home: "/home/shapeu",
      name: "shapeu",
      shell: "/bin/sh",
      state: "present",
      system: false,
      uid: 1001,
    });
  });

  it("an existing account: append and move_home instead; groups joined, password masked", () => {
    expect(userResult(P, { name: "shapeu" }, { check: false, existed: true })).toEqual({
      append: false,
      comment: "",
      group: 1001,
      home: "/home/shapeu",
      move_home: false,
      name: "shapeu",
      shell: "/bin/sh",
      state: "present",
      uid: 1001,
    });
    const r = userResult(P, { name: "shapeu", groups: ["a", "b"], password: "$6$x$y", append: true }, { check: false, existed: true });
    expect(r).toMatchObject({ groups: "a,b", password: "NOT_LOGGING_PASSWORD", append: true });
    expect(JSON.stringify(r)).not.toContain("$6$x$y");
  });

  it("check mode: creating or deleting gives only changed; an existing account reads as it is", () => {
    expect(userResult(undefined, { name: "shapeu" }, { check: true, existed: false })).toEqual({});
    expect(userResult(P, { name: "shapeu", state: "absent" }, { check: true, existed: true })).toEqual({});
    expect(userResult(P, { name: "shapeu" }, { check: true, existed: true })).toMatchObject({ shell: "/bin/sh", append: false });
    expect(userResult(undefined, { name: "shapeu", state: "absent" }, { check: true, existed: false })).toEqual({ name: "shapeu", state: "absent" });
  });

  it("a deleted account: force and remove, no passwd fields", () => {
    expect(userResult(undefined, { name: "shapeu", state: "absent", remove: true }, { check: false, existed: true })).toEqual({
      name: "shapeu",
      state: "absent",
      force: false,
      remove: true,
    });
  });

  it("apply reads the account back with getent for the result", async () => {
    const args = { name: "shapeu" };
    const st = {};
    const host = new RecordingHost(BASE_FACTS, [{ match: "^getent passwd shapeu$", stdout: "shapeu:x:1001:1001::/home/shapeu:/bin/sh\n" }]);
    const r = await user.apply(host, args, user.diff(st, args, BASE_FACTS), st);
    expect(host.calls.map((c) => ("run" in c ? c.run : ""))).toEqual(["useradd -m shapeu", "getent passwd shapeu"]);
    expect(r && r.data).toMatchObject({ uid: 1001, group: 1001, create_home: true, system: false, home: "/home/shapeu" });
    expect(user.result?.(st, args, BASE_FACTS, { check: false })).toEqual({ name: "shapeu", state: "present", system: false, create_home: true });
  });
});
