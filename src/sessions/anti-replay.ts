/**
 * 0-RTT anti-replay (RFC 8446 §8): a server accepts early data for a given ticket at most once.
 * The server claims a key derived from the ticket (the PSK identity) before it accepts early
 * data; a second ClientHello with the same ticket, whether a replay captured off the wire or a
 * client reusing a ticket, finds the key claimed and its early data is rejected (the handshake
 * goes on as 1-RTT). The ticket-age freshness window (§8.3) bounds how long keys are kept.
 */

/**
 * Where a server records which tickets have carried accepted 0-RTT data. Every server that can
 * open the same tickets must share one store, or a replay sent to another server is accepted.
 */
export interface AntiReplayStore {
  /**
   * Records `key` for `ttlMs` milliseconds, atomically: resolves true when the key was not
   * recorded (the first use: accept the early data), false when it already was (a replay:
   * reject it). When the store cannot answer, it must reject (resolve false or throw), never
   * accept: a store that fails open lets replays through.
   *
   * @param key printable ASCII, at most 128 characters (a hex digest), safe as a database key
   * @param ttlMs how long the record must last at least: the ticket's remaining lifetime
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/** Bounds of a {@link MemoryAntiReplayStore}. */
export interface MemoryAntiReplayStoreOptions {
  /** Keys held at most (default 65536). When full of unexpired keys, claims are refused. */
  maxEntries?: number;
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
}

/**
 * An in-memory {@link AntiReplayStore} for one server process. A fleet needs a shared store
 * (Redis, a Durable Object). It fails closed: when it holds `maxEntries` unexpired keys, new
 * claims are refused (the early data is rejected, the handshake still succeeds).
 */
export class MemoryAntiReplayStore implements AntiReplayStore {
  /** key → expiry (ms). Map order is insertion order, so the oldest expire first. */
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryAntiReplayStoreOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 65536);
    this.now = options.now ?? Date.now;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    this.expiries.delete(key);
    if (this.expiries.size >= this.maxEntries) this.purge(now);
    if (this.expiries.size >= this.maxEntries) return false;
    this.expiries.set(key, now + Math.max(0, ttlMs));
    return true;
  }

  /** How many keys are held (for tests and diagnostics). */
  get size(): number {
    return this.expiries.size;
  }

  /** Drops expired keys. Entries have different TTLs, so the whole map is scanned. */
  private purge(now: number): void {
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
  }
}
