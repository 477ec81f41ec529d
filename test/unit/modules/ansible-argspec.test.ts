// Every argument (and alias) of every Ansible module keel stands for, read from the INSTALLED
// ansible-core and collections (their documentation plus the argument_spec the code hands
// AnsibleModule; ansible-argspec.py), is either in the keel module's schema (or its argAliases) or
// in its refusedArgs with a reason, and a refused one stops the load with that reason. Nothing is
// dropped. Skipped, saying so, when no python3 with ansible is installed (.ci/run installs it).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { registry, MODULES } from "../../../modules/index.js";
import { checkArgs } from "../../../engine/playbook/args.js";
import type { ModuleDef } from "../../../engine/core/module.js";

/** Ansible's names for modules of ansible.posix (the rest of the short names are ansible.builtin). */
const POSIX = new Set(["mount", "sysctl", "authorized_key"]);
/** keel aliases that name no Ansible module. */
const KEEL_ONLY = new Set(["nftables"]);
/** Names in Ansible's argument lists that are not arguments a task gives, and why keel need not take them. */
const NOT_USER_ARGS: Record<string, string> = {
  _original_basename: "internal: set by the copy/template action plugin for the module",
  _diff_peek: "internal: set by the file action plugin for --diff",
  _raw_params: "internal: the free-form text, which keel's loader parses itself",
  _uses_shell: "internal: set by the shell action plugin",
  free_form: "documentation name of the free-form text, not a key",
  "free-form": "documentation name of the free-form text, not a key",
  key_value: "documentation name of set_fact's key=value pairs, not a key",
  others: "documentation placeholder for the file module's arguments, which are listed separately",
};

function python(): string | undefined {
  for (const py of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(py, ["-c", "import ansible.module_utils.basic"], { stdio: "ignore" });
      return py;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** FQCN → keel module, from every alias of every module. */
function ansibleNames(): Map<string, ModuleDef> {
  const out = new Map<string, ModuleDef>();
  for (const m of MODULES)
    for (const a of m.aliases ?? []) {
      if (KEEL_ONLY.has(a)) continue;
      if (!a.includes(".") && (m.aliases ?? []).some((x) => x.endsWith(`.${a}`))) continue; // its FQCN alias is listed
      out.set(a.includes(".") ? a : `${POSIX.has(a) ? "ansible.posix" : "ansible.builtin"}.${a}`, m);
    }
  return out;
}

interface Spec {
  source: string;
  args: Record<string, string[]>;
}

const py = python();
const names = ansibleNames();
const specs: Record<string, Spec> = py
  ? (JSON.parse(
      execFileSync(py, [fileURLToPath(new URL("./ansible-argspec.py", import.meta.url)), ...names.keys()], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ANSIBLE_NOCOLOR: "1" },
      }),
    ) as Record<string, Spec>)
  : {};

const pos = { file: "pb.yml", line: 1, col: 1 };
function loadError(m: ModuleDef, arg: string): string | undefined {
  try {
    checkArgs(m, { [arg]: "x" }, { [arg]: pos }, pos);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe.skipIf(!py)("installed ansible-core's arguments: each implemented by keel or refused with a reason", () => {
  for (const [fqcn, m] of names) {
    describe(`${fqcn} (${m.name})`, () => {
      const spec = specs[fqcn];
      const props = new Set([...Object.keys((m.args.properties ?? {}) as object), ...Object.keys(m.argAliases ?? {})]);
      const refused = m.refusedArgs ?? {};
      it("Ansible has this module and its arguments", () => {
        expect(spec, `${fqcn}: ansible-doc knows no such module`).toBeDefined();
      });
      it("every argument and alias is in the schema or refused with a reason", () => {
        const all = Object.entries(spec?.args ?? {}).flatMap(([a, al]) => [a, ...al]);
        const neither = all.filter((a) => !props.has(a) && !Object.hasOwn(refused, a) && !Object.hasOwn(NOT_USER_ARGS, a));
        expect(neither, `${fqcn}: arguments neither in ${m.name}'s schema nor in its refusedArgs`).toEqual([]);
      });
      it("refusedArgs are not in the schema, and each gives a reason", () => {
        for (const [a, why] of Object.entries(refused)) {
          expect(props.has(a), `${m.name}: '${a}' is both in the schema and refused`).toBe(false);
          expect(why.length, `${m.name}: '${a}' refused without a reason`).toBeGreaterThan(10);
        }
      });
      for (const [a, why] of Object.entries(refused)) {
        it(`${a}: the load stops, naming it and the reason`, () => {
          const err = loadError(m, a);
          expect(err).toContain(`argument '${a}' of module '${m.name}' is not implemented by keel`);
          expect(err).toContain(why);
        });
      }
    });
  }
  it("the capture reads argument_spec from the code, aliases included (copy, apt)", () => {
    expect(specs["ansible.builtin.copy"]?.source).toBe("argument_spec");
    expect(specs["ansible.builtin.copy"]?.args.attributes).toContain("attr");
    expect(specs["ansible.builtin.apt"]?.args.name).toEqual(expect.arrayContaining(["package", "pkg"]));
  });
  it("the registry resolves every Ansible name it is checked under", () => {
    for (const fqcn of names.keys()) expect(registry.get(fqcn), fqcn).toBeDefined();
  });
});
