// The playbook loader on fixture playbooks (test/fixtures/playbooks) and small inline cases.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { InputError } from "../../../engine/core/errors.js";
import type { Plan, Task, Block, TaskNode } from "../../../engine/core/plan.js";
import { testRegistry } from "./test-registry.js";

const FIX = join(import.meta.dirname, "../../fixtures/playbooks");
const load = (f: string) => loadPlaybook(f, { registry: testRegistry });

function find(nodes: TaskNode[], name: string): TaskNode {
  for (const n of nodes) {
    if (n.name === name) return n;
    if (n.kind === "block") {
      for (const sub of [n.block, n.rescue, n.always]) {
        try {
          return find(sub, name);
        } catch {
          /* keep looking */
        }
      }
    }
  }
  throw new Error(`no task named ${name}`);
}

describe("full fixture", () => {
  let plan: Plan;
  beforeAll(() => {
    plan = load(join(FIX, "full/site.yml"));
  });
  const t = (name: string) => find(plan.plays[0]!.tasks, name) as Task;

  it("reads play keywords", () => {
    const p = plan.plays[0]!;
    expect(p).toMatchObject({
      id: "p0",
      name: "web servers",
      hosts: "web:db:&prod",
      become: true,
      becomeUser: "root",
      gatherFacts: false,
      serial: [1, "30%"],
      strategy: "linear",
      checkMode: false,
      tags: ["site"],
      vars: { port: 8080, pkgs: ["nginx", "curl"] },
      varsFiles: { port: 8080, common_var: "c" },
    });
    expect(p.pos).toEqual({ file: join(FIX, "full/site.yml"), line: 2, col: 3 });
    expect(plan.file).toBe(join(FIX, "full/site.yml"));
  });

  it("orders pre_tasks, roles (dependencies first), tasks, post_tasks with stable ids", () => {
    const names = plan.plays[0]!.tasks.map((n) => `${n.id} ${n.name ?? ""}`);
    expect(names).toEqual([
      "p0.t0 pre",
      "p0.t1 base task",
      "p0.t2 web config",
      // the role's include_tasks: sub.yml is a dynamic include, one block decided per host
      "p0.t3 ",
      "p0.t4 common task",
      "p0.t5 install packages",
      "p0.t6 copy a file",
      "p0.t7 guarded block",
      "p0.t8 extra one",
      "p0.t9 extra two",
      "p0.t10 retry",
      "p0.t11 users",
      "p0.t12 post",
    ]);
  });

  it("parses key=value args with coercion and resolves aliases", () => {
    const x = t("install packages");
    expect(x.module).toBe("packages.package");
    expect(x.moduleAs).toBe("apt");
    expect(x.args).toEqual({ name: "{{ item }}", state: "present", update_cache: true });
    expect(x.loop).toBe("{{ pkgs }}");
    expect(x.loopVar).toBe("pkg");
    expect(x.loopLabel).toBe("{{ pkg }}");
    expect(x.notify).toEqual(["restart web"]);
    // argPos points at each word inside the scalar
    expect(x.argPos.state).toMatchObject({ line: 29, col: 28 });
    expect(x.argsPos).toMatchObject({ line: 29, col: 7 });
  });

  it("mapping args, ansible.builtin prefix, when list, register, tags", () => {
    const x = t("copy a file");
    expect(x.module).toBe("files.copy");
    expect(x.moduleAs).toBe("ansible.builtin.copy");
    expect(x.args).toEqual({ dest: "/etc/motd", content: "port {{ port }}\n", mode: 644 });
    expect(x.when.map((w) => w.text)).toEqual(["port == 8080", "{{ pkgs | length > 1 }}"]);
    expect(x.when[0]!.pos).toMatchObject({ line: 41, col: 11 });
    expect(x.register).toBe("motd");
    expect(x.tags).toEqual(["site", "motd", "files"]);
    expect(x.argPos.mode).toMatchObject({ line: 39, col: 9 });
  });

  it("blocks: ids, inheritance of when/become, rescue and always, meta", () => {
    const b = t("guarded block") as unknown as Block;
    expect(b.kind).toBe("block");
    expect(b.vars).toEqual({ inner: 1 });
    expect(b.become).toBe(false);
    const inBlock = b.block[0] as Task;
    expect(inBlock.id).toBe("p0.t7.b0");
    expect(inBlock.module).toBe("system.shell");
    expect(inBlock.args).toEqual({ executable: "/bin/sh", cmd: 'echo "{{ inner }}" > /tmp/x', creates: "/tmp/x", chdir: "/tmp" });
    expect(inBlock.when.map((w) => w.text)).toEqual(["motd is changed"]);
    expect(inBlock.become).toBe(false);
    const nested = b.block[1] as Block;
    expect(nested.block[0]!.id).toBe("p0.t7.b1.b0");
    expect((nested.block[0] as Task).ignoreErrors).toBe(true);
    expect(b.rescue[0]!.id).toBe("p0.t7.r0");
    expect(b.always[0]).toMatchObject({ id: "p0.t7.a0", module: "meta", args: { action: "flush_handlers" } });
  });

  it("static includes carry when, tags and vars, nested and relative", () => {
    const one = t("extra one");
    expect(one.when.map((w) => w.text)).toEqual(["port == 8080"]);
    expect(one.tags).toEqual(["site", "extra"]);
    expect(one.vars).toEqual({ from_include: true });
    expect(one.pos.file).toBe(join(FIX, "full/tasks/extra.yml"));
    const two = t("extra two");
    expect(two.tags).toEqual(["site", "extra", "deep"]);
    expect(two.pos).toEqual({ file: join(FIX, "full/tasks/extra2.yml"), line: 1, col: 3 });
  });

  it("until/retries/delay, changed_when/failed_when, no_log", () => {
    const r = t("retry");
    expect(r.until?.text).toBe("r.rc == 0");
    expect(r.retries).toBe(5);
    expect(r.delay).toBe(2);
    expect(r.changedWhen?.map((e) => e.text)).toEqual(["False"]);
    expect(r.failedWhen?.map((e) => e.text)).toEqual(["r.rc > 1"]);
    expect(r.noLog).toBe(true);
  });

  it("with_items is loop; templated args skip type checks at load; lists from a,b", () => {
    const u = t("users");
    expect(u.loop).toEqual([{ name: "alice", uid: 1001 }]);
    expect(u.args).toEqual({ name: "{{ item.name }}", uid: "{{ item.uid }}", groups: ["sudo", "adm"] });
  });

  it("roles: RoleRef with defaults, vars and params; searchDirs; role when/tags", () => {
    const web = t("web config");
    expect(web.role?.name).toBe("web");
    expect(web.role?.defaults).toEqual({ web_port: 80, port: 1 });
    expect(web.role?.vars).toEqual({ web_root: "/srv/www" });
    expect(web.searchDirs).toEqual([join(FIX, "full/roles/web"), join(FIX, "full")]);
    const common = t("common task");
    expect(common.role?.vars).toEqual({ greeting: "hi", motd: "hello" });
    expect(common.when.map((w) => w.text)).toEqual(["port > 80"]);
    expect(common.tags).toEqual(["site", "common", "inner"]);
    expect(t("base task").role?.name).toBe("base");
  });

  it("handlers: role handlers first, listen, ids", () => {
    const h = plan.plays[0]!.handlers;
    expect(h.map((x) => `${x.id} ${x.name}`)).toEqual(["p0.h0 restart nginx from role", "p0.h1 restart web", "p0.h2 reload things"]);
    expect(h[0]!.role?.name).toBe("web");
    expect(h[2]!.listen).toEqual(["reload", "restart web"]);
  });

  it("import_playbook adds plays with vars and tags", () => {
    const p = plan.plays[1]!;
    expect(p.id).toBe("p1");
    expect(p.hosts).toBe("all");
    expect(p.vars).toEqual({ imported: true });
    expect(p.tags).toEqual(["other"]);
    expect(p.tasks[0]!.tags).toEqual(["other"]);
    expect(p.strategy).toBe("free");
    expect(p.gatherFacts).toBe(true);
  });
});

describe("ansible playbook loads unchanged", () => {
  it("ansible.builtin.*, yes/no, free-form command with options", () => {
    const plan = load(join(FIX, "ansible/site.yml"));
    const [apt, tpl, cmd, lif] = plan.plays[0]!.tasks as Task[];
    expect(plan.plays[0]!.become).toBe(true);
    expect(apt!.module).toBe("packages.package");
    expect(tpl!.notify).toEqual(["restart apache"]);
    expect(cmd!.args).toEqual({ cmd: "/usr/bin/make install", chdir: "/src", creates: "/usr/bin/app" });
    expect(lif!.args.line).toBe("PermitRootLogin no");
  });
});

// --- inline error cases ------------------------------------------------------------------------

function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-pb-"));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

function loadErr(files: Record<string, string>): InputError {
  const dir = writeTree(files);
  try {
    load(join(dir, "site.yml"));
  } catch (e) {
    if (e instanceof InputError) {
      return new InputError(
        e.message.replaceAll(dir + "/", ""),
        e.pos && { ...e.pos, file: e.pos.file.replace(dir + "/", "") },
        e.hint?.replaceAll(dir + "/", ""),
        e.sourceLine,
      );
    }
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("errors", () => {
  const cases: [string, Record<string, string>, string, string?][] = [
    ["unknown module", { "site.yml": "- hosts: all\n  tasks:\n    - aptt: { name: x }\n" }, "site.yml:3:7: unknown module 'aptt', did you mean 'apt'?"],
    [
      "unknown keyword",
      { "site.yml": "- hosts: all\n  tasks:\n    - command: /bin/true\n      whn: x\n" },
      "site.yml:4:7: unknown task keyword 'whn', did you mean 'when'?",
    ],
    [
      "unknown arg",
      { "site.yml": "- hosts: all\n  tasks:\n    - apt: { nmae: x }\n" },
      "site.yml:3:14: unknown argument 'nmae' for module 'apt', did you mean 'name'?",
    ],
    [
      "kv unknown arg",
      { "site.yml": "- hosts: all\n  tasks:\n    - apt: name=x sate=present\n" },
      "site.yml:3:19: unknown argument 'sate' for module 'apt', did you mean 'state'?",
    ],
    [
      "wrong type",
      { "site.yml": "- hosts: all\n  tasks:\n    - user: { name: x, uid: abc }\n" },
      "site.yml:3:24: argument 'uid' of module 'user' must be integer, got string 'abc'",
    ],
    [
      "enum",
      { "site.yml": "- hosts: all\n  tasks:\n    - apt: { name: x, state: presnt }\n" },
      `site.yml:3:23: argument 'state' of module 'apt' must be one of "present", "absent", "latest"; got "presnt", did you mean 'present'?`,
    ],
    ["required", { "site.yml": "- hosts: all\n  tasks:\n    - copy: { content: x }\n" }, "site.yml:3:7: module 'copy' requires argument 'dest'"],
    ["anyOf", { "site.yml": "- hosts: all\n  tasks:\n    - copy: { dest: /x }\n" }, "site.yml:3:7: module 'copy' needs one of: content, src"],
    [
      "oneOf both",
      { "site.yml": "- hosts: all\n  tasks:\n    - command: { cmd: a, argv: [a] }\n" },
      "site.yml:3:7: module 'command' takes only one of: cmd, argv",
    ],
    [
      "two modules",
      { "site.yml": "- hosts: all\n  tasks:\n    - copy: { dest: /x, content: y }\n      file: { path: /x }\n" },
      "site.yml:4:7: unknown task keyword 'file'",
    ],
    [
      "two known modules",
      { "site.yml": "- hosts: all\n  tasks:\n    - copy: { dest: /x, content: y }\n      command: ls\n" },
      "site.yml:4:7: a task runs one module, but this one has two: 'copy' and 'command'",
    ],
    ["no module", { "site.yml": "- hosts: all\n  tasks:\n    - name: nothing\n" }, "site.yml:3:7: task 'nothing' has no module"],
    ["no hosts", { "site.yml": "- name: x\n  tasks: []\n" }, "site.yml:1:3: this play has no 'hosts:'"],
    ["play keyword", { "site.yml": "- hosts: all\n  task: []\n" }, "site.yml:2:3: unknown play keyword 'task', did you mean 'tasks'?"],
    ["unsupported", { "site.yml": "- hosts: all\n  order: sorted\n" }, "site.yml:2:3: 'order' is not supported by keel"],
    [
      "bad when",
      { "site.yml": "- hosts: all\n  tasks:\n    - command: ls\n      when: x ==\n" },
      "site.yml:4:13: invalid expression `x ==`: Expected expression after == at character 5",
    ],
    [
      "notify typo",
      {
        "site.yml":
          "- hosts: all\n  tasks:\n    - command: ls\n      notify: restart ngnix\n  handlers:\n    - name: restart nginx\n      service: name=nginx state=restarted\n",
      },
      "site.yml:4:15: notify 'restart ngnix': no handler has this name or listens to it, did you mean 'restart nginx'?",
    ],
    [
      "include cycle",
      { "site.yml": "- hosts: all\n  tasks:\n    - include_tasks: a.yml\n", "a.yml": "- include_tasks: b.yml\n", "b.yml": "- import_tasks: a.yml\n" },
      "b.yml:1:17: include cycle: ",
    ],
    [
      "role cycle",
      { "site.yml": "- hosts: all\n  roles: [a]\n", "roles/a/meta/main.yml": "dependencies: [b]\n", "roles/b/meta/main.yml": "dependencies:\n  - role: a\n" },
      "roles/b/meta/main.yml:2:11: role dependency cycle: a -> b -> a",
    ],
    [
      "missing role",
      { "site.yml": "- hosts: all\n  roles: [comon]\n", "roles/common/tasks/main.yml": "[]\n" },
      "site.yml:2:11: role 'comon' not found, did you mean 'common'?",
    ],
    [
      "loop_control",
      { "site.yml": "- hosts: all\n  tasks:\n    - command: ls\n      loop: [1]\n      loop_control: { loop_vr: x }\n" },
      "site.yml:5:23: unknown loop_control keyword 'loop_vr', did you mean 'loop_var'?",
    ],
    [
      "templated vars_files",
      { "site.yml": "- hosts: all\n  vars_files: ['{{ env }}.yml']\n" },
      "site.yml:2:16: vars_files entry '{{ env }}.yml' is a template; keel loads vars_files before any host is known",
    ],
    ["free text", { "site.yml": "- hosts: all\n  tasks:\n    - apt: nginx\n" }, "site.yml:3:12: 'apt' takes key=value arguments, not free text ('nginx')"],
    ["yaml", { "site.yml": "- hosts: all\n  tasks:\n    - command: ls\n     when: x\n" }, "site.yml:4:"],
    ["serial", { "site.yml": "- hosts: all\n  serial: 0\n" }, `site.yml:2:11: serial: must be a positive number or a percentage like "30%", got number 0`],
    [
      "strategy",
      { "site.yml": "- hosts: all\n  strategy: lineer\n" },
      "site.yml:2:13: strategy must be 'free' or 'linear', got 'lineer', did you mean 'linear'?",
    ],
    [
      "listen outside handlers",
      { "site.yml": "- hosts: all\n  tasks:\n    - command: ls\n      listen: x\n" },
      "site.yml:4:7: 'listen' is only valid in handlers",
    ],
  ];
  it.each(cases)("%s", (_name, files, want) => {
    const err = loadErr(files);
    const got = `${err.pos?.file}:${err.pos?.line}:${err.pos?.col}: ${err.message}`;
    expect(got.startsWith(want), `got: ${got}`).toBe(true);
    expect(err.sourceLine).toBeDefined();
  });

  it("missing role lists where it looked", () => {
    const err = loadErr({ "site.yml": "- hosts: all\n  roles: [nope]\n" });
    expect(err.hint).toMatch(/^looked in: roles\/nope, .*\/roles\/nope$/);
  });
});

describe("templates are checked when the playbook loads", () => {
  const cases: [string, Record<string, string>, string][] = [
    [
      "lookup in an argument",
      { "site.yml": "- hosts: all\n  tasks:\n    - copy:\n        dest: /x\n        content: \"{{ lookup('dig', 'HOME') }}\"\n" },
      "site.yml:5:18: invalid expression `lookup('dig', 'HOME')`: unknown lookup 'dig'",
    ],
    [
      "unknown filter in k=v args",
      { "site.yml": "- hosts: all\n  tasks:\n    - apt: name={{ pkg | lowr }}\n" },
      "site.yml:3:12: invalid expression `pkg | lowr`: unknown filter 'lowr', did you mean 'lower'?",
    ],
    [
      "filter in text",
      { "site.yml": '- hosts: all\n  tasks:\n    - copy: { dest: "/etc/{{ x | basenme }}.conf", content: x }\n' },
      "site.yml:3:21: invalid expression `x | basenme`: unknown filter 'basenme', did you mean 'basename'?",
    ],
    [
      "play vars",
      { "site.yml": "- hosts: all\n  vars:\n    home: \"{{ query('envv', 'HOME') }}\"\n  tasks: []\n" },
      "site.yml:3:11: invalid expression `query('envv', 'HOME')`: unknown lookup 'envv', did you mean 'env'?",
    ],
    [
      "role defaults",
      { "site.yml": "- hosts: all\n  roles: [r]\n", "roles/r/defaults/main.yml": 'x: "{{ y | to_uuid }}"\n' },
      "roles/r/defaults/main.yml:1:4: invalid expression `y | to_uuid`: filter 'to_uuid' is not supported by keel",
    ],
    [
      "loop",
      { "site.yml": "- hosts: all\n  tasks:\n    - command: echo {{ item }}\n      loop: \"{{ users | map(atribute='name') }}\"\n" },
      "site.yml:4:13: invalid expression `users | map(atribute='name')`: filter 'map' has no argument 'atribute'",
    ],
    [
      "task name",
      { "site.yml": '- hosts: all\n  tasks:\n    - name: "install {{ pkg | uper }}"\n      command: ls\n' },
      "site.yml:3:13: invalid expression `pkg | uper`: unknown filter 'uper', did you mean 'upper'?",
    ],
    [
      "jinja include",
      { "site.yml": "- hosts: all\n  tasks:\n    - copy: { dest: /x, content: \"{% include 'a.j2' %}\" }\n" },
      "site.yml:3:34: '{% include %}' is not supported",
    ],
    [
      "unclosed jinja if",
      { "site.yml": '- hosts: all\n  tasks:\n    - copy: { dest: /x, content: "{% if a %}b" }\n' },
      "site.yml:3:34: '{% if %}' is not closed",
    ],
  ];
  it.each(cases)("%s", (_name, files, want) => {
    const err = loadErr(files);
    const got = `${err.pos?.file}:${err.pos?.line}:${err.pos?.col}: ${err.message}`;
    expect(got.startsWith(want), `got: ${got}`).toBe(true);
  });

  it("!unsafe values and {% raw %} blocks are text, not templates", () => {
    const dir = writeTree({
      "site.yml":
        "- hosts: all\n  vars:\n    fmt: !unsafe '{{ .Names }} {% x %}'\n  tasks:\n    - copy: { dest: /x, content: \"{% raw %}{{ y }}{% endraw %}\" }\n",
    });
    const plan = load(join(dir, "site.yml"));
    expect(typeof plan.plays[0]!.vars.fmt).toBe("string");
  });
});

describe("role variables rank as in Ansible", () => {
  it("a roles: entry's vars rank below the role's vars/main.yml; its parameters above", () => {
    const dir = writeTree({
      "site.yml": "- hosts: all\n  roles:\n    - role: r\n      p: param\n      vars: { a: entry, b: entry, p: entry }\n",
      "roles/r/vars/main.yml": "a: role_vars\np: role_vars\n",
      "roles/r/tasks/main.yml": "- name: t\n  command: ls\n",
    });
    const t = load(join(dir, "site.yml")).plays[0]!.tasks[0] as Task;
    expect(t.role?.vars).toEqual({ a: "role_vars", b: "entry", p: "param" });
  });
});

describe("with_dict and with_list", () => {
  const taskOf = (yml: string) => load(join(writeTree({ "site.yml": yml }), "site.yml")).plays[0]!.tasks[0] as Task;
  it("with_dict over a template loops over dict2items", () => {
    expect(taskOf('- hosts: all\n  tasks:\n    - command: echo {{ item.key }}\n      with_dict: "{{ settings }}"\n').loop).toBe(
      "{{ (settings) | dict2items }}",
    );
  });
  it("with_dict over a literal mapping gives {key, value} items", () => {
    expect(taskOf("- hosts: all\n  tasks:\n    - command: echo {{ item.key }}\n      with_dict: { a: 1, b: x }\n").loop).toEqual([
      { key: "a", value: 1 },
      { key: "b", value: "x" },
    ]);
  });
  it("with_list does not flatten", () => {
    expect(taskOf("- hosts: all\n  tasks:\n    - command: echo {{ item }}\n      with_list: [[1, 2], 3]\n").loop).toEqual([[1, 2], 3]);
  });
  it("with_dict must be a mapping", () => {
    const err = loadErr({ "site.yml": "- hosts: all\n  tasks:\n    - command: ls\n      with_dict: [a]\n" });
    expect(`${err.pos?.line}:${err.pos?.col}: ${err.message}`).toBe("4:18: with_dict: must be a mapping or a template that gives one, got a list");
  });
});

describe("import_role / include_role *_from", () => {
  const files = {
    "roles/web/tasks/main.yml": "- name: main\n  command: ls\n",
    "roles/web/tasks/install.yml": "- name: install\n  command: ls\n",
    "roles/web/defaults/main.yml": "d: main\n",
    "roles/web/defaults/alt.yml": "d: alt\n",
    "roles/web/vars/other.yaml": "v: other\n",
  };
  it("tasks_from, defaults_from and vars_from pick files in the role's folders", () => {
    const dir = writeTree({
      ...files,
      "site.yml": "- hosts: all\n  tasks:\n    - import_role: { name: web, tasks_from: install, defaults_from: alt, vars_from: other }\n",
    });
    const tasks = load(join(dir, "site.yml")).plays[0]!.tasks as Task[];
    expect(tasks.map((t) => t.name)).toEqual(["install"]);
    expect(tasks[0]!.role?.defaults).toEqual({ d: "alt" });
    expect(tasks[0]!.role?.vars).toEqual({ v: "other" });
  });
  it("a missing file is an error at the *_from value", () => {
    const err = loadErr({ ...files, "site.yml": "- hosts: all\n  tasks:\n    - include_role:\n        name: web\n        tasks_from: instal\n" });
    expect(`${err.pos?.line}:${err.pos?.col}: ${err.message}`).toBe("5:21: role 'web' has no tasks/instal.yml");
  });
  it("a templated become_user loads as written (rendered per host when the task runs); a broken one is refused at load", () => {
    const err = loadErr({ "site.yml": '- hosts: all\n  tasks:\n    - command: ls\n      become_user: "{{ app_user + }}"\n' });
    expect(`${err.pos?.line}:${err.pos?.col}`).toBe("4:21");
  });
});

describe("the play's roles share their variables, as in Ansible", () => {
  it("a role's tasks see every play role's defaults under their own; roles' vars join the play's after vars_files", () => {
    const dir = writeTree({
      "site.yml": "- hosts: all\n  roles: [a, b]\n  tasks:\n    - import_role: { name: c }\n    - include_role: { name: d }\n",
      "roles/a/defaults/main.yml": "a_def: a\nshared: a\n",
      "roles/a/vars/main.yml": "a_var: a\n",
      "roles/a/tasks/main.yml": "- name: in a\n  command: ls\n",
      "roles/b/defaults/main.yml": "shared: b\n",
      "roles/b/tasks/main.yml": "- name: in b\n  command: ls\n",
      "roles/c/defaults/main.yml": "c_def: c\n",
      "roles/c/tasks/main.yml": "- name: in c\n  command: ls\n",
      "roles/d/defaults/main.yml": "d_def: private\n",
      "roles/d/vars/main.yml": "d_var: private\n",
      "roles/d/tasks/main.yml": "- name: in d\n  command: ls\n",
    });
    const play = load(join(dir, "site.yml")).plays[0]!;
    const t = (name: string) => find(play.tasks, name) as Task;
    expect(t("in a").role?.defaults).toEqual({ a_def: "a", shared: "a", c_def: "c" });
    expect(t("in b").role?.defaults).toEqual({ a_def: "a", shared: "b", c_def: "c" });
    expect(t("in d").role?.defaults).toEqual({ d_def: "private" });
    expect(play.varsFiles).toEqual({ a_var: "a" });
  });
});
