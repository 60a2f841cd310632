import { toHex } from '../util/bytes.ts';

/**
 * A server's stateful session cache, for TLS 1.2 session-ID resumption (RFC 5246 §7.3, §F.1.4)
 * and TLS 1.3 stateful tickets: session ID or ticket → session state (the plain bytes of `encodeServerState`). Asynchronous so it
 * can be shared (a KV store) across a fleet; entries hold master secrets and must be kept as
 * private as keys.
 */
export interface ServerSessionCache {
  /** Stores a session's state under its ID. */
  put(id: Uint8Array, state: Uint8Array): Promise<void>;
  /** The state stored under `id`, or undefined when unknown or expired. */
  get(id: Uint8Array): Promise<Uint8Array | undefined>;
  /** Forgets `id` (a TLS 1.3 stateful ticket is used once). Optional. */
  remove?(id: Uint8Array): Promise<void>;
}

/** Options of {@link MemorySessionCache}. */
export interface MemorySessionCacheOptions {
  /** Entries kept; the least recently used goes first (default 1024). */
  maxEntries?: number;
  /** Seconds an entry stays usable (default 7200). */
  lifetimeSeconds?: number;
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
}

/** A bounded in-memory {@link ServerSessionCache} with least-recently-used eviction. */
export class MemorySessionCache implements ServerSessionCache {
  private readonly entries = new Map<string, { state: Uint8Array; storedAt: number }>();
  private readonly maxEntries: number;
  private readonly lifetimeMs: number;
  private readonly now: () => number;

  constructor(options: MemorySessionCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 1024);
    this.lifetimeMs = (options.lifetimeSeconds ?? 7200) * 1000;
    this.now = options.now ?? Date.now;
  }

  async put(id: Uint8Array, state: Uint8Array): Promise<void> {
    const key = toHex(id);
    this.entries.delete(key);
    this.entries.set(key, { state: state.slice(), storedAt: this.now() });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    const key = toHex(id);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt > this.lifetimeMs) {
      this.entries.delete(key);
      return undefined;
    }
    // Refresh its place in the eviction order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.state;
  }

  async remove(id: Uint8Array): Promise<void> {
    this.entries.delete(toHex(id));
  }

  /** How many entries are held. */
  get size(): number {
    return this.entries.size;
  }
}
