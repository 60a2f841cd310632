/**
 * TurnClock's accounting (bench/lib/turn-clock.ts) in CPU time instead of wall time: each side
 * is charged the process's CPU time (user + system, every thread) while it holds the turn. On a
 * shared machine time spent descheduled is nobody's, so the split holds up under load; work a
 * side hands to the thread pool (WebCrypto) still counts, the wait for it does not.
 */
import type { Side } from './turn-clock.ts';

/** Milliseconds of CPU this process has used. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export class CpuTurnClock {
  client = 0;
  server = 0;
  private side: Side | null = null;
  private since = 0;

  /** From now on, CPU time is `side`'s. */
  turn(side: Side): void {
    const now = cpuMs();
    if (this.side) this[this.side] += now - this.since;
    this.side = side;
    this.since = now;
  }

  /** Stops charging (the exchange is over). */
  stop(): void {
    const now = cpuMs();
    if (this.side) this[this.side] += now - this.since;
    this.side = null;
  }
}
