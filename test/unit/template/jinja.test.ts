// Jinja templates against ansible-core: cases.json holds templates, variables and the output of
// ansible-core 2.14's Templar (AnsibleEnvironment, as the template module uses it), recorded by
// test/unit/template/jinja/record.py. keel must render each one byte for byte.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { renderString, renderText } from "../../../engine/template/index.js";

const dir = join(import.meta.dirname, "jinja");
const cases = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8")) as {
  name: string;
  template: string;
  vars: Record<string, unknown>;
  expected: string;
}[];

describe("Jinja templates render as ansible-core's template module", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const got = renderText(c.template, { ansible_managed: "Ansible managed", ...c.vars }, join(dir, "t.j2"), { searchPath: [dir] });
    expect(JSON.stringify(got)).toBe(JSON.stringify(c.expected));
  });
});

describe("Jinja template errors", () => {
  const err = (tpl: string, vars: Record<string, unknown> = {}): InputError => {
    try {
      renderText(tpl, vars, "/r/templates/t.j2", { searchPath: [dir] });
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return e as InputError;
    }
    throw new Error("no error");
  };
  it("an undefined variable names the file, line and column", () => {
    const e = err("a\nb {{ nope }}\n");
    expect(e.pos).toEqual({ file: "/r/templates/t.j2", line: 2, col: 6 });
    expect(e.message).toMatch(/undefined variable 'nope'/);
  });
  it("an undefined variable inside a loop in an included file names that file", () => {
    const e = err("{% include 'inc/item.j2' %}");
    expect(e.pos).toMatchObject({ file: join(dir, "inc/item.j2"), line: 1 });
  });
  it("an unclosed block names where it opened", () => {
    const e = err("a\n\n{% for x in y %}\nz\n");
    expect(e.pos).toMatchObject({ line: 3, col: 1 });
    expect(e.message).toMatch(/'\{% for %\}' is not closed/);
    expect(e.hint).toMatch(/endfor/);
  });
  it("a stray end tag", () => {
    expect(err("{% if a %}{% endfor %}").message).toMatch(/unexpected '\{% endfor %\}' inside '\{% if %\}'/);
  });
  it("an unknown filter, at its line", () => {
    const e = err("x\n{{ v | nosuch }}\n", { v: 1 });
    expect(e.pos?.line).toBe(2);
    expect(e.message).toMatch(/unknown filter 'nosuch'/);
  });
  it("a header line counts as line 1", () => {
    expect(err("#jinja2: lstrip_blocks: True\nok\n{{ nope }}\n").pos?.line).toBe(3);
  });
  it("an unclosed tag", () => {
    expect(err("a {{ b\n").message).toMatch(/not closed/);
  });
  it("a missing include names where it looked", () => {
    expect(err("{% include 'none.j2' %}").message).toMatch(/template 'none.j2' not found \(looked in /);
  });
  it("set on an attribute of something that is not a namespace", () => {
    expect(err("{% set d = {} %}{% set d.x = 1 %}").message).toMatch(/non-namespace/);
  });
  it("a loop control of an extension Ansible does not enable is refused with a hint", () => {
    expect(err("{% for x in [1] %}{% break %}{% endfor %}").hint).toMatch(/loopcontrols/);
  });
  it("extends of a template that does not exist", () => {
    expect(err("{% extends 'nothere.j2' %}").message).toMatch(/template 'nothere.j2' not found/);
  });
});

describe("playbook values with Jinja statements render as Ansible's templating of values", () => {
  const where = { file: "site.yml", line: 3, col: 5 };
  // expected: ansible-core 2.14 Templar.template() of the same text with xs = [1, 2]
  it.each([
    ["x = 1\n{% if true %}y = 2{% endif %}\n", "x = 1\ny = 2\n"],
    ["{\n{% for s in xs %}\n  {{ s }}\n{% endfor %}\n}\n", "{\n  1\n  2\n}\n"],
    ["a {% for x in xs %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", "a 1,2"],
    ["{% macro m(a) %}<{{ a }}>{% endmacro %}{{ m(1) }}\n", "<1>\n"],
    ["{% set p = 'a\\d' %}{{ p | regex_replace('\\\\d', 'X') }}|{{ 'b\\d' | regex_replace('\\d', 'Y') }}", "aX|b\\d"],
  ])("%j", (tpl, want) => {
    expect(renderString(tpl, { xs: [1, 2] }, where)).toBe(want);
  });
  it("an undefined variable in a value names the value's line", () => {
    expect(() => renderString("a\n{% for x in xs %}{{ nope }}{% endfor %}", { xs: [1] }, where)).toThrow(/undefined variable 'nope'/);
  });
});
