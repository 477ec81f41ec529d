// keel schema — owned by the schema work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerSchema(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
