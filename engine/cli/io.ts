// The CLI's view of the terminal. Only engine/cli writes to stdout/stderr.
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a TTY (live progress, tables) */
  isTTY: boolean;
  /** Colors allowed: a TTY and NO_COLOR unset (FORCE_COLOR overrides). */
  color: boolean;
}

export function processIO(): CliIO {
  // `keel … | head`: a closed pipe ends the program quietly, as it does for other shell tools.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
  }
  const isTTY = Boolean(process.stdout.isTTY);
  const color = process.env.FORCE_COLOR ? true : isTTY && !("NO_COLOR" in process.env);
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTTY,
    color,
  };
}
