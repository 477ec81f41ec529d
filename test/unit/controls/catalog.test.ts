// The hardening catalog loader: the shipped catalog validates, profiles resolve with extends,
// and every kind of bad input is an InputError at file:line:col with a hint.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { applies, controlForTask, loadCatalog, resolveProfile, GATE_VAR, type Catalog } from "../../../engine/controls/catalog.js";

/** A small catalog in a temp folder; `over` replaces files by relative path. */
function fixture(over: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-catalog-"));
  const files: Record<string, string> = {
    "catalog.yml": "catalog: test\nversion: 1\nareas:\n  ssh: SSH\n  kernel: Kernel\nparam_values:\n  hardening_level: [INFO, VERBOSE]\n",
    "defaults/main.yml": "hardening_max_tries: 4\nhardening_level: INFO\nhardening_forward: false\n",
    "controls/ssh.yml": [
      "controls:",
      "  ssh.max-auth-tries:",
      "    title: MaxAuthTries is low",
      "    rationale: limits guessing",
      "    severity: medium",
      "    references: { cis: ['5.1.16'], devsec: [sshd-08], nist: [AC-7] }",
      "    params: [hardening_max_tries]",
      "    applies_when: facts.os_family == 'debian'",
      "    type: automated",
      "  ssh.log-level:",
      "    title: LogLevel",
      "    rationale: audit trail",
      "    severity: low",
      "    impact: 0.2",
      "    references: {}",
      "    params: [hardening_level]",
      "    type: automated",
      "  ssh.banner:",
      "    title: A banner is shown",
      "    rationale: legal notice",
      "    severity: none",
      "    references: { cis: ['5.1.5'] }",
      "    type: manual",
      "    procedure: Ask legal for the text, then set Banner.",
      "",
    ].join("\n"),
    "controls/kernel.yml": [
      "controls:",
      "  kernel.forward:",
      "    title: no forwarding",
      "    rationale: not a router",
      "    severity: high",
      "    references: { nist: [SC-7] }",
      "    params: [hardening_forward]",
      "    type: automated",
      "",
    ].join("\n"),
    "tasks/main.yml": [
      "- name: profile",
      "  hardening.profile: { profile: x }",
      "  tags: [always]",
      "- import_tasks: ssh.yml",
      "- name: forward",
      "  sysctl: { name: net.ipv4.ip_forward, value: '0' }",
      "  tags: [kernel, kernel.forward]",
      `  when: "'kernel.forward' in ${GATE_VAR}"`,
      "",
    ].join("\n"),
    "tasks/ssh.yml": [
      "- name: ssh block",
      "  tags: [ssh.max-auth-tries]",
      `  when: "'ssh.max-auth-tries' in ${GATE_VAR}"`,
      "  block:",
      "    - name: tries",
      "      lineinfile: { path: /etc/ssh/x, line: MaxAuthTries 4 }",
      "    - name: tries again",
      "      lineinfile: { path: /etc/ssh/y, line: MaxAuthTries 4 }",
      "- name: level",
      "  lineinfile: { path: /etc/ssh/x, line: LogLevel INFO }",
      "  tags: ssh.log-level",
      `  when: ["'ssh.log-level' in ${GATE_VAR}"]`,
      "",
    ].join("\n"),
    "profiles/base.yml": "profile: base\nselect: ['*']\nparams:\n  hardening_max_tries: 4\n",
    "profiles/strict.yml": "profile: strict\nextends: base\ndeselect: [ssh.banner]\nparams:\n  hardening_max_tries: 2\n  hardening_level: VERBOSE\n",
    ...over,
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("loadCatalog", () => {
  it("loads the fixture: controls in area order, tasks indexed by tag, defaults", () => {
    const c = loadCatalog(fixture());
    expect(c.ids).toEqual(["ssh.max-auth-tries", "ssh.log-level", "ssh.banner", "kernel.forward"]);
    expect(c.controls.get("ssh.max-auth-tries")!.tasks.map((t) => t.name)).toEqual(["tries", "tries again"]);
    expect(c.controls.get("ssh.log-level")!.impact).toBe(0.2);
    expect(c.controls.get("kernel.forward")!.impact).toBe(0.7);
    expect(c.controls.get("ssh.banner")!.procedure).toMatch(/Ask legal/);
    expect(c.controls.get("ssh.max-auth-tries")!.pos.line).toBe(2);
    expect(c.params.get("hardening_max_tries")!.default).toBe(4);
    expect(c.profiles).toEqual(["base", "strict"]);
  });

  it("loads the shipped catalog with both shipped profiles", () => {
    const c = loadCatalog();
    expect(c.ids.length).toBeGreaterThan(0);
    expect(c.profiles).toEqual(expect.arrayContaining(["cis-level1-server", "devsec"]));
    for (const id of c.ids) {
      const ctl = c.controls.get(id)!;
      expect(ctl.type === "manual" ? ctl.procedure : ctl.tasks.length, id).toBeTruthy();
    }
  });

  const cases: [string, Record<string, string>, RegExp, string, number, RegExp?][] = [
    [
      "an unknown key in a control, with a suggestion",
      { "controls/kernel.yml": "controls:\n  kernel.forward:\n    title: t\n    rationale: r\n    severty: high\n    references: {}\n    type: automated\n" },
      /unknown key 'severty'.*did you mean 'severity'/,
      "controls/kernel.yml",
      5,
    ],
    [
      "a bad severity",
      { "controls/kernel.yml": "controls:\n  kernel.forward:\n    title: t\n    rationale: r\n    severity: hihg\n    references: {}\n    type: automated\n" },
      /must be one of none, low, medium, high, critical.*did you mean 'high'/,
      "controls/kernel.yml",
      5,
    ],
    [
      "an impact outside its severity band",
      {
        "controls/kernel.yml":
          "controls:\n  kernel.forward:\n    title: t\n    rationale: r\n    severity: high\n    impact: 0.3\n    references: {}\n    type: automated\n",
      },
      /impact 0.3 does not match severity high/,
      "controls/kernel.yml",
      6,
    ],
    [
      "a manual control without procedure",
      { "controls/kernel.yml": "controls:\n  kernel.forward:\n    title: t\n    rationale: r\n    severity: high\n    references: {}\n    type: manual\n" },
      /needs 'procedure'/,
      "controls/kernel.yml",
      3,
    ],
    [
      "an id outside its area",
      {
        "controls/kernel.yml":
          "controls:\n  net.forward:\n    title: t\n    rationale: r\n    severity: high\n    references: {}\n    type: manual\n    procedure: p\n",
      },
      /does not start with 'kernel\.'/,
      "controls/kernel.yml",
      2,
    ],
    [
      "a parameter without default",
      { "defaults/main.yml": "hardening_level: INFO\nhardening_forward: false\n" },
      /reads parameter 'hardening_max_tries', which defaults\/main.yml does not define/,
      "controls/ssh.yml",
      7,
    ],
    [
      "a bad applies_when",
      {
        "controls/kernel.yml":
          "controls:\n  kernel.forward:\n    title: t\n    rationale: r\n    severity: high\n    references: {}\n    applies_when: facts.os_family ==\n    type: manual\n    procedure: p\n",
      },
      /invalid expression/,
      "controls/kernel.yml",
      7,
    ],
    [
      "an automated control without tasks",
      { "tasks/main.yml": "- import_tasks: ssh.yml\n" },
      /automated control kernel.forward has no task tagged/,
      "controls/kernel.yml",
      2,
    ],
    [
      "a task without control tag",
      { "tasks/main.yml": "- name: forward\n  sysctl: { name: a.b, value: '0' }\n  when: \"'kernel.forward' in hardening_controls\"\n" },
      /task 'forward' carries no control id/,
      "tasks/main.yml",
      1,
    ],
    [
      "a task tagged with an unknown control",
      {
        "tasks/main.yml":
          "- name: forward\n  sysctl: { name: a.b, value: '0' }\n  tags: [kernel.froward]\n  when: \"'kernel.forward' in hardening_controls\"\n",
      },
      /not a control of the catalog; did you mean 'kernel.forward'/,
      "tasks/main.yml",
      3,
    ],
    [
      "a task gated on another control",
      {
        "tasks/main.yml": "- name: forward\n  sysctl: { name: a.b, value: '0' }\n  tags: [kernel.forward]\n  when: \"'ssh.log-level' in hardening_controls\"\n",
      },
      /not gated on its control/,
      "tasks/main.yml",
      1,
    ],
    ["a controls file not listed as an area", { "controls/extra.yml": "controls: {}\n" }, /controls\/extra.yml is not listed under areas/, "catalog.yml", 3],
  ];
  it.each(cases)("rejects %s at file:line", (_n, over, msg, file, line) => {
    const dir = fixture(over);
    const e = inputError(() => loadCatalog(dir));
    expect(e.message).toMatch(msg);
    expect(e.pos?.file).toBe(join(dir, file));
    expect(e.pos?.line).toBe(line);
    expect(e.format()).toMatch(/:\d+:\d+: /);
  });
});

describe("resolveProfile", () => {
  const dir = fixture();
  const cat: Catalog = loadCatalog(dir);

  it("resolves a shipped profile: every control, defaults overridden", () => {
    const p = resolveProfile(cat, "base");
    expect(p.controls).toEqual(cat.ids);
    expect(p.params).toEqual({ hardening_max_tries: 4, hardening_level: "INFO", hardening_forward: false });
    expect(p.overrides).toEqual({ hardening_max_tries: 4 });
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("extends: deselect and params on top of the parent", () => {
    const p = resolveProfile(cat, "strict");
    expect(p.controls).toEqual(["ssh.max-auth-tries", "ssh.log-level", "kernel.forward"]);
    expect(p.params.hardening_max_tries).toBe(2);
    expect(p.params.hardening_level).toBe("VERBOSE");
    expect(p.chain.map((c) => c.name)).toEqual(["base", "strict"]);
  });

  it("a user file extends a shipped profile by name and another file by relative path", () => {
    const user = mkdtempSync(join(tmpdir(), "keel-profile-"));
    writeFileSync(join(user, "mid.yml"), "profile: mid\nextends: strict\nselect: [ssh.banner]\ndeselect: ['kernel.*']\n");
    writeFileSync(join(user, "site.yml"), "profile: site\nextends: ./mid.yml\nparams:\n  hardening_forward: true\n");
    const p = resolveProfile(cat, join(user, "site.yml"));
    expect(p.controls).toEqual(["ssh.max-auth-tries", "ssh.log-level", "ssh.banner"]);
    expect(p.params).toEqual({ hardening_max_tries: 2, hardening_level: "VERBOSE", hardening_forward: true });
    expect(p.chain.map((c) => c.name)).toEqual(["base", "strict", "mid", "site"]);
    expect(resolveProfile(cat, join(user, "mid.yml")).sha256).not.toBe(p.sha256);
  });

  const bad: [string, string, RegExp, number][] = [
    [
      "unknown control",
      "profile: u\nextends: base\ndeselect: [ssh.max-auth-trie]\n",
      /unknown control 'ssh.max-auth-trie' in deselect, did you mean 'ssh.max-auth-tries'/,
      3,
    ],
    ["glob matching nothing", "profile: u\nselect: ['web.*']\n", /'web.\*' in select matches no control/, 2],
    ["unknown parameter", "profile: u\nparams:\n  hardening_max_trie: 3\n", /unknown parameter 'hardening_max_trie', did you mean 'hardening_max_tries'/, 3],
    ["parameter of the wrong type", "profile: u\nparams:\n  hardening_max_tries: many\n", /must be a number \(its default is 4\), got a string/, 3],
    [
      "a value outside the parameter's param_values",
      "profile: u\nparams:\n  hardening_level: DEBUG\n",
      /parameter 'hardening_level' must be one of "INFO", "VERBOSE", got "DEBUG"/,
      3,
    ],
    [
      "a newline in a value (it becomes a line of a host file)",
      'profile: u\nparams:\n  hardening_level: "INFO\\nPermitRootLogin yes"\n',
      /parameter 'hardening_level' contains a newline/,
      3,
    ],
    ["a NUL in a value", 'profile: u\nparams:\n  hardening_level: "INFO\\0"\n', /parameter 'hardening_level' contains a NUL/, 3],
    ["unknown profile name", "profile: u\nextends: strikt\n", /unknown profile 'strikt', did you mean 'strict'/, 2],
    ["unknown key", "profile: u\nselects: [ssh.banner]\n", /unknown key 'selects'.*did you mean 'select'/, 2],
  ];
  it.each(bad)("rejects a profile with %s at its line", (_n, text, msg, line) => {
    const user = mkdtempSync(join(tmpdir(), "keel-profile-"));
    const f = join(user, "p.yml");
    writeFileSync(f, text);
    const e = inputError(() => resolveProfile(cat, f));
    expect(e.message).toMatch(msg);
    expect(e.pos).toMatchObject({ file: f, line });
  });

  it("rejects an extends cycle and an unknown shipped name", () => {
    const user = mkdtempSync(join(tmpdir(), "keel-profile-"));
    writeFileSync(join(user, "a.yml"), "profile: a\nextends: ./b.yml\n");
    writeFileSync(join(user, "b.yml"), "profile: b\nextends: ./a.yml\n");
    expect(inputError(() => resolveProfile(cat, join(user, "a.yml"))).message).toMatch(/extends itself/);
    expect(inputError(() => resolveProfile(cat, "nope")).hint).toMatch(/shipped profiles: base, strict/);
  });
});

describe("controlForTask and applies", () => {
  const cat = loadCatalog(fixture());
  it("maps a task's tags to its control id", () => {
    expect(controlForTask(cat, ["ssh", "ssh.max-auth-tries"])).toBe("ssh.max-auth-tries");
    expect(controlForTask(cat, ["always"])).toBeUndefined();
  });
  it("evaluates applies_when over facts and names the expression", () => {
    const c = cat.controls.get("ssh.max-auth-tries")!;
    expect(applies(c, { facts: { os_family: "debian" } })).toEqual({ applies: true, reason: "applies_when `facts.os_family == 'debian'` is true" });
    expect(applies(c, { facts: { os_family: "redhat" } }).applies).toBe(false);
    expect(applies(cat.controls.get("ssh.log-level")!, {}).applies).toBe(true);
  });
});

describe("the shipped role's sysctl tasks", () => {
  // A scanner reads the running kernel: a kernel-wide key that is only persisted is not in effect
  // until the next boot, so by default the role sets every key live too (and the check compares
  // the live value). Persisting only is an explicit choice for shared kernels (containers, lab).
  it("set every key in the running kernel unless hardening_sysctl_kernel_live is false", () => {
    const c = loadCatalog();
    expect(c.params.get("hardening_sysctl_kernel_live")?.default).toBe(true);
    const tasks: { file: string; name: string; reload: unknown }[] = [];
    for (const f of readdirSync(join(c.dir, "tasks"))) {
      const doc = parseYaml(readFileSync(join(c.dir, "tasks", f), "utf8")) as Record<string, unknown>[] | null;
      for (const t of doc ?? []) {
        const args = (t.sysctl ?? t["ansible.posix.sysctl"]) as Record<string, unknown> | undefined;
        if (args) tasks.push({ file: f, name: String(t.name), reload: args.reload });
      }
    }
    expect(tasks.length).toBeGreaterThan(15);
    for (const t of tasks) expect([undefined, true, "{{ hardening_sysctl_kernel_live }}"], `${t.file}: ${t.name}`).toContain(t.reload);
    expect(tasks.filter((t) => t.reload === "{{ hardening_sysctl_kernel_live }}").map((t) => t.name.split(" ")[0])).toEqual(
      expect.arrayContaining(["kernel.aslr", "kernel.ptrace-scope", "coredump.suid-dumpable"]),
    );
  });
});
