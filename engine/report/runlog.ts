// `--log FILE`: a run log through winston, one JSON line per event, with a timestamp.
// Secrets never reach the file: no_log results are already masked by the runner, and every string
// is scrubbed of the run's known secrets (SSH password, become password, …) and of the values of
// keys that look like passwords, before winston sees it.
import type { EventSink, KeelEvent } from "../core/events.js";

export const MASK = "(secret)";
const SECRET_KEY = /pass(word)?|secret|token|private_?key/i;

export interface RunLog {
  readonly sink: EventSink;
  /** Log one free-form line (CLI messages, the final summary). */
  info(message: string, meta?: Record<string, unknown>): void;
  /** Flush and close the file. */
  close(): Promise<void>;
}

/** Replace every occurrence of each secret in every string, and mask password-like keys. */
export function scrub(value: unknown, secrets: readonly string[]): unknown {
  const list = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string") {
      if (key !== undefined && SECRET_KEY.test(key) && v !== "") return MASK;
      let s = v;
      for (const sec of list) s = s.split(sec).join(MASK);
      return s;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value);
}

/** Open the run log. winston is loaded only here, so runs without --log do not pay for it. */
export async function createRunLog(file: string, opts: { secrets: readonly string[] }): Promise<RunLog> {
  const { default: winston } = await import("winston");
  const transport = new winston.transports.File({ filename: file });
  const logger = winston.createLogger({
    level: "info",
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
  const secrets = [...opts.secrets];
  return {
    sink: (e: KeelEvent) => {
      const clean = scrub(e, secrets) as Record<string, unknown>;
      logger.info(String(e.type), { event: clean });
    },
    info: (message, meta) => {
      logger.info(scrub(message, secrets) as string, meta ? (scrub(meta, secrets) as Record<string, unknown>) : undefined);
    },
    close: () =>
      new Promise<void>((resolve) => {
        transport.once("finish", () => resolve());
        logger.end();
      }),
  };
}
