// keel schema — print a JSON Schema for playbooks (keywords plus every module's arguments) for
// editors: yaml-language-server reads it for completion, hovers and validation.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { registry } from "../../../modules/index.js";
import { playbookSchema } from "../../playbook/index.js";

export function registerSchema(program: Command, ctx: CommandContext): void {
  program
    .command("schema")
    .description("Print a JSON Schema for playbooks, for editor completion and validation")
    .addHelpText(
      "after",
      `
Use it with yaml-language-server (VS Code's YAML extension, Neovim, Helix…):
  keel schema > keel-playbook.schema.json
then put this first line in a playbook:
  # yaml-language-server: $schema=./keel-playbook.schema.json`,
    )
    .action(() => {
      ctx.io.out(JSON.stringify(playbookSchema(registry), null, 2) + "\n");
    });
}
