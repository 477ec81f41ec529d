// files.copy's (and template's) registered keys, as ansible-core 2.14's copy action returns them
// (values of its live runs on a lab host): content in place → dest, path, checksum and the file's
// fields; content written → dest, md5sum, checksum (backup_file with backup) and the fields read
// after the write; content to write in check mode → nothing but `changed`.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import copy from "../../../../modules/files/copy.js";
import { contentResult, writtenResult } from "../../../../modules/files/content-result.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const file = { path: "/tmp/shape/c.txt", type: "file" as const, mode: "0644", uid: 0, gid: 0, owner: "root", group: "root", size: 2, parentExists: true };

describe("files.copy registered keys", () => {
  it("in place: the file module's result with the content's SHA1 (Ansible's live result); else nothing before the write", () => {
    const args = { dest: "/tmp/shape/c.txt", content: "x\n" };
    expect(contentResult({ ...file, sha256: sha256("y\n") }, args)).toEqual({});
    expect(contentResult({ ...file, sha256: sha256("x\n") }, args)).toEqual({
      checksum: "6fcf9dfbd479ed82697fee719b9f8c610a11ff2a",
      dest: "/tmp/shape/c.txt",
      gid: 0,
      group: "root",
      mode: "0644",
      owner: "root",
      path: "/tmp/shape/c.txt",
      size: 2,
      state: "file",
      uid: 0,
    });
  });
  it("written: md5sum and checksum of the content, the fields read after the write", () => {
    const info = { uid: 0, gid: 0, owner: "root", group: "root", mode: "0644", state: "file" as const, size: 2 };
    expect(writtenResult({ ...file, type: "absent" }, { dest: "/tmp/shape/c.txt", content: "x\n" }, info)).toEqual({
      checksum: "6fcf9dfbd479ed82697fee719b9f8c610a11ff2a",
      dest: "/tmp/shape/c.txt",
      gid: 0,
      group: "root",
      md5sum: "401b30e3b8b5d629635a5c613cdb7919",
      mode: "0644",
      owner: "root",
      size: 2,
      state: "file",
      uid: 0,
    });
  });
  it("apply: the write, then one stat for the result", async () => {
    const args = { dest: "/tmp/shape/c.txt", content: "1" };
    const st = { ...file, sha256: sha256("0") };
    const host = new RecordingHost(BASE_FACTS, [{ match: "^stat -c ", stdout: "0 0 root root 644 1 1 regular file\n" }]);
    const r = await copy.apply(host, args, copy.diff(st, args, BASE_FACTS), st);
    expect(r && r.data).toMatchObject({
      dest: "/tmp/shape/c.txt",
      size: 1,
      checksum: "356a192b7913b04c54574d18c28d46e6395428ab",
      md5sum: "c4ca4238a0b923820dcc509a6f75849b",
    });
  });
});
