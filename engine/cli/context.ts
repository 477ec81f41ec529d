import type { CliIO } from "./io.js";

/** Shared by every command: where to print and the exit code to return. */
export interface CommandContext {
  io: CliIO;
  exitCode: number;
}
