// files.file's registered keys, as ansible-core 2.14's file module returns them (file.py's ensure_*
// results, then add_path_info; values of its live runs on a lab host): `path`, or `dest` for touch
// and link (with link's src), state absent for absent, and the path's uid, gid, owner, group, mode,
// state and size when it exists. After apply, one `stat -c` (lstat) reads the path as it is now.
import { describe, expect, it } from "vitest";
import file from "../../../../modules/files/file.js";
import { fileResult, parsePathInfo, statPathInfo } from "../../../../modules/files/pathinfo.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

describe("files.file registered keys", () => {
  it("parsePathInfo reads stat -c '%u %g %U %G %a %h %s %F' as add_path_info", () => {
    expect(parsePathInfo("0 0 root root 644 1 0 regular empty file\n")).toEqual({
      uid: 0,
      gid: 0,
      owner: "root",
      group: "root",
      mode: "0644",
      state: "file",
      size: 0,
    });
    expect(parsePathInfo("0 0 root root 755 2 4096 directory")).toMatchObject({ mode: "0755", state: "directory", size: 4096 });
    expect(parsePathInfo("0 0 root root 777 1 11 symbolic link")).toMatchObject({ mode: "0777", state: "link", size: 11 });
    expect(parsePathInfo("1500 1500 UNKNOWN UNKNOWN 600 2 3 regular file")).toMatchObject({ owner: "1500", group: "1500", state: "hard" });
    expect(parsePathInfo("")).toBeUndefined();
  });

  it("touch registers dest, a directory path (Ansible's live results)", () => {
    const info = parsePathInfo("0 0 root root 644 1 0 regular empty file");
    expect(fileResult({ path: "/tmp/shape/f", state: "touch" }, "touch", info)).toEqual({
      dest: "/tmp/shape/f",
      gid: 0,
      group: "root",
      mode: "0644",
      owner: "root",
      size: 0,
      state: "file",
      uid: 0,
    });
    expect(fileResult({ path: "/tmp/shape/d", state: "directory" }, "directory", parsePathInfo("0 0 root root 755 2 4096 directory"))).toEqual({
      gid: 0,
      group: "root",
      mode: "0755",
      owner: "root",
      path: "/tmp/shape/d",
      size: 4096,
      state: "directory",
      uid: 0,
    });
    expect(fileResult({ path: "/l", src: "/t", state: "link" }, "link", undefined)).toEqual({ dest: "/l", src: "/t" });
    expect(fileResult({ path: "/gone", state: "absent" }, "absent", undefined)).toEqual({ path: "/gone", state: "absent" });
  });

  it("result(): the probed path; absent in check mode reads the path still there", () => {
    const st = { path: "/x", type: "file" as const, mode: "0644", uid: 0, gid: 0, owner: "root", group: "root", size: 3, parentExists: true };
    expect(statPathInfo(st)).toEqual({ uid: 0, gid: 0, owner: "root", group: "root", mode: "0644", state: "file", size: 3 });
    expect(file.result?.(st, { path: "/x", mode: "0600" }, BASE_FACTS, { check: true })).toMatchObject({ path: "/x", mode: "0644", state: "file" });
    expect(file.result?.(st, { path: "/x", state: "absent" }, BASE_FACTS, { check: true })).toMatchObject({ path: "/x", state: "file", size: 3 });
    expect(file.result?.(st, { path: "/x", state: "absent" }, BASE_FACTS, { check: false })).toEqual({ path: "/x", state: "absent" });
  });

  it("apply reads the created path back for the result", async () => {
    const args = { path: "/tmp/n", state: "directory" as const };
    const st = { path: "/tmp/n", type: "absent" as const, parentExists: true, ancestor: "/tmp" };
    const host = new RecordingHost(BASE_FACTS, [{ match: "^stat -c ", stdout: "0 0 root root 755 2 4096 directory\n" }]);
    const r = await file.apply(host, args, file.diff(st, args, BASE_FACTS), st);
    expect(host.calls.at(-1)).toMatchObject({ run: "stat -c '%u %g %U %G %a %h %s %F' -- /tmp/n 2>/dev/null || true" });
    expect(r && r.data).toMatchObject({ path: "/tmp/n", state: "directory", mode: "0755", size: 4096 });
  });
});
