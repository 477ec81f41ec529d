// files.lineinfile's registered keys, as ansible-core 2.14's lineinfile returns them (values of its
// live runs on a lab host): msg "line added" / "line replaced" / "N line(s) removed" / "", with the
// attribute suffix when mode/owner/group differ too, backup ("" unless a backup was made), found for
// absent, and "file not present" for absent on a missing file.
import { describe, expect, it } from "vitest";
import li, { lineResult } from "../../../../modules/files/lineinfile.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const st = (content: string, mode = "0644") => ({
  path: "/r",
  type: "file" as const,
  mode,
  uid: 0,
  gid: 0,
  owner: "root",
  group: "root",
  size: content.length,
  parentExists: true,
  content,
  sha256: "x",
});

describe("files.lineinfile registered keys", () => {
  it("added, unchanged, replaced, removed", () => {
    expect(lineResult(st("foo\nbar\n"), { path: "/r", line: "added" })).toEqual({ msg: "line added", backup: "" });
    expect(lineResult(st("foo\nadded\n"), { path: "/r", line: "added" })).toEqual({ msg: "", backup: "" });
    expect(lineResult(st("foo\nbar\n"), { path: "/r", regexp: "^bar", line: "bar2" })).toEqual({ msg: "line replaced", backup: "" });
    expect(lineResult(st("foo a\nfoo b\nbar\n"), { path: "/r", regexp: "^foo", state: "absent" })).toEqual({ msg: "2 line(s) removed", backup: "", found: 2 });
    expect(lineResult(st("bar\n"), { path: "/r", regexp: "^foo", state: "absent" })).toEqual({ msg: "", backup: "", found: 0 });
  });
  it("attributes: Ansible's suffix; a missing file with state absent", () => {
    expect(lineResult(st("added\n"), { path: "/r", line: "added", mode: "0600" })).toMatchObject({ msg: "ownership, perms or SE linux context changed" });
    expect(lineResult(st("x\n"), { path: "/r", line: "added", mode: "0600" })).toMatchObject({
      msg: "line added and ownership, perms or SE linux context changed",
    });
    expect(lineResult({ path: "/r", type: "absent", parentExists: true }, { path: "/r", line: "x", state: "absent" })).toEqual({ msg: "file not present" });
  });
  it("apply: backup is the backup's path", async () => {
    const args = { path: "/r", line: "added", backup: true };
    const s = st("x\n");
    const r = await li.apply(new RecordingHost(BASE_FACTS), args, li.diff(s, args, BASE_FACTS), s);
    expect(r && r.data).toEqual({ backup: "/r.keel-backup" });
  });
});
