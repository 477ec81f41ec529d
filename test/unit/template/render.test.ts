// renderString / renderValue / renderText, and the variable precedence table.
import { describe, it, expect } from "vitest";
import { renderString, renderValue, renderText, layerVars, VAR_PRECEDENCE, type VarLayers } from "../../../engine/template/index.js";
import { InputError } from "../../../engine/core/errors.js";

const where = { file: "site.yml", line: 12, col: 15 };
const VARS = {
  pkg: "nginx",
  port: 8080,
  pkgs: ["a", "b"],
  item: { name: "alice", groups: ["sudo"] },
  facts: { os_id: "debian" },
  on: true,
  empty: "",
};

describe("renderString", () => {
  const cases: [string, unknown][] = [
    ["plain text", "plain text"],
    ["{{ pkg }}", "nginx"],
    ["{{pkg}}", "nginx"],
    ["{{ port }}", 8080],
    ["{{ pkgs }}", ["a", "b"]],
    ["{{ on }}", true],
    ["{{ item.name }}", "alice"],
    ["{{ facts.os_id }}", "debian"],
    ["user {{ item.name }} on {{ facts.os_id }}", "user alice on debian"],
    ["{{ missing | default('x') }}", "x"],
    ["v={{ missing | default('x') }}", "v=x"],
    ["{{ pkg ~ '-' ~ port }}", "nginx-8080"],
    ["{{ item.groups | join(',') }}", "sudo"],
    ["{{ port == 8080 }}", true],
    ["{{ pkgs | length }}", 2],
    ["n={{ pkgs | length }}", "n=2"],
    ["{{ item.groups[0] }}", "sudo"],
    ["{{ pkgs.1 }}", "b"],
    ["{{#if on}}yes{{else}}no{{/if}}", "yes"],
    ["{{#each pkgs}}[{{this}}]{{/each}}", "[a][b]"],
    ["{{ empty | default('d', true) }}", "d"],
  ];
  it.each(cases)("%s", (tpl, want) => expect(renderString(tpl, VARS, where)).toEqual(want));

  it("returns plain strings untouched (same value)", () => {
    const s = "no templates here";
    expect(renderString(s, VARS, where)).toBe(s);
  });

  const bad: [string, string, RegExp?][] = [
    ["{{ nope }}", "undefined variable 'nope' in '{{ nope }}'"],
    ["hello {{ nope }}", "undefined variable 'nope' in 'hello {{ nope }}'"],
    ["{{ item.surname }}", "undefined variable 'item.surname' in '{{ item.surname }}'"],
    ["x {{ item.surname }}", "undefined variable 'item.surname' in 'x {{ item.surname }}'"],
    ["x {{ nope | upper }}", "undefined variable 'nope' in 'x {{ nope | upper }}'"],
    ["{{ pkg | nosuch }}", "", /unknown filter 'nosuch'/],
    ["{% if x %}y{% endif %}", "", /Jinja statements/],
    ["{{#if on}}unclosed", "", /template syntax error/],
  ];
  it.each(bad)("%s fails", (tpl, msg, re) => {
    try {
      renderString(tpl, VARS, where);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      if (msg) expect((e as InputError).message).toBe(msg);
      if (re) expect((e as InputError).message).toMatch(re);
      expect((e as InputError).pos).toEqual(where);
    }
  });

  it("names the line within a multi-line value", () => {
    expect(() => renderString("a\nb {{ nope }}\n", VARS, where)).toThrow(/line 2 of the value/);
  });
});

describe("renderValue", () => {
  it("renders deeply and keeps native values", () => {
    const v = { name: "{{ pkg }}", list: ["{{ port }}", "x-{{ port }}"], n: 3, nested: { on: "{{ on }}" } };
    expect(renderValue(v, VARS, where)).toEqual({ name: "nginx", list: [8080, "x-8080"], n: 3, nested: { on: true } });
    expect(v.name).toBe("{{ pkg }}");
  });
});

describe("renderText", () => {
  it("renders a template file with blocks and filters", () => {
    const tpl = "# managed\n{{#each pkgs}}\npkg {{this}}\n{{/each}}\nport={{ port }}\nos={{ facts.os_id | upper }}\n";
    expect(renderText(tpl, VARS, "templates/x.conf.hbs")).toBe("# managed\npkg a\npkg b\nport=8080\nos=DEBIAN\n");
  });
  it("an undefined variable names the file, line and column", () => {
    const tpl = "line one\nport={{ port }}\nhost={{ host.name }}\n";
    try {
      renderText(tpl, VARS, "templates/app.conf");
      expect.unreachable();
    } catch (e) {
      const err = e as InputError;
      expect(err.message).toBe("undefined variable 'host.name' in template");
      expect(err.pos).toEqual({ file: "templates/app.conf", line: 3, col: 9 });
      expect(err.format()).toContain("host={{ host.name }}");
    }
  });
  it("an undefined variable inside an expression names its line", () => {
    try {
      renderText("a\n\nv={{ nope | lower }}\n", VARS, "t.j2");
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).pos).toEqual({ file: "t.j2", line: 3, col: 6 });
      expect((e as InputError).message).toBe("undefined variable 'nope' in template");
    }
  });
  it("expression bodies inside #each see the item", () => {
    expect(renderText("{{#each users}}{{ name | upper }};{{/each}}", { users: [{ name: "a" }, { name: "b" }] }, "t")).toBe("A;B;");
  });
});

describe("layerVars precedence", () => {
  // Each row: the layers that define `x`; the expected winner is the highest layer present.
  const rows: [(keyof VarLayers)[], keyof VarLayers][] = [
    [["roleDefaults", "inventory"], "inventory"],
    [["inventory", "playVars"], "playVars"],
    [["playVars", "varsFiles"], "varsFiles"],
    [["varsFiles", "roleVars"], "roleVars"],
    [["roleVars", "blockVars"], "blockVars"],
    [["blockVars", "taskVars"], "taskVars"],
    [["taskVars", "registered"], "registered"],
    [["registered", "extraVars"], "extraVars"],
    [["extraVars", "roleDefaults"], "extraVars"],
    [["roleDefaults"], "roleDefaults"],
    [[...VAR_PRECEDENCE], "extraVars"],
    [["inventory", "roleDefaults", "taskVars", "playVars"], "taskVars"],
  ];
  it.each(rows)("%j -> %s", (present, winner) => {
    const layers: VarLayers = {};
    for (const l of present) layers[l] = { x: l, [`only_${l}`]: true };
    const vars = layerVars(layers);
    expect(vars.x).toBe(winner);
    for (const l of present) expect(vars[`only_${l}`]).toBe(true);
  });
  it("replaces mappings whole (no deep merge)", () => {
    expect(layerVars({ playVars: { m: { a: 1, b: 2 } }, taskVars: { m: { a: 9 } } }).m).toEqual({ a: 9 });
  });
});
