// The CLI's view of the terminal. Only engine/cli writes to stdout/stderr.
import { redactText } from "../core/secrets.js";

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a TTY (live progress, tables) */
  isTTY: boolean;
  /** Colors allowed: a TTY and NO_COLOR unset (FORCE_COLOR overrides). */
  color: boolean;
}

export function processIO(): CliIO {
  // `keel run … | head`: when the reader goes away (EPIPE) or the terminal does (EIO), the stream
  // is marked closed and later output is dropped. The run itself goes on to its end: stopping it
  // would leave later tasks undone, and exiting 0 here would hide a failed host. The exit code is
  // the one the run earns. (Files given with --json/--log are still written.)
  const closed = new Set<NodeJS.WriteStream>();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", () => {
      closed.add(stream);
    });
  }
  const write = (stream: NodeJS.WriteStream, t: string) => {
    if (closed.has(stream) || stream.destroyed) return;
    try {
      stream.write(t);
    } catch {
      closed.add(stream);
    }
  };
  const isTTY = Boolean(process.stdout.isTTY);
  const color = process.env.FORCE_COLOR ? true : isTTY && !("NO_COLOR" in process.env);
  return {
    out: (t) => write(process.stdout, t),
    err: (t) => write(process.stderr, t),
    isTTY,
    color,
  };
}

/**
 * The same terminal with every known secret (decrypted vault values: engine/core/secrets.ts)
 * masked in everything written: results, errors, inventory listings. main() wraps the process IO
 * with it, so no command can print a secret by mistake.
 */
export function redactingIO(io: CliIO): CliIO {
  return { ...io, out: (t) => io.out(redactText(t)), err: (t) => io.err(redactText(t)) };
}
