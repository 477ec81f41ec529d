// keel config: the ansible.cfg settings keel honours, each with its effective value and where it
// came from (the environment variable, or file:line of ansible.cfg), as `ansible-config dump`.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { SETTINGS, findConfigFile, resolveSettings } from "../../config/ansiblecfg.js";

export function registerConfig(program: Command, ctx: CommandContext): void {
  program
    .command("config")
    .description("Show the ansible.cfg / ANSIBLE_* settings keel honours: effective value and where each came from (CLI flags still win).")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }) => {
      const file = findConfigFile(process.env);
      const { settings } = resolveSettings(process.env, file);
      const rows = SETTINGS.map((d) => {
        const s = settings[d.name];
        const value = s === undefined ? "" : Array.isArray(s.value) ? s.value.join(d.name === "inventory" ? "," : ":") : String(s.value);
        return { setting: d.name, value, source: s?.source ?? "default (not set)", use: d.use };
      });
      if (o.json) {
        ctx.io.out(JSON.stringify({ config_file: file ?? null, settings: rows }, null, 2) + "\n");
        return;
      }
      ctx.io.out(`config file: ${file ?? "none (looked at ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg)"}\n`);
      const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => [r.setting, r.value, r.source][i]!.length), ["setting", "value", "source"][i]!.length));
      const line = (c: string[]) =>
        c
          .map((x, i) => (i < 3 ? x.padEnd(w[i]!) : x))
          .join("  ")
          .trimEnd() + "\n";
      ctx.io.out(line(["setting", "value", "source", "what keel does with it"]));
      for (const r of rows) ctx.io.out(line([r.setting, r.value, r.source, r.use]));
    });
}
