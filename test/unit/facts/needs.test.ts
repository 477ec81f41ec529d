// The facts analysis (engine/facts/needs.ts): a playbook that can read no fact but keel's own gets
// the lazy probe; every way to reach a fact gathers all. Playbooks are loaded by the real loader.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../../modules/index.js";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { factNeeds, factReference } from "../../../engine/facts/needs.js";
import { factsScript, parseFacts, resolveSubsets } from "../../../engine/facts/probe.js";
import { ansibleFactVars, factsOptions } from "../../../engine/facts/index.js";

const tmp = mkdtempSync(join(tmpdir(), "keel-needs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const readText = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};

/** Writes the files (playbook first) in a fresh folder and analyses the playbook. */
function needsOf(files: Record<string, string>, vars: unknown[] = []) {
  const dir = join(tmp, `p${n++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const plan = loadPlaybook(join(dir, Object.keys(files)[0]!), { registry });
  return factNeeds({ plays: plan.plays, dir: plan.dir, vars, readText });
}

const play = (tasks: string, extra = "") => `- hosts: all\n${extra}  tasks:\n${tasks}`;
const task = (body: string) => `    - name: t\n${body}\n`;

describe("factNeeds: fact-free playbooks gather keel's own facts only", () => {
  it.each([
    ["the bench playbook", "test/bench/fixtures/site.yml"],
    ["the shipped baseline (facts.os_pretty in motd.hbs is keel's own)", "playbooks/baseline.yml"],
  ])("%s", (_, file) => {
    const plan = loadPlaybook(file, { registry });
    expect(factNeeds({ plays: plan.plays, dir: plan.dir, vars: [{ ansible_host: "198.18.0.2", ansible_user: "root" }], readText })).toEqual({ all: false });
  });

  it.each([
    ["a literal task name mentioning facts", task('      debug:\n        msg: "hello {{ inventory_hostname }}"').replace("name: t", "name: Gather facts")],
    ["keel's own facts by field", task("      debug:\n        msg: \"{{ facts.os_family }} {{ facts['pkg_mgr'] }} {{ facts.init }}\"")],
    ["a package by keel's pkg_mgr strategy", task("      package:\n        name: curl")],
    ["a static template without facts", task("      template:\n        src: t.j2\n        dest: /tmp/t")],
  ])("%s", (_, t) => {
    expect(needsOf({ "site.yml": play(t), "templates/t.j2": "x={{ inventory_hostname }}\n" })).toEqual({ all: false });
  });
});

describe("factNeeds: every way to a fact gathers all", () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["ansible_ name in args", { "site.yml": play(task('      debug:\n        msg: "{{ ansible_distribution }}"')) }, /ansible_distribution/],
    ["bare debug var", { "site.yml": play(task("      debug:\n        var: ansible_processor_vcpus")) }, /ansible_processor_vcpus/],
    ["when", { "site.yml": play(task("      debug:\n        msg: x\n      when: ansible_os_family == 'Debian'")) }, /ansible_os_family/],
    ["changed_when", { "site.yml": play(task("      command: /bin/true\n      changed_when: ansible_facts.env.HOME != ''")) }, /ansible_facts/],
    ["loop", { "site.yml": play(task('      debug:\n        msg: "{{ item }}"\n      loop: "{{ ansible_interfaces }}"')) }, /ansible_interfaces/],
    ["hostvars", { "site.yml": play(task("      debug:\n        msg: \"{{ hostvars[inventory_hostname]['x'] }}\"")) }, /hostvars/],
    ["vars[...]", { "site.yml": play(task("      debug:\n        msg: \"{{ vars['ansible_' ~ 'kernel'] }}\"")) }, /ansible_|vars/],
    ["vars lookup", { "site.yml": play(task("      debug:\n        msg: \"{{ lookup('vars', 'x') }}\"")) }, /vars|lookup/],
    ["query", { "site.yml": play(task("      debug:\n        msg: \"{{ query('varnames', '.*') }}\"")) }, /query|varnames/],
    ["keel's facts, whole", { "site.yml": play(task('      debug:\n        msg: "{{ facts | to_json }}"')) }, /facts/],
    ["keel's facts, a field it does not gather lazily", { "site.yml": play(task('      debug:\n        msg: "{{ facts.cpus }}"')) }, /facts\.cpus/],
    ["setup module", { "site.yml": play(task("      setup:\n        filter: ansible_lo")) }, /setup|ansible_lo/],
    ["gather_subset (setup's marker)", { "site.yml": play(task('      debug:\n        msg: "{{ gather_subset }}"')) }, /gather_subset/],
    [
      "discovered_interpreter_python",
      { "site.yml": play(task('      debug:\n        msg: "{{ discovered_interpreter_python }}"')) },
      /discovered_interpreter_python/,
    ],
    ["include_vars (a run-time file)", { "site.yml": play(task("      include_vars:\n        file: v.yml")), "v.yml": "a: 1\n" }, /include_vars/],
    ["play vars", { "site.yml": play(task('      debug:\n        msg: "{{ x }}"'), '  vars:\n    x: "{{ ansible_hostname }}"\n') }, /ansible_hostname/],
    [
      "vars_files",
      { "site.yml": play(task('      debug:\n        msg: "{{ x }}"'), "  vars_files: [v.yml]\n"), "v.yml": 'x: "{{ ansible_kernel }}"\n' },
      /ansible_kernel/,
    ],
    ["templated task name", { "site.yml": play(task("      debug:\n        msg: x").replace("name: t", 'name: "on {{ ansible_fqdn }}"')) }, /ansible_fqdn/],
    [
      "template file",
      { "site.yml": play(task("      template:\n        src: t.j2\n        dest: /tmp/t")), "templates/t.j2": "{{ ansible_default_ipv4.address }}\n" },
      /ansible_default_ipv4/,
    ],
    [
      "template file include",
      { "site.yml": play(task("      template:\n        src: t.j2\n        dest: /tmp/t")), "templates/t.j2": "{% include 'other.j2' %}\n" },
      /include/,
    ],
    [
      "handlebars this",
      { "site.yml": play(task("      template:\n        src: t.hbs\n        dest: /tmp/t")), "templates/t.hbs": "{{#each this}}{{@key}}{{/each}}\n" },
      /Handlebars/,
    ],
    [
      "templated template src",
      { "site.yml": play(task('      template:\n        src: "{{ name }}.j2"\n        dest: /tmp/t'), "  vars:\n    name: t\n"), "templates/t.j2": "x\n" },
      /not a literal/,
    ],
    [
      "import_tasks file",
      { "site.yml": play("    - import_tasks: more.yml\n"), "more.yml": '- debug:\n    msg: "{{ ansible_machine }}"\n' },
      /ansible_machine/,
    ],
    [
      "include_tasks with a templated name (its guard)",
      { "site.yml": play('    - include_tasks: "os-{{ ansible_os_family }}.yml"\n'), "os-Debian.yml": "- debug:\n    msg: x\n" },
      /ansible_os_family/,
    ],
    [
      "a role's defaults",
      {
        "site.yml": "- hosts: all\n  roles: [r]\n",
        "roles/r/tasks/main.yml": '- debug:\n    msg: "{{ y }}"\n',
        "roles/r/defaults/main.yml": 'y: "{{ ansible_architecture }}"\n',
      },
      /ansible_architecture/,
    ],
    [
      "a handler",
      {
        "site.yml":
          play(task("      command: /bin/true\n      notify: h")) + '  handlers:\n    - name: h\n      debug:\n        msg: "{{ ansible_date_time }}"\n',
      },
      /ansible_date_time/,
    ],
  ];
  it.each(cases)("%s", (_, files, why) => {
    const r = needsOf(files);
    expect(r.all).toBe(true);
    expect(r.reason).toMatch(why);
  });

  it("a template source that is not there (the loader refuses it first; the analysis gathers all)", () => {
    const t = {
      kind: "task",
      module: "files.template",
      moduleAs: "template",
      name: "t",
      pos: { file: "x.yml", line: 3 },
      args: { src: "nope.j2", dest: "/d" },
      searchDirs: [tmp],
    };
    expect(factNeeds({ plays: [{ pos: { file: "x.yml", line: 1 }, tasks: [t], handlers: [] }], dir: tmp, vars: [], readText }).reason).toMatch(
      /template 'nope.j2' not found/,
    );
  });

  it("inventory and -e values are scanned; their keys (ansible_host…) are not", () => {
    const files = { "site.yml": play(task('      debug:\n        msg: "{{ x }}"')) };
    expect(needsOf(files, [{ ansible_host: "h", ansible_user: "u" }, { other: 1 }])).toEqual({ all: false });
    expect(needsOf(files, [{ x: "{{ ansible_nodename }}" }]).reason).toMatch(/inventory or -e variable: ansible_nodename/);
  });

  it("factReference: facts fields keel gathers pass, others and every escape do not", () => {
    expect(factReference("{{ facts.os_pretty }}")).toBeUndefined();
    expect(factReference("{{ facts['kernel'] }}")).toBeUndefined();
    expect(factReference("{{ facts.memory_mb }}")).toBe("facts.memory_mb");
    expect(factReference("{{ facts[k] }}")).toBe("facts");
    expect(factReference("{{ q('x') }}")).toBe("q(");
    expect(factReference("plain text")).toBeUndefined();
  });
});

describe("the lazy facts probe", () => {
  it("keeps keel's own sections only, and gathers them with every option", () => {
    const lazy = factsScript(factsOptions({}, {}, true));
    const full = factsScript(factsOptions({}, {}));
    expect(lazy).not.toBe(full);
    for (const id of ["os-release", "debian_version", "uname", "user", "pkg", "init", "ip-both", "ip-route", "ip-addr", "proc-route", "firewall", "subsets"])
      expect(lazy).toContain(` ${id}'`);
    for (const id of ["env", "pw", "date", "python", "mounts", "statfs", "virt", "route4", "addr-all", "sysnet", "nproc"]) {
      expect(full).toContain(` ${id}'`);
      expect(lazy).not.toContain(` ${id}'`);
    }
    // gather_subset still bounds it: no network, no ipv4 sections
    expect(factsScript(factsOptions({ gatherSubset: ["!all", "!network"] }, {}, true))).not.toContain(" ip-both'");
    expect(resolveSubsets(undefined)).toEqual(["min", "hardware", "network", "virtual"]);
  });

  it("parses into keel's facts, with no Ansible fact it did not gather", () => {
    const mark = "0123456789abcdef01234567";
    const sec = (id: string, text: string) => `${mark} ${id}\n${text}`;
    const stream = [
      sec("os-release", 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n'),
      sec("debian_version", "12.11\n"),
      sec("uname", "6.1.0\nx86_64\nlab01\n"),
      sec("user", "root\n"),
      sec("pkg", "apt-get\n"),
      sec("init", "sysv\n"),
      sec("ip-route", "default via 198.18.0.1 dev eth0\n"),
      sec("ip-addr", "2: eth0    inet 198.18.0.2/15 brd 198.19.255.255 scope global eth0\n"),
      sec("subsets", 'keel\n["all"]\n'),
    ].join("");
    const f = parseFacts(`@facts\nmark=${mark}\ntext:b64=${Buffer.from(stream).toString("base64")}\n`);
    expect(f).toMatchObject({
      os_id: "debian",
      os_family: "debian",
      os_pretty: "Debian GNU/Linux 12 (bookworm)",
      pkg_mgr: "apt",
      init: "sysv",
      ipv4: "198.18.0.2",
      user: "root",
    });
    expect(f.subsets).toEqual(["keel"]);
    const v = ansibleFactVars(f);
    expect(v.ansible_os_family).toBe("Debian");
    expect(v.ansible_processor_vcpus).toBeUndefined();
    expect(v.ansible_default_ipv4).toBeUndefined();
  });
});
