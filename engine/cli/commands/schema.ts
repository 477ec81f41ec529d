// keel schema — print a JSON Schema for editors: yaml-language-server reads it for completion,
// hovers and validation. `playbook` (default): keywords plus every module's arguments;
// `controls`: the hardening catalog's files (catalog.yml, controls/*.yml, profiles and user profiles);
// `waivers`: keel audit's waivers file (-w), with the catalog's control ids.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { registry } from "../../../modules/index.js";
import { playbookSchema } from "../../playbook/index.js";
import { controlsSchema, loadCatalog } from "../../controls/catalog.js";
import { waiversSchema } from "../../report/audit/waivers.js";
import { InputError, didYouMean } from "../../core/errors.js";

const KINDS = ["playbook", "controls", "waivers"];

export function registerSchema(program: Command, ctx: CommandContext): void {
  program
    .command("schema")
    .argument("[kind]", `what the schema describes: ${KINDS.join(" or ")}`, "playbook")
    .description(
      "Print a JSON Schema for playbooks (default), hardening catalog and profile files, or audit waivers files, for editor completion and validation",
    )
    .addHelpText(
      "after",
      `
Use it with yaml-language-server (VS Code's YAML extension, Neovim, Helix…):
  keel schema > keel-playbook.schema.json
then put this first line in a playbook:
  # yaml-language-server: $schema=./keel-playbook.schema.json
For a hardening profile file (one that extends cis-level1-server or devsec):
  keel schema controls > keel-controls.schema.json
For a waivers file (keel audit -w FILE):
  keel schema waivers > keel-waivers.schema.json`,
    )
    .action((kind: string) => {
      if (!KINDS.includes(kind)) {
        const sug = didYouMean(kind, KINDS);
        throw new InputError(`unknown schema '${kind}'${sug ? `, did you mean '${sug}'?` : ""}`, undefined, `keel schema takes: ${KINDS.join(", ")}`);
      }
      const schema = kind === "controls" ? controlsSchema() : kind === "waivers" ? waiversSchema(loadCatalog().ids) : playbookSchema(registry);
      ctx.io.out(JSON.stringify(schema, null, 2) + "\n");
    });
}
