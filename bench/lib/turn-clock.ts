/**
 * Charges wall time to whichever side of a two-party exchange holds the turn. Over an in-memory
 * link the sides never work at once: a side works from the moment bytes reach it until its
 * answer reaches the peer, so everything in between (its crypto, its protocol code, its stream
 * machinery) is its own cost.
 */
export type Side = 'client' | 'server';

export class TurnClock {
  client = 0;
  server = 0;
  private side: Side | null = null;
  private since = 0;

  /** From now on, time is `side`'s. */
  turn(side: Side): void {
    const now = performance.now();
    if (this.side) this[this.side] += now - this.since;
    this.side = side;
    this.since = now;
  }

  /** Stops charging (the exchange is over). */
  stop(): void {
    const now = performance.now();
    if (this.side) this[this.side] += now - this.since;
    this.side = null;
  }

  /** Runs `work` on `side`'s account and returns to nobody's. */
  async charge<T>(side: Side, work: () => Promise<T> | T): Promise<T> {
    this.turn(side);
    try {
      return await work();
    } finally {
      this.stop();
    }
  }
}
