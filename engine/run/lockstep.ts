// `strategy: linear`: every host of a batch finishes task N before any host starts task N+1.
// Each host passes `arrive()` before each task; a host that is done with the play (or failed)
// calls `leave()` so the others never wait for it.

export class Lockstep {
  private waiting = 0;
  private release: (() => void) | undefined;
  private gate: Promise<void>;

  constructor(private parties: number) {
    this.gate = this.newGate();
  }

  private newGate(): Promise<void> {
    return new Promise<void>((r) => (this.release = r));
  }

  /** Wait until every remaining host has arrived too. */
  arrive(): Promise<void> {
    const gate = this.gate;
    this.waiting++;
    this.maybeOpen();
    return gate;
  }

  /** This host takes no further steps. */
  leave(): void {
    this.parties--;
    this.maybeOpen();
  }

  private maybeOpen(): void {
    if (this.waiting > 0 && this.waiting >= this.parties) {
      const open = this.release!;
      this.waiting = 0;
      this.gate = this.newGate();
      open();
    }
  }
}
