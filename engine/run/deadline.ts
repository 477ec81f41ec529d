// The per-host deadline (--host-timeout): a host that accepts TCP and then stalls (a frozen sshd,
// a hung NFS mount under a probe) must never stall the run. Past the deadline, whatever the host
// is waiting for loses the race to a ConnectionError("timeout"); the runner reports the host
// unreachable and drops its connection.
import { ConnectionError } from "../core/errors.js";

export class Deadline {
  private timer?: ReturnType<typeof setTimeout>;
  private expired?: Promise<never>;
  /** The deadline has passed. */
  passed = false;

  constructor(
    private readonly host: string,
    /** ms; 0 or undefined: no deadline. */
    private readonly ms: number | undefined,
  ) {}

  /** Start counting (once; later calls do nothing). */
  arm(): void {
    const ms = this.ms;
    if (!ms || ms <= 0 || this.expired) return;
    this.expired = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        this.passed = true;
        reject(
          new ConnectionError(
            `no answer within the per-host deadline of ${+(ms / 1000).toFixed(1)} s (--host-timeout); the host may accept connections and then stall`,
            "timeout",
            this.host,
          ),
        );
      }, ms);
    });
    this.expired.catch(() => undefined);
  }

  /** `work`, or the deadline's ConnectionError when it passes first. */
  race<T>(work: () => Promise<T>): Promise<T> {
    if (!this.expired) return work();
    const w = work();
    // the work may still end (or fail) after the deadline: nobody waits for it any more
    w.catch(() => undefined);
    return Promise.race([w, this.expired]);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
