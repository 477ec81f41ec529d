// The controller walk of a copy with a folder src (modules/files/copy-walk.ts) against ansible-core
// 2.14's own: the expected lists below are what its copy action's _walk_dirs returned on the same
// tree (paths relative to the scratch folder; lists sorted), run as
//   /usr/bin/python3 -c 'from ansible.plugins.action.copy import _walk_dirs; print(_walk_dirs(TOP, local_follow=LF))'
// for TOP conf.d/ and conf.d, LF True and False. The tree has a sub-folder, a nested one, an empty
// one, a link to a file and a link to a folder outside the copy, a link back to a folder of the copy
// (a loop) and a dangling link.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { walkLocalTree } from "../../../../modules/files/copy-walk.js";

const base = mkdtempSync(join(tmpdir(), "keel-copywalk-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
for (const d of ["outside/o2", "conf.d/sub/deep", "conf.d/empty"]) mkdirSync(join(base, d), { recursive: true });
for (const [f, c] of Object.entries({
  "conf.d/a.conf": "a",
  "conf.d/sub/b.conf": "b",
  "conf.d/sub/deep/c.conf": "c",
  "outside/o.conf": "o",
  "outside/o2/x": "o2",
}))
  writeFileSync(join(base, f), `${c}\n`);
symlinkSync("../outside/o.conf", join(base, "conf.d/linkfile"));
symlinkSync("../outside", join(base, "conf.d/linkdir"));
symlinkSync("..", join(base, "conf.d/sub/loop"));
symlinkSync("nowhere", join(base, "conf.d/dangling"));

/** _walk_dirs' answer for conf.d/ (contents); `src: conf.d` prefixes every relative path with conf.d/. */
const ANSIBLE = {
  follow: {
    files: [
      ["conf.d/a.conf", "a.conf"],
      ["conf.d/sub/b.conf", "sub/b.conf"],
      ["conf.d/sub/deep/c.conf", "sub/deep/c.conf"],
      ["outside/o.conf", "linkdir/o.conf"],
      ["outside/o.conf", "linkfile"],
      ["outside/o2/x", "linkdir/o2/x"],
    ],
    directories: ["empty", "sub", "sub/deep", "linkdir", "linkdir/o2"],
    symlinks: [
      ["..", "sub/loop"],
      ["nowhere", "dangling"],
    ],
  },
  nofollow: {
    files: [
      ["conf.d/a.conf", "a.conf"],
      ["conf.d/sub/b.conf", "sub/b.conf"],
      ["conf.d/sub/deep/c.conf", "sub/deep/c.conf"],
    ],
    directories: ["empty", "sub", "sub/deep"],
    symlinks: [
      ["..", "sub/loop"],
      ["../outside", "linkdir"],
      ["../outside/o.conf", "linkfile"],
      ["nowhere", "dangling"],
    ],
  },
};

const byRel = (a: string[], b: string[]) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0);

describe("copy's controller walk = Ansible's _walk_dirs", () => {
  for (const contents of [true, false])
    for (const follow of [true, false])
      it(`src: conf.d${contents ? "/" : ""}, local_follow: ${follow}`, () => {
        const w = walkLocalTree(join(base, "conf.d"), contents, follow);
        const want = ANSIBLE[follow ? "follow" : "nofollow"];
        const pre = contents ? "" : "conf.d/";
        expect(w.files.map((f) => [f.src.slice(base.length + 1), f.rel]).sort(byRel)).toEqual(want.files.map(([s, r]) => [s, pre + r]).sort(byRel));
        expect([...w.dirs].sort()).toEqual(want.directories.map((d) => pre + d).sort());
        expect(w.links.map((l) => [l.target, l.rel]).sort(byRel)).toEqual(want.symlinks.map(([t, r]) => [t, pre + r]).sort(byRel));
      });
  it("a parent folder comes before what is in it (apply creates folders in the walk's order)", () => {
    const w = walkLocalTree(join(base, "conf.d"), true, true);
    w.dirs.forEach((d, i) => {
      if (d.includes("/")) expect(w.dirs.slice(0, i)).toContain(d.slice(0, d.lastIndexOf("/")));
    });
  });
});
