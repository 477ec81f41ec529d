// keel inventory — owned by the inventory work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerInventory(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
