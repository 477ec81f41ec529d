// keel facts — owned by the facts work; registered from engine/cli/main.ts.
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

export function registerFacts(_program: Command, _ctx: CommandContext): void {
  // not registered yet
}
