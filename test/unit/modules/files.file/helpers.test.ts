// The pure parts shared by the files.* modules: mode parsing and symbolic arithmetic, argument
// schemas, the errors diff raises for requests that cannot be met, and the text edits.
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { InputError, ModuleError } from "../../../../engine/core/errors.js";
import { applySymbolic, parseMode, type FileStat } from "../../../../modules/files/common.js";
import { normMode } from "../../../../engine/core/snippets.js";
import { editBlock } from "../../../../modules/files/blockinfile.js";
import { presentLine, removeLines } from "../../../../modules/files/lineinfile.js";
import { pyRegex } from "../../../../modules/files/text.js";
import fileMod from "../../../../modules/files/file.js";
import copyMod from "../../../../modules/files/copy.js";
import templateMod from "../../../../modules/files/template.js";
import lineMod from "../../../../modules/files/lineinfile.js";
import blockMod from "../../../../modules/files/blockinfile.js";
import { BASE_FACTS } from "../harness.js";

const MODS = [fileMod, copyMod, templateMod, lineMod, blockMod];

describe("modes", () => {
  it.each([
    ["0644", 0o644],
    ["644", 0o644],
    ["0o755", 0o755],
    ["4755", 0o4755],
    // five digits with a leading zero, as Ansible reads them (geerlingguy.postgresql: "02775")
    ["02775", 0o2775],
    ["00644", 0o644],
    [644, 0o644],
    [755, 0o755],
  ] as const)("parseMode(%j)", (input, want) => {
    expect(parseMode(input)).toEqual({ octal: want });
  });

  it("keeps symbolic modes and rejects nonsense with a hint", () => {
    expect(parseMode("u=rw,g=r,o=r")).toEqual({ symbolic: "u=rw,g=r,o=r" });
    for (const bad of ["0999", "rw-r--r--", "u=rwz", 999, -1]) {
      expect(() => parseMode(bad as never)).toThrow(InputError);
    }
  });

  it.each([
    ["u+x", 0o644, false, "0744"],
    ["a-w", 0o644, false, "0444"],
    ["u=rwX,g=rX,o=", 0o600, false, "0640"],
    ["u=rwX,g=rX,o=", 0o700, false, "0750"],
    ["u=rwX,g=rX,o=", 0o700, true, "0750"],
    ["g=u", 0o640, false, "0660"],
    ["go-rwx", 0o755, false, "0700"],
    ["+t", 0o777, true, "1777"],
    ["u+s", 0o755, false, "4755"],
    ["u=rw,g=r,o=r", 0o4755, false, "0644"],
  ] as const)("applySymbolic(%s, %s, dir=%s) = %s", (spec, cur, dir, want) => {
    expect(normMode(applySymbolic(spec, cur, dir))).toBe(want);
  });
});

describe("schemas", () => {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  it.each(MODS.map((m) => [m.name, m] as const))("%s: object, closed, every property described", (_n, m) => {
    expect(m.args.type).toBe("object");
    expect(m.args.additionalProperties).toBe(false);
    for (const [k, p] of Object.entries(m.args.properties as Record<string, { description?: string }>)) {
      expect(p.description, k).toBeTruthy();
    }
    expect(() => ajv.compile(m.args)).not.toThrow();
  });

  it("accepts Ansible-style args and rejects wrong ones", () => {
    const v = (m: (typeof MODS)[number], a: unknown) => ajv.validate(m.args, a);
    expect(v(fileMod, { path: "/x", state: "directory", mode: "0755", recurse: true })).toBe(true);
    expect(v(fileMod, { name: "/x", state: "link", src: "/y" })).toBe(true);
    expect(v(fileMod, { state: "directory" })).toBe(false);
    // Ansible's states only (hard is one: the hard_*.yml fixtures)
    expect(v(fileMod, { path: "/x", state: "hardlink" })).toBe(false);
    expect(v(fileMod, { path: "/x", moed: "0644" })).toBe(false);
    expect(v(copyMod, { dest: "/x", content: "a" })).toBe(true);
    expect(v(copyMod, { dest: "/x" })).toBe(false);
    expect(v(copyMod, { dest: "/x", content: "a", validate: "visudo -c" })).toBe(false);
    expect(v(templateMod, { src: "a.hbs", dest: "/x" })).toBe(true);
    expect(v(lineMod, { path: "/x", line: "a", insertafter: "EOF", insertbefore: "BOF" })).toBe(false);
    expect(v(lineMod, { path: "/x", regexp: "a", search_string: "a", line: "a" })).toBe(false);
    expect(v(blockMod, { path: "/x", block: "a", marker: "# {mark}" })).toBe(true);
  });
});

describe("requests that cannot be met fail in diff (so check mode reports them too)", () => {
  const absent: FileStat = { path: "/etc/x", type: "absent", parentExists: true };
  const owned = { uid: 0, gid: 0, owner: "root", group: "root" };
  const file: FileStat = { path: "/etc/x", type: "file", mode: "0644", size: 2, ...owned, parentExists: true, sha256: "00", content: "a\n" };
  const dir: FileStat = { path: "/etc/x", type: "directory", mode: "0755", size: 4096, ...owned, parentExists: true };
  it.each([
    ["file state=file on a missing path", () => fileMod.diff(absent, { path: "/etc/x", state: "file" }, BASE_FACTS), /cannot continue/],
    ["file state=directory over a file", () => fileMod.diff(file, { path: "/etc/x", state: "directory" }, BASE_FACTS), /not a directory/],
    [
      "file state=link over a file without force",
      () => fileMod.diff({ ...file, srcExists: true }, { path: "/etc/x", state: "link", src: "/y" }, BASE_FACTS),
      /force: true/,
    ],
    [
      "file state=link to a missing target",
      () => fileMod.diff({ ...absent, srcExists: false }, { path: "/etc/x", state: "link", src: "/y" }, BASE_FACTS),
      /does not exist/,
    ],
    ["copy content onto a directory", () => copyMod.diff(dir, { dest: "/etc/x", content: "a" }, BASE_FACTS), /is a directory/],
    ["copy into a missing directory", () => copyMod.diff({ ...absent, parentExists: false }, { dest: "/etc/x", content: "a" }, BASE_FACTS), /does not exist/],
    ["lineinfile on a missing file without create", () => lineMod.diff(absent, { path: "/etc/x", line: "a" }, BASE_FACTS), /create: true/],
    ["lineinfile on a directory", () => lineMod.diff(dir, { path: "/etc/x", line: "a" }, BASE_FACTS), /is a directory/],
    ["blockinfile on a missing file without create", () => blockMod.diff(absent, { path: "/etc/x", block: "a" }, BASE_FACTS), /create: true/],
  ])("%s", (_n, f, re) => {
    expect(f).toThrow(ModuleError);
    expect(f).toThrow(re);
  });

  it("bad argument combinations are input errors with a hint", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => fileMod.validate!({ path: "/x", state: "link" }), /needs src/],
      [() => fileMod.validate!({ path: "/x", state: "file", recurse: true }), /recurse needs state: directory/],
      [() => lineMod.validate!({ path: "/x", regexp: "(", line: "a" }), /invalid regular expression in regexp/],
      [() => lineMod.validate!({ path: "/x", line: "a", backrefs: true }), /backrefs needs regexp/],
      [() => lineMod.validate!({ path: "/x" }), /line is required/],
      [() => fileMod.validate!({ path: "/x", mode: "rw" }), /invalid mode/],
    ];
    for (const [f, re] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toMatch(re);
      expect((err as InputError).hint).toBeTruthy();
    }
  });
});

describe("text edits", () => {
  it("Python regex syntax", () => {
    expect(pyRegex("(?i)^port", "regexp").test("PORT 22")).toBe(true);
    const m = pyRegex("^(?P<k>\\w+)=(?P=k)$", "regexp").exec("a=a");
    expect(m?.groups?.k).toBe("a");
  });

  it("lineinfile: firstmatch, insertbefore regex, search_string, CRLF lines", () => {
    const text = "a=1\nb=2\na=3\n";
    expect(presentLine(text, { line: "a=9", regexp: "^a=", firstmatch: true }).text).toBe("a=9\nb=2\na=3\n");
    expect(presentLine(text, { line: "a=9", regexp: "^a=" }).text).toBe("a=1\nb=2\na=9\n");
    expect(presentLine(text, { line: "c=0", insertbefore: "^b=" })).toEqual({ text: "a=1\nc=0\nb=2\na=3\n", msg: "line 'c=0' added before 'b=2'" });
    expect(presentLine(text, { line: "c=0", insertafter: "^zzz" }).text).toBe("a=1\nb=2\na=3\nc=0\n");
    expect(presentLine(text, { line: "b=5", search_string: "b=" }).text).toBe("a=1\nb=5\na=3\n");
    expect(presentLine("x\r\ny\r\n", { line: "y" }).text).toBe("x\r\ny\r\n");
    expect(removeLines(text, { line: "b=2" })).toEqual({ text: "a=1\na=3\n", msg: "line 'b=2' removed" });
  });

  it("lineinfile: inserting after an anchor twice is idempotent", () => {
    const once = presentLine("[main]\nx=1\n", { line: "y=2", insertafter: "^\\[main\\]" }).text;
    expect(once).toBe("[main]\ny=2\nx=1\n");
    expect(presentLine(once, { line: "y=2", insertafter: "^\\[main\\]" })).toEqual({ text: once, msg: "" });
  });

  it("blockinfile: reversed markers, empty block removes, insertbefore regex, block lines always end in a newline", () => {
    const rev = "x\n# END ANSIBLE MANAGED BLOCK\nold\n# BEGIN ANSIBLE MANAGED BLOCK\ny\n";
    expect(editBlock(rev, { block: "new" }).text).toBe("x\n# BEGIN ANSIBLE MANAGED BLOCK\nnew\n# END ANSIBLE MANAGED BLOCK\ny\n");
    expect(editBlock("a\n# BEGIN ANSIBLE MANAGED BLOCK\nq\n# END ANSIBLE MANAGED BLOCK\n", { block: "" }).text).toBe("a\n");
    expect(editBlock("a\nb\nb\n", { block: "z", insertbefore: "^b" }).text).toBe("a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\nb\n");
    // as Ansible (splitlines(True)): the line before the block gets a newline, every block line ends in one
    expect(editBlock("a", { block: "z" }).text).toBe("a\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\n");
    // a last line after the block keeps its missing newline
    expect(editBlock("a", { block: "z", insertbefore: "BOF" }).text).toBe("# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\na");
    expect(editBlock("a\n", { block: "z", insertbefore: "BOF" }).msg).toBe("block '# BEGIN ANSIBLE MANAGED BLOCK' added at the beginning of the file (1 line)");
  });
});

describe("values that become one line of the file refuse line breaks (issue 10 #2)", () => {
  it.each([
    [() => lineMod.validate!({ path: "/x", line: "a\nb" }), /'line' contains a newline/],
    [() => lineMod.validate!({ path: "/x", value: "a\rb" }), /'value' contains a carriage return/],
    [() => blockMod.validate!({ path: "/x", block: "ok\nmany lines", marker: "# {mark}\nPermitRootLogin yes" }), /'marker' contains a newline/],
    [() => blockMod.validate!({ path: "/x", block: "a", marker_begin: "B\0" }), /'marker_begin' contains a NUL byte/],
  ])("%#", (f, re) => expect(f).toThrow(re));
  it("a backrefs template that expands to a line break is refused in diff, before any write", () => {
    const st: FileStat = {
      path: "/x",
      type: "file",
      mode: "0644",
      size: 4,
      uid: 0,
      gid: 0,
      owner: "root",
      group: "root",
      parentExists: true,
      content: "a=1\n",
    };
    expect(() => lineMod.diff(st, { path: "/x", regexp: "^a=(.*)$", line: "a=\\1\\nPermitRootLogin yes", backrefs: true }, BASE_FACTS)).toThrow(
      /line break after backrefs/,
    );
  });
});
