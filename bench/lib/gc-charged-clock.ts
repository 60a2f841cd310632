/**
 * A TurnClock (bench/lib/turn-clock.ts) that also charges garbage collection to the side under
 * measure. Both sides share one heap, and V8 collects when the heap fills, not when the side
 * that filled it runs: an allocation-heavy side's garbage may be collected during its peer's
 * turn, which would charge the peer for it.
 * So every GC pause that starts during the reference side's turn is moved to the measured side.
 * That is conservative for the measured side (it also pays for the reference's collections, the
 * same small amount whichever column it is) and keeps the reference's charge independent of the
 * column it meets.
 *
 * Pauses come from the 'gc' performance entries (main-thread pause, start and duration), which
 * Node delivers asynchronously: call `settle()` after the last turn, before reading.
 */
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { type Side, TurnClock } from './turn-clock.ts';

/** GC pauses seen since the observer started: start times and durations, ms. */
const starts: number[] = [];
const durations: number[] = [];
let observer: PerformanceObserver | undefined;

function observe(): void {
  if (observer) return;
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as PerformanceEntry[]) {
      starts.push(entry.startTime);
      durations.push(entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** Stops observing GC (lets the process exit). */
export function stopObservingGc(): void {
  observer?.disconnect();
  observer = undefined;
}

export class GcChargedClock {
  /** The plain wall-time split, GC where it fell. */
  readonly wall = new TurnClock();
  /** Milliseconds of GC moved from the reference side to the measured side. */
  moved = 0;
  /** Milliseconds of GC during either side's turn. */
  gc = 0;
  private readonly times: number[] = [];
  private readonly sides: (Side | null)[] = [];
  private readonly firstPause: number;

  constructor(readonly measured: Side) {
    observe();
    this.firstPause = starts.length;
  }

  turn(side: Side): void {
    this.times.push(performance.now());
    this.sides.push(side);
    this.wall.turn(side);
  }

  stop(): void {
    this.times.push(performance.now());
    this.sides.push(null);
    this.wall.stop();
  }

  /** Waits for pending GC entries, then attributes the pauses since construction. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    this.moved = 0;
    this.gc = 0;
    for (let i = this.firstPause; i < starts.length; i++) {
      const side = this.sideAt(starts[i]);
      if (!side) continue;
      this.gc += durations[i];
      if (side !== this.measured) this.moved += durations[i];
    }
  }

  /** Time charged to `side`, GC moved to the measured side. */
  charged(side: Side): number {
    return this.wall[side] + (side === this.measured ? this.moved : -this.moved);
  }

  /** The side holding the turn at time `t`, or null. */
  private sideAt(t: number): Side | null {
    let lo = 0;
    let hi = this.times.length - 1;
    if (hi < 0 || t < this.times[0]) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.times[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return this.sides[lo];
  }
}
