// keel history — owned by the history work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerHistory(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
