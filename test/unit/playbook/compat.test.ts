// Ansible playbook language that real roles use: FQCN includes and imports, the old include:,
// templated (dynamic) task-file includes, collection roles, with_<lookup> loops, include_vars.
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { registry } from "../../../modules/index.js";
import type { Task, TaskNode } from "../../../engine/core/plan.js";

function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-compat-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}
const load = (files: Record<string, string>) => loadPlaybook(join(writeTree(files), "site.yml"), { registry });
const tasks = (nodes: TaskNode[]) => nodes as Task[];
/** The tasks at any depth (the tasks of include_tasks' dynamic-include blocks in place). */
const flat = (nodes: TaskNode[]): Task[] => nodes.flatMap((n) => (n.kind === "task" ? [n] : flat(n.block)));

describe("includes and imports", () => {
  it("ansible.builtin.include_tasks / import_tasks / include_role / import_role, and the old include:", () => {
    const plan = load({
      "site.yml":
        "- hosts: all\n  tasks:\n    - ansible.builtin.include_tasks: a.yml\n    - ansible.builtin.import_tasks: { file: a.yml }\n    - include: a.yml who=old\n    - ansible.builtin.import_role: { name: r }\n    - ansible.builtin.include_role: { name: r, tasks_from: other }\n",
      "a.yml": "- name: in a\n  command: echo {{ who | default('x') }}\n",
      "roles/r/tasks/main.yml": "- name: r main\n  command: ls\n",
      "roles/r/tasks/other.yml": "- name: r other\n  command: ls\n",
    });
    const t = flat(plan.plays[0]!.tasks);
    expect(t.map((x) => x.name)).toEqual(["in a", "in a", "in a", "r main", "r other"]);
    expect(t[2]!.vars).toEqual({ who: "old" });
    // include_tasks is Ansible's dynamic include: a block each host decides when it gets there
    const first = plan.plays[0]!.tasks[0]!;
    expect(first.kind === "block" && first.include).toMatchObject({ as: "ansible.builtin.include_tasks", looped: false });
  });

  it("a templated file name loads every file it can give, each guarded by the rendered name", () => {
    const plan = load({
      "site.yml": "- hosts: all\n  roles: [r]\n",
      "roles/r/tasks/main.yml": '- include_tasks: "setup-{{ ansible_os_family }}.yml"\n  when: go | default(true)\n',
      "roles/r/tasks/setup-Debian.yml": "- name: deb\n  apt: { name: nginx }\n",
      "roles/r/tasks/setup-RedHat.yml": "- name: rh\n  dnf: { name: nginx }\n",
    });
    const t = flat(plan.plays[0]!.tasks);
    expect(t.map((x) => x.name)).toEqual(["deb", "rh"]);
    // the include's own `when` is decided once, on the include; only the file guard is on the tasks
    const inc = plan.plays[0]!.tasks[0]!;
    expect(inc.kind === "block" && inc.include!.when.map((w) => w.text)).toEqual(["go | default(true)"]);
    expect(t[0]!.when.map((w) => w.text)).toEqual(["'setup-' ~ (ansible_os_family) ~ '.yml' == 'setup-Debian.yml'"]);
  });

  it("include_tasks apply: keywords reach the included tasks", () => {
    const plan = load({
      "site.yml": "- hosts: all\n  tasks:\n    - include_tasks: { file: a.yml, apply: { tags: [x], become: true } }\n",
      "a.yml": "- command: ls\n",
    });
    expect(flat(plan.plays[0]!.tasks)[0]).toMatchObject({ tags: ["x"], become: true });
  });
});

describe("collection roles", () => {
  it("ns.coll.role from collections/ next to the playbook, and short names through collections:", () => {
    const coll = "collections/ansible_collections/devsec/hardening/roles";
    const plan = load({
      "site.yml":
        "- hosts: all\n  collections: [devsec.hardening]\n  roles:\n    - devsec.hardening.os_hardening\n  tasks:\n    - include_role: { name: ssh_hardening }\n",
      [`${coll}/os_hardening/tasks/main.yml`]: "- name: os\n  command: ls\n",
      [`${coll}/ssh_hardening/tasks/main.yml`]: "- name: ssh\n  command: ls\n",
    });
    const t = tasks(plan.plays[0]!.tasks);
    expect(t.map((x) => `${x.role?.name}:${x.name}`)).toEqual(["os_hardening:os", "ssh_hardening:ssh"]);
  });
});

describe("loops", () => {
  const one = (task: string) => tasks(load({ "site.yml": `- hosts: all\n  tasks:\n    - ${task}\n` }).plays[0]!.tasks)[0]!;
  it.each([
    [
      'command: echo {{ item }}\n      with_first_found:\n        - "{{ ansible_distribution }}.yml"\n        - default.yml',
      "{{ query('first_found', (ansible_distribution) ~ '.yml', 'default.yml') }}",
    ],
    ['command: echo {{ item.1 }}\n      with_subelements:\n        - "{{ users }}"\n        - keys', "{{ query('subelements', (users), 'keys') }}"],
    ['command: echo {{ item }}\n      with_nested: [[a, b], "{{ xs }}"]', "{{ query('nested', ['a', 'b'], (xs)) }}"],
    ["command: echo {{ item }}\n      with_sequence: start=1 end=3", "{{ query('sequence', 'start=1 end=3') }}"],
    ['command: echo {{ item }}\n      with_fileglob: "*.conf"', "{{ query('fileglob', '*.conf') }}"],
    ['command: echo {{ item }}\n      with_items: "{{ pkgs }}"', "{{ query('items', pkgs) }}"],
    // geerlingguy.php: entries that are templates giving lists are flattened one level after rendering
    ['command: echo {{ item }}\n      with_items: ["{{ paths | flatten }}", plain]', "{{ query('items', [(paths | flatten), 'plain']) }}"],
  ])("%s", (task, loop) => expect(one(task).loop).toBe(loop));
  it("with_items: a bare word is one item, as in Ansible 2.x; loop_control without a loop is accepted", () => {
    expect(one("command: ls\n      with_items: pkgs").loop).toEqual(["pkgs"]);
    expect(one("command: ls\n      loop_control: { label: x }").loop).toBeUndefined();
  });
});

describe("include_vars, debug, fail", () => {
  it("load as controller modules in their short and FQCN forms", () => {
    const plan = load({
      "site.yml":
        '- hosts: all\n  tasks:\n    - include_vars: "{{ item }}"\n      with_first_found: ["{{ ansible_os_family }}.yml", default.yml]\n    - ansible.builtin.include_vars: { dir: vars, name: all }\n    - debug: msg=hi\n    - ansible.builtin.debug: { var: x, verbosity: 1 }\n    - fail: { msg: no }\n      when: x\n',
    });
    expect(tasks(plan.plays[0]!.tasks).map((t) => t.module)).toEqual([
      "system.include_vars",
      "system.include_vars",
      "system.debug",
      "system.debug",
      "system.fail",
    ]);
  });
});

describe("what only matters if a task runs", () => {
  it("a task keel cannot run, under a when (or in handlers), becomes a guarded failure instead of a load error", () => {
    const plan = load({
      "site.yml":
        "- hosts: all\n  tasks:\n    - include_tasks: setup-Arch.yml\n      when: ansible_os_family == 'Archlinux'\n    - package: { name: fail2ban, enablerepo: epel }\n      when: ansible_os_family == 'RedHat'\n  handlers:\n    - name: reload\n      community.general.pacman: { name: x }\n",
      "setup-Arch.yml": "- name: pacman\n  pacman: { name: nginx }\n",
    });
    const t = flat(plan.plays[0]!.tasks);
    // the include_tasks' `when` guards the include itself (decided once), not the task inside it
    expect(t.map((x) => [x.module, x.when.map((w) => w.text)])).toEqual([
      ["system.fail", []],
      ["system.fail", ["ansible_os_family == 'RedHat'"]],
    ]);
    const inc = plan.plays[0]!.tasks[0]!;
    expect(inc.kind === "block" && inc.include!.when.map((w) => w.text)).toEqual(["ansible_os_family == 'Archlinux'"]);
    expect(t[0]!.args.msg).toMatch(/keel cannot run this task \(setup-Arch.yml:2:3\): unknown module 'pacman'/);
    expect(t[1]!.args.msg).toMatch(/unknown argument 'enablerepo'/);
    expect(plan.plays[0]!.handlers[0]).toMatchObject({ module: "system.fail", name: "reload" });
  });
  it("the guarded failure inherits what any task of its block inherits, a templated ignore_errors included", () => {
    const plan = load({
      "site.yml":
        "- hosts: all\n  tasks:\n    - block:\n        - pacman: { name: nginx }\n          when: ansible_os_family == 'Archlinux'\n        - debug: msg=hi\n      ignore_errors: '{{ lenient }}'\n      become: true\n      tags: [pkg]\n",
    });
    const [deferred, sibling] = tasks((plan.plays[0]!.tasks[0] as unknown as { block: TaskNode[] }).block);
    expect(deferred!.module).toBe("system.fail");
    for (const k of ["ignoreErrors", "ignoreErrorsExpr", "become", "tags", "noLog", "checkMode", "searchDirs"] as const)
      expect(deferred![k], k).toEqual(sibling![k]);
    expect(deferred!.ignoreErrorsExpr?.text).toBe("{{ lenient }}");
  });
  it("without a when it is still a load error", () => {
    expect(() => load({ "site.yml": "- hosts: all\n  tasks:\n    - pacman: { name: nginx }\n" })).toThrow(/unknown module 'pacman'/);
  });
  it("a looped include_tasks over a literal list, with loop_var and index_var", () => {
    const plan = load({
      "site.yml":
        "- hosts: all\n  tasks:\n    - include_tasks: fs.yml\n      loop: [{ path: /boot }, { path: /tmp }]\n      loop_control: { loop_var: mount, index_var: i }\n",
      "fs.yml": "- command: echo {{ mount.path }}\n",
    });
    // a dynamic include: the file once, its items rendered by each host (engine/run/included.ts)
    const inc = plan.plays[0]!.tasks[0]!;
    expect(inc.kind === "block" && inc.include).toMatchObject({
      looped: true,
      loop: [{ path: "/boot" }, { path: "/tmp" }],
      loopVar: "mount",
      indexVar: "i",
    });
    expect(flat(plan.plays[0]!.tasks)).toHaveLength(1);
  });
  it("no_log: a template (as in geerlingguy.mysql and apache) hides the output: keel fails safe", () => {
    const plan = load({
      "site.yml": '- hosts: all\n  tasks:\n    - command: ls\n      no_log: "{{ hide_passwords }}"\n    - command: ls\n      no_log: false\n',
    });
    expect(tasks(plan.plays[0]!.tasks).map((t) => t.noLog)).toEqual([true, false]);
  });
  it("ignore_errors: a template is kept as a condition decided per host", () => {
    const plan = load({ "site.yml": '- hosts: all\n  tasks:\n    - block:\n        - command: ls\n      ignore_errors: "{{ ansible_check_mode }}"\n' });
    const b = plan.plays[0]!.tasks[0]!;
    expect(b.kind === "block" && (b.block[0] as Task).ignoreErrorsExpr?.text).toBe("{{ ansible_check_mode }}");
  });
});

describe("all load errors at once", () => {
  it("collects every task's error, sorted by file and line, and formats them all", () => {
    let err: unknown;
    try {
      load({
        "site.yml": "- hosts: all\n  tasks:\n    - include_tasks: b.yml\n    - copyy: { dest: /x }\n    - command: ls\n      whenn: x\n",
        "b.yml": "- name: in b\n  lineinfile: { path: /x, nope: 1 }\n",
      });
    } catch (e) {
      err = e;
    }
    const text = (err as { format(r?: string): string }).format();
    const at = [...text.matchAll(/^(\S+):(\d+):\d+: /gm)].map((m) => `${m[1]!.split("/").pop()}:${m[2]}`);
    expect(at).toEqual(["b.yml:2", "site.yml:4", "site.yml:6"]);
    expect(text).toMatch(/3 errors; nothing was run$/);
    expect((err as Error).message).toMatch(/\(and 2 more errors\)$/);
  });
  // ini_file and pam_limits are modules now; community.general.xml and sefcontext are not, and
  // are as far from every module name as ini_file was
  it("did you mean: only close names (no community.general.sudoers for an unrelated module)", () => {
    const msg = (task: string) => {
      try {
        load({ "site.yml": `- hosts: all\n  tasks:\n    - ${task}\n` });
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    expect(msg("community.general.xml: { path: /x }")).toBe("unknown module 'community.general.xml'");
    expect(msg("sefcontext: { target: x }")).toBe("unknown module 'sefcontext'");
    expect(msg("lineinfle: { path: /x }")).toBe("unknown module 'lineinfle', did you mean 'lineinfile'?");
  });
});
