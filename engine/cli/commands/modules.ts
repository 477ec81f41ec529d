// keel modules — owned by the modules work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerModules(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
