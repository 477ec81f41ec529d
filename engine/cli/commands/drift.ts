// keel drift — owned by the drift work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerDrift(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
