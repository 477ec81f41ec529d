// keel modules [NAME] — list the modules, or show one module's arguments from its JSON Schema.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { InputError } from "../../core/errors.js";
import type { ModuleDef } from "../../core/module.js";
import type { Registry } from "../../core/registry.js";
import { registry } from "../../../modules/index.js";
import { argRows, argRules } from "../../playbook/describe.js";

export function registerModules(program: Command, ctx: CommandContext): void {
  program
    .command("modules")
    .argument("[name]", "a module name or alias (copy, files.copy, ansible.builtin.copy)")
    .option("--json", "print JSON (the list, or the module's name, aliases, description and argument schema)")
    .description("List the modules, or show one module's arguments")
    .addHelpText("after", "\nExamples:\n  keel modules             # every module with its aliases\n  keel modules copy        # the arguments of files.copy")
    .action((name: string | undefined, opts: { json?: boolean }) => {
      ctx.io.out(name ? showModule(registry, name, !!opts.json) : listModules(registry, !!opts.json));
    });
}

/** The module list as text (name, aliases, description) or JSON. */
export function listModules(reg: Registry, json: boolean): string {
  const mods = [...reg.modules].sort((a, b) => a.name.localeCompare(b.name));
  if (json)
    return (
      JSON.stringify(
        mods.map((m) => ({ name: m.name, aliases: m.aliases ?? [], description: m.description })),
        null,
        2,
      ) + "\n"
    );
  const rows = mods.map((m) => [m.name, (m.aliases ?? []).join(", "), m.description]);
  const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(7, ...rows.map((r) => r[1]!.length));
  const line = (r: string[]) => `${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`.trimEnd() + "\n";
  let out = line(["NAME", "ALIASES", "DESCRIPTION"]);
  for (const r of rows) out += line(r);
  out += `\n${mods.length} modules. \`keel modules NAME\` shows a module's arguments; \`ansible.builtin.\` + an alias also works.\n`;
  return out;
}

/** One module's arguments as text or JSON; an unknown name is an InputError with did-you-mean. */
export function showModule(reg: Registry, name: string, json: boolean): string {
  const m: ModuleDef | undefined = reg.get(name);
  if (!m) {
    const sug = reg.suggest(name);
    throw new InputError(`unknown module '${name}'${sug ? `, did you mean '${sug}'?` : ""}`, undefined, "`keel modules` lists the modules");
  }
  if (json) return JSON.stringify({ name: m.name, aliases: m.aliases ?? [], description: m.description, freeForm: m.freeForm, args: m.args }, null, 2) + "\n";
  let out = `${m.name} — ${m.description}\n`;
  if (m.aliases?.length) out += `aliases: ${m.aliases.join(", ")} (also as ansible.builtin.${m.aliases[0]})\n`;
  if (m.freeForm)
    out += `free form: the text after the module name is '${m.freeForm}' (e.g. \`${m.aliases?.[0] ?? m.name}: …\`), key=value options may follow\n`;
  out += "\nArguments:\n";
  for (const r of argRows(m)) {
    const facts = [r.type, r.required ? "required" : ""];
    if (r.default !== undefined) facts.push(`default ${JSON.stringify(r.default)}`);
    if (r.choices) facts.push(`one of: ${r.choices.map((c) => String(c)).join(", ")}`);
    out += `  ${r.name} (${facts.filter(Boolean).join("; ")})\n`;
    if (r.description) out += wrap(r.description, 6, 100);
  }
  const rules = argRules(m);
  if (rules.length) out += `\n${rules.join("\n")}\n`;
  return out;
}

function wrap(text: string, indent: number, width: number): string {
  const pad = " ".repeat(indent);
  let line = "";
  let out = "";
  for (const word of text.split(/\s+/)) {
    if (line && pad.length + line.length + 1 + word.length > width) {
      out += pad + line + "\n";
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out += pad + line + "\n";
  return out;
}
