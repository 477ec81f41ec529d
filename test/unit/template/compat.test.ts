// Ansible language pieces real roles use: password_hash checked against the system's crypt(3),
// lookups (and the with_<lookup> loops the loader builds on them), json_query, Jinja's test forms.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate, renderString, withLookupContext } from "../../../engine/template/index.js";
import { shaCrypt } from "../../../engine/template/crypt.js";

const pos = { file: "t.yml", line: 1, col: 1 };
const ev = (text: string, vars: Record<string, unknown> = {}) => evaluate({ text, pos }, vars);

/** The system's crypt(3) through Python's crypt module (glibc/libxcrypt). */
function systemCrypt(pw: string, setting: string): string {
  return execFileSync("python3", ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))", pw, setting], {
    encoding: "utf8",
  }).trim();
}

describe("password_hash is crypt(3)'s SHA-crypt", () => {
  const cases: [string, string, string, number | undefined][] = [
    ["sha512", "pw", "saltsalt", undefined],
    ["sha512", "correct horse battery staple", "abcdefghijklmnop", undefined],
    ["sha512", "", "x", undefined],
    ["sha512", "ünïcødé pässwörd that is longer than sixty-four bytes, to cover the repeat loops", "ab./Z9", 10000],
    ["sha256", "pw", "saltsalt", undefined],
    ["sha256", "another", "s0mes4lt", 7000],
  ];
  it.each(cases)("%s %j salt %s rounds %s", (algo, pw, salt, rounds) => {
    const mine = shaCrypt(algo as "sha256" | "sha512", pw, salt, rounds);
    const setting = `${algo === "sha512" ? "$6$" : "$5$"}${rounds ? `rounds=${rounds}$` : ""}${salt}`;
    expect(mine).toBe(systemCrypt(pw, setting));
  });
  it("as a filter: Ansible's output for a given salt; without one, the same hash every run", () => {
    expect(ev("'pw' | password_hash('sha512', 'saltsalt')")).toBe(
      "$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/",
    );
    const a = ev("'pw' | password_hash('sha512')") as string;
    expect(a).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$/);
    expect(ev("'pw' | password_hash('sha512')")).toBe(a);
    expect(systemCrypt("pw", a)).toBe(a);
  });
});

describe("Jinja test forms", () => {
  it.each([
    ["3 is not in [1, 2]", true],
    ["'a' is in 'abc'", true],
    ["x is sameas true", true],
    ["10 is divisibleby 5", true],
    ["'1.10' is version('1.9', '>')", true],
    ["'foo123' is search('\\\\d+')", true],
    ["'foo123' is match('\\\\d+')", false],
  ])("%s", (text, want) => expect(ev(text as string, { x: true })).toBe(want));
});

describe("filters", () => {
  it("json_query (JMESPath)", () => {
    expect(
      ev("d | json_query('users[?admin].name')", {
        d: {
          users: [
            { name: "a", admin: true },
            { name: "b", admin: false },
          ],
        },
      }),
    ).toEqual(["a"]);
  });
  it("subelements", () => {
    const u = [{ n: "a", keys: ["k1", "k2"] }, { n: "b" }];
    expect(ev("u | subelements('keys', skip_missing=True)", { u })).toEqual([
      [u[0], "k1"],
      [u[0], "k2"],
    ]);
    expect(() => ev("u | subelements('keys')", { u })).toThrow(/no key 'keys'/);
  });
});

describe("lookups", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-lookup-"));
  mkdirSync(join(dir, "files"));
  mkdirSync(join(dir, "vars"));
  mkdirSync(join(dir, "templates"));
  writeFileSync(join(dir, "files", "motd"), "hello\n\n");
  writeFileSync(join(dir, "files", "a.conf"), "");
  writeFileSync(join(dir, "files", "b.conf"), "");
  writeFileSync(join(dir, "vars", "Debian.yml"), "x: 1\n");
  writeFileSync(join(dir, "templates", "t.j2"), "port={{ port }}\n");
  const vars = (module = "copy") => withLookupContext({ port: 80, os: "Debian", HOME_X: "y" } as Record<string, unknown>, [dir], module);

  it("file, env, pipe, vars, template", () => {
    expect(ev("lookup('file', 'motd')", vars())).toBe("hello");
    process.env.KEEL_TEST_ENV = "v1";
    expect(ev("lookup('env', 'KEEL_TEST_ENV')", vars())).toBe("v1");
    expect(ev("lookup('env', 'KEEL_NO_SUCH_ENV')", vars())).toBe("");
    expect(ev("lookup('pipe', 'echo hi; echo there')", vars())).toBe("hi\nthere");
    expect(ev("lookup('vars', 'port')", vars())).toBe(80);
    expect(ev("lookup('template', 't.j2')", vars())).toBe("port=80\n");
    expect(() => ev("lookup('file', 'nope')", vars())).toThrow(/'nope' not found/);
  });
  it("first_found: in vars/ for include_vars, files/ otherwise; skip; lists and mappings", () => {
    expect(ev("lookup('first_found', ['RedHat.yml', os ~ '.yml'])", vars("include_vars"))).toBe(join(dir, "vars", "Debian.yml"));
    expect(ev("lookup('first_found', {'files': ['nope', 'motd']})", vars())).toBe(join(dir, "files", "motd"));
    expect(ev("query('first_found', ['nope'], skip=True)", vars())).toEqual([]);
    expect(() => ev("lookup('first_found', ['nope'])", vars())).toThrow(/none of the files was found/);
  });
  it("fileglob, sequence, nested, together, indexed_items, dict", () => {
    expect(ev("query('fileglob', '*.conf')", vars())).toEqual([join(dir, "files", "a.conf"), join(dir, "files", "b.conf")]);
    expect(ev("query('sequence', 'start=1 end=5 stride=2 format=web%02d')", vars())).toEqual(["web01", "web03", "web05"]);
    expect(ev("query('sequence', 'count=2')", vars())).toEqual(["1", "2"]);
    expect(ev("query('nested', ['a', 'b'], [1, 2])", vars())).toEqual([
      ["a", 1],
      ["a", 2],
      ["b", 1],
      ["b", 2],
    ]);
    expect(ev("query('together', ['a', 'b'], [1])", vars())).toEqual([
      ["a", 1],
      ["b", null],
    ]);
    expect(ev("query('indexed_items', ['a', 'b'])", vars())).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
    expect(ev("query('dict', {'k': 'v'})", vars())).toEqual([{ key: "k", value: "v" }]);
    expect(ev("lookup('items', ['a', 'b'])", vars())).toBe("a,b");
  });
  it("need a task's context", () => {
    expect(() => renderString("{{ lookup('file', 'motd') }}", {}, pos)).toThrow(/needs a task's context/);
  });
});
