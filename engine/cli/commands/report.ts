// keel report — owned by the report work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerReport(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
