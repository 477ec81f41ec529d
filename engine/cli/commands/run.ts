// keel run — owned by the run work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerRun(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
