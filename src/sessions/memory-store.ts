import type { ClientSessionStore } from './client-store.ts';
import type { StoredSession } from './stored-session.ts';

/** Bounds of a {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Server names kept; the least recently used goes first (default 256). */
  maxKeys?: number;
  /** Sessions kept per server name; the oldest goes first (default 4). */
  maxPerKey?: number;
}

/**
 * A bounded in-memory {@link ClientSessionStore}: least recently used server names are evicted,
 * and each name keeps its newest few sessions. The default store of a client config.
 */
export class MemorySessionStore implements ClientSessionStore {
  /** Map order is recency order: a put moves its key to the end. */
  private readonly byKey = new Map<string, StoredSession[]>();
  private readonly maxKeys: number;
  private readonly maxPerKey: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.maxKeys = Math.max(1, options.maxKeys ?? 256);
    this.maxPerKey = Math.max(1, options.maxPerKey ?? 4);
  }

  async put(key: string, session: StoredSession): Promise<void> {
    const list = this.byKey.get(key) ?? [];
    this.byKey.delete(key);
    list.push(session);
    while (list.length > this.maxPerKey) list.shift();
    this.byKey.set(key, list);
    while (this.byKey.size > this.maxKeys) {
      const oldest = this.byKey.keys().next().value as string;
      this.byKey.delete(oldest);
    }
  }

  async take(key: string): Promise<StoredSession | undefined> {
    // Synchronous between the read and the removal: no other caller can take the same session.
    const list = this.byKey.get(key);
    const session = list?.pop();
    if (list && list.length === 0) this.byKey.delete(key);
    return session;
  }

  /** How many sessions are held under `key` (for tests and diagnostics). */
  count(key: string): number {
    return this.byKey.get(key)?.length ?? 0;
  }
}

const defaults = new WeakMap<object, MemorySessionStore>();

/**
 * The in-memory store a client config uses when it names none: one per config object, so
 * connections made with the same config resume each other's sessions and different configs
 * never share them.
 */
export function defaultSessionStore(config: object): MemorySessionStore {
  let store = defaults.get(config);
  if (!store) {
    store = new MemorySessionStore();
    defaults.set(config, store);
  }
  return store;
}
