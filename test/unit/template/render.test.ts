// renderString / renderValue / renderText, and the variable precedence table.
import { describe, it, expect } from "vitest";
import {
  renderString,
  renderValue,
  renderText,
  layerVars,
  markWrittenVars,
  isTrue,
  OMIT,
  literalText,
  checkTemplate,
  VAR_PRECEDENCE,
  type VarLayers,
} from "../../../engine/template/index.js";
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
    ["{% do x.append(1) %}", "", /'\{% do %\}' is not supported/],
    ["{% include 'x.j2' %}", "", /'\{% include %\}' is not supported in a value/],
    ["{% if on %}y", "", /'\{% if %\}' is not closed: add '\{% endif %\}'/],
    ["{% for x in pkgs %}y{% endif %}", "", /unexpected '\{% endif %\}' inside '\{% for %\}', which needs '\{% else %\}' or '\{% endfor %\}'/],
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
      expect(err.message).toBe("undefined variable 'host' in template");
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
    expect(renderText("{{#each users}}{{ name | upper }};{{/each}}", { users: [{ name: "a" }, { name: "b" }] }, "t.hbs")).toBe("A;B;");
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

describe("variables that hold templates are rendered when used (as Ansible does)", () => {
  const vars = layerVars({
    roleDefaults: { app_name: "myapp", base: "/opt" },
    inventory: { inventory_hostname: "web1" },
    playVars: {
      app_dir: "{{ base }}/{{ app_name }}",
      conf: "{{ app_dir }}/conf",
      motd: "Welcome to {{ inventory_hostname }}",
      ports: "{{ [80, 443] }}",
      users: [{ name: "{{ app_name }}-svc", home: "{{ app_dir }}" }],
      cfg: { dir: "{{ app_dir }}", plain: 1 },
      self_ref: "{{ self_ref }}-x",
      ping: "{{ pong }}",
      pong: "{{ ping }}",
      broken: "{{ nope }}/x",
      bad_filter: "{{ app_name | nosuch_filter_here }}",
      optional: "{{ maybe | default(omit) }}",
    },
    taskVars: { per_item: "/home/{{ item }}" },
    registered: { result: { changed: false, stdout: "a {{ literal }} b" }, fact: "{{ kept }}" },
  });
  const cases: [string, unknown][] = [
    ["{{ app_dir }}", "/opt/myapp"],
    ["{{ conf }}", "/opt/myapp/conf"],
    ["{{ conf }}/app.ini", "/opt/myapp/conf/app.ini"],
    ["{{ motd }}", "Welcome to web1"],
    ["{{ ports }}", [80, 443]],
    ["{{ ports | length }}", 2],
    ["{{ users[0].name }}", "myapp-svc"],
    ["{{ users[0].home }}", "/opt/myapp"],
    ["{{ cfg }}", { dir: "/opt/myapp", plain: 1 }],
    ["{{ cfg.dir | basename }}", "myapp"],
    ["{{ result.stdout }}", "a {{ literal }} b"],
    ["{{ fact }}", "{{ kept }}"],
    ["{{ broken | default('fallback') }}", "fallback"],
    ["{{ broken is defined }}", false],
  ];
  it.each(cases)("%s", (tpl, want) => expect(renderString(tpl, vars, where)).toEqual(want));

  it("in conditions and template files too", () => {
    expect(isTrue({ text: "conf == '/opt/myapp/conf'", pos: where }, vars)).toBe(true);
    expect(isTrue({ text: "app_dir is defined and ports | length > 1", pos: where }, vars)).toBe(true);
    expect(renderText("dir={{ app_dir }}\n{{#each users}}u={{ name }} h={{ home }}\n{{/each}}", vars, "t.hbs")).toBe(
      "dir=/opt/myapp\nu=myapp-svc h=/opt/myapp\n",
    );
  });

  it("a variable may use the loop item", () => {
    expect(renderString("{{ per_item }}", { ...vars, item: "alice" }, where)).toBe("/home/alice");
  });

  const bad: [string, string][] = [
    ["{{ broken }}", "undefined variable 'nope' (in the value of 'broken') in '{{ broken }}'"],
    ["x={{ broken }}", "undefined variable 'nope' (in the value of 'broken') in 'x={{ broken }}'"],
    ["{{ self_ref }}", "cannot evaluate `self_ref`: recursive loop: variable 'self_ref' refers to itself (self_ref -> self_ref)"],
    ["{{ ping }}", "cannot evaluate `ping`: recursive loop: variable 'ping' refers to itself (ping -> pong -> ping)"],
    ["{{ bad_filter }}", "cannot evaluate `bad_filter`: in the value of 'bad_filter': unknown filter 'nosuch_filter_here'"],
  ];
  it.each(bad)("%s fails clearly", (tpl, msg) => {
    try {
      renderString(tpl, vars, where);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toBe(msg);
      expect((e as InputError).pos).toEqual(where);
    }
  });

  it("names the chain of variables in an undefined-variable error", () => {
    const v = layerVars({ playVars: { a: "{{ b }}", b: "{{ c }}/x" } });
    expect(() => renderString("{{ a }}", v, where)).toThrow("undefined variable 'c' (in the value of 'b', used by 'a') in '{{ a }}'");
  });
});

describe("include_vars variables live in the registered store but are templated when read (Ansible)", () => {
  // geerlingguy.apache: vars/Debian.yml holds `line: "Listen {{ apache_listen_port }}"`, read through a loop
  it("renders the vars file's templates, and stops once a register or set_fact replaces the name", () => {
    const registered: Record<string, unknown> = {
      apache_ports_configuration_items: [{ regexp: "^Listen ", line: "Listen {{ apache_listen_port }}" }],
      include_scalar: "{{ apache_listen_port }}/tcp",
      out: { stdout: "{{ not_me }}" },
    };
    markWrittenVars(registered, ["apache_ports_configuration_items", "include_scalar"], true);
    const vars = () => layerVars({ roleDefaults: { apache_listen_port: 80 }, registered });
    expect(renderValue("{{ apache_ports_configuration_items[0].line }}", vars(), where)).toBe("Listen 80");
    expect(renderValue("{{ include_scalar }}", vars(), where)).toBe("80/tcp");
    expect(renderValue("{{ out.stdout }}", vars(), where)).toBe("{{ not_me }}");
    // a later register of the same name holds a task's output: never templated
    registered.include_scalar = "{{ apache_listen_port }} from a command";
    expect(renderValue("{{ include_scalar }}", vars(), where)).toBe("{{ apache_listen_port }} from a command");
    // set_fact replaces the list with a computed one (the runner unmarks the name): taken as it is
    registered.apache_ports_configuration_items = [{ line: "Listen {{ apache_listen_port }}" }];
    markWrittenVars(registered, ["apache_ports_configuration_items"], false);
    expect(renderValue("{{ apache_ports_configuration_items[0].line }}", vars(), where)).toBe("Listen {{ apache_listen_port }}");
  });
});

describe("omit", () => {
  const vars = layerVars({ playVars: { shell: "/bin/zsh" } });
  it("an entry whose value is exactly omit is removed", () => {
    const args = { name: "{{ user }}", shell: "{{ item.shell | default(omit) }}", uid: "{{ item.uid | default(omit) }}", nested: { a: "{{ omit }}", b: 1 } };
    expect(renderValue(args, { ...vars, user: "alice", item: { uid: 1001 } }, where)).toEqual({ name: "alice", uid: 1001, nested: { b: 1 } });
    expect(renderValue({ shell: "{{ shell | default(omit) }}" }, vars, where)).toEqual({ shell: "/bin/zsh" });
  });
  it("is a defined variable", () => {
    expect(isTrue({ text: "omit is defined", pos: where }, {})).toBe(true);
    expect(renderString("{{ omit }}", {}, where)).toBe(OMIT);
  });
  it("a variable named omit is the user's", () => {
    expect(renderValue({ x: "{{ omit }}" }, { omit: "mine" }, where)).toEqual({ x: "mine" });
  });
});

describe("lazy variables in template files", () => {
  const vars = layerVars({ playVars: { users: [{ name: "{{ nope }}" }], ok: "1" } });
  it("a block parameter whose template fails names the variable and its line", () => {
    try {
      renderText("a={{ ok }}\n{{#each users}}\n{{ name }}\n{{/each}}\n", vars, "t.hbs");
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).message).toBe("undefined variable 'nope' (in the value of 'users') in template");
      expect((e as InputError).pos!.line).toBe(2);
    }
  });
});

describe("vars: Ansible's mapping of every variable", () => {
  const vars = layerVars({ playVars: { pkg_web: "nginx", which: "web", dir: "/srv/{{ which }}" } });
  it("reads a variable by a computed name, rendered when it holds a template, as ansible-playbook 2.14 does", () => {
    expect(renderString("{{ vars['pkg_' + which] }}", vars, where)).toBe("nginx");
    expect(renderString("{{ vars.dir }}", vars, where)).toBe("/srv/web");
    expect(isTrue({ text: "'pkg_web' in vars", pos: where }, vars)).toBe(true);
    expect(renderString("{{ vars['nope'] | default('d') }}", vars, where)).toBe("d");
    expect(renderText("{{ vars['pkg_web'] }}", vars, "t.j2")).toBe("nginx");
  });
  it("a variable named vars is that variable", () => {
    expect(renderString("{{ vars }}", layerVars({ playVars: { vars: "mine" } }), where)).toBe("mine");
  });
});

describe("text that is not a template", () => {
  it("{% raw %} blocks and literalText (for !unsafe) render as written", () => {
    expect(renderString("a {% raw %}{{ x }} {% if %}{% endraw %} {{ pkg }}", VARS, where)).toBe("a {{ x }} {% if %} nginx");
    expect(renderString(literalText("{{ .Names }} {% x %} {# c #}"), VARS, where)).toBe("{{ .Names }} {% x %} {# c #}");
    expect(renderText("l1\n{% raw %}{{ x }}\n{% endraw %}\n{{ pkg }}\n", VARS, "t")).toBe("l1\n{{ x }}\nnginx\n"); // as ansible-core 2.14: trim_blocks eats the newline after endraw
  });
  it("checkTemplate reads braces inside expressions", () => {
    expect(renderString("{{ {'a': {'b': 1}} | to_json }}", VARS, where)).toBe('{"a": {"b": 1}}');
    expect(() => checkTemplate("x {{ {'a': {'b': 1}} | combine({'c': 2}) }} y", where)).not.toThrow();
    expect(() => checkTemplate("{{ x | nope }}", where)).toThrow(/unknown filter 'nope'/);
  });
});

describe("Jinja statements in templates (rendered as Ansible's template module renders them)", () => {
  // The expected text is what ansible-core 2.14's template module wrote for the same template.
  const tpl = [
    "# {{ ansible_managed }}",
    "{% if app_debug | bool %}",
    "debug = true",
    "{% else %}",
    "debug = false",
    "{% endif %}",
    "{# a comment #}",
    "{% for u in users %}",
    "user{{ loop.index }} = {{ u.name }}{% if not loop.last %},{% endif %}",
    "",
    "{% endfor %}",
    "{% for k, v in settings.items() %}",
    "{{ k }}={{ v }}",
    "{% endfor %}",
    "{% for p in ports if p > 100 %}",
    "port {{ p }}{{ ' (first)' if loop.first else '' }}",
    "{% else %}",
    "no ports",
    "{% endfor %}",
    "  {% if indented %}",
    "  indented line",
    "  {% endif %}",
    "{%- if trim %}",
    "trimmed",
    "{%- endif %}",
    "{% set total = ports | sum %}",
    "total={{ total }}",
    "{% for x in [] %}",
    "never",
    "{% else %}",
    "empty loop",
    "{% endfor %}",
    "{% if a == 1 %}one{% elif a == 2 %}two{% else %}other{% endif %}",
    "", // trim_blocks takes the newline right after a statement
    "end",
    "",
  ].join("\n");
  const vars = {
    app_debug: "no",
    users: [{ name: "alice" }, { name: "bob" }],
    settings: { b: 2, a: 1 },
    ports: [80, 443, 8443],
    indented: true,
    trim: true,
    a: 2,
  };
  it("renders like Ansible", () => {
    expect(renderText(tpl, vars, "app.conf.j2")).toBe(
      [
        "# Ansible managed",
        "debug = false",
        "user1 = alice,",
        "user2 = bob",
        "b=2",
        "a=1",
        "port 443 (first)",
        "port 8443",
        "    indented line",
        "  trimmedtotal=8966",
        "empty loop",
        "two",
        "end",
        "",
      ].join("\n"),
    );
  });
  it("nested loops see the outer loop variable; errors name the template line", () => {
    expect(
      renderString(
        "{% for g in groups %}{% for h in g.hosts %}{{ g.name }}:{{ h }} {% endfor %}{% endfor %}",
        {
          groups: [
            { name: "web", hosts: ["a", "b"] },
            { name: "db", hosts: ["c"] },
          ],
        },
        where,
      ),
    ).toBe("web:a web:b db:c ");
    try {
      renderText("a\n{% for u in users %}\n{{ u.nme }}\n{% endfor %}\n", vars, "t.j2");
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).message).toBe("undefined variable 'u.nme' in template");
      expect((e as InputError).pos).toEqual({ file: "t.j2", line: 3, col: 4 });
    }
  });
});
