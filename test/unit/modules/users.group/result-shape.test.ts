// users.group's registered keys, as ansible-core 2.14's group module returns them (group.py main();
// values of its live run on a lab host): name and state, and system (the argument) and gid while the
// group exists; check mode gives only `changed` for a group to create or delete.
import { describe, expect, it } from "vitest";
import group, { groupResult } from "../../../../modules/users/group.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

describe("users.group registered keys", () => {
  it("an existing or created group: gid and system", () => {
    expect(groupResult({ name: "shapeg", gid: 1002, members: [] }, { name: "shapeg" }, false)).toEqual({
      gid: 1002,
      name: "shapeg",
      state: "present",
      system: false,
    });
  });
  it("absent: name and state only; check mode with something to create or delete: nothing", () => {
    expect(groupResult(undefined, { name: "g", state: "absent" }, false)).toEqual({ name: "g", state: "absent" });
    expect(groupResult({ name: "g", gid: 5, members: [] }, { name: "g", state: "absent" }, true)).toEqual({});
    expect(groupResult(undefined, { name: "g" }, true)).toEqual({});
    expect(groupResult({ name: "g", gid: 5, members: [] }, { name: "g", gid: 7 }, true)).toEqual({ name: "g", state: "present", system: false, gid: 5 });
  });
  it("apply: the gid groupadd picked, read back with getent", async () => {
    const args = { name: "shapeg" };
    const host = new RecordingHost(BASE_FACTS, [{ match: "^getent group ", stdout: "shapeg:x:1002:\n" }]);
    const r = await group.apply(host, args, group.diff({}, args, BASE_FACTS), {});
    expect(r && r.data).toEqual({ name: "shapeg", state: "present", system: false, gid: 1002 });
  });
});
