// A CliIO that keeps what a command prints, for tests that call the CLI's main() directly: not a
// TTY, no colour, stdout and stderr collected as text.
import type { CliIO } from "../engine/cli/io.js";

export type CapturedIO = CliIO & { stdout: string; stderr: string };

export function captureIO(): CapturedIO {
  const o: CapturedIO = { stdout: "", stderr: "", isTTY: false, color: false, out: (t) => void (o.stdout += t), err: (t) => void (o.stderr += t) };
  return o;
}
