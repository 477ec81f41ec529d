import { describe, expect, it } from "vitest";
import { escapeField, parseMountinfo, setMount } from "../../../../modules/system/mount.js";

describe("system.mount pure parts", () => {
  it("reads mountinfo lines with optional fields and escaped sources", () => {
    expect(parseMountinfo("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/my\\040disk rw,errors=continue")).toEqual({
      src: "/dev/my disk",
      fstype: "ext3",
      opts: "rw,noatime",
    });
    expect(parseMountinfo("garbage")).toBeUndefined();
  });
  it("escapes as Ansible's _escape_fstab", () => expect(escapeField("/a b\\c\td")).toBe("/a\\040b\\134c\\011d"));
  it("fills missing dump/passno fields with 0 and keeps a 4-field line that already matches", () => {
    const r = setMount("tmpfs /t tmpfs defaults\n", { path: "/t", src: "tmpfs", fstype: "tmpfs", state: "present" });
    expect(r).toMatchObject({ changed: false, text: "tmpfs /t tmpfs defaults\n" });
  });
});
