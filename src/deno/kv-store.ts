import { TlsError } from '../error.ts';
import type { ClientSessionStore } from '../sessions/client-store.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  MAX_SESSION_LIFETIME,
  type StoredSession,
  sessionUsable,
} from '../sessions/stored-session.ts';

/** A part of a KV key, as Deno KV accepts it. */
export type KvKeyPart = string | number | bigint | boolean | symbol | Uint8Array;
/** A KV key: a list of parts, ordered part by part. */
export type KvKey = readonly KvKeyPart[];

/** An entry read from the store. */
export interface KvEntry {
  key: KvKey;
  value: unknown;
  versionstamp: string;
}

/** The part of Deno KV's atomic operation this store uses. */
export interface KvAtomic {
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  delete(key: KvKey): KvAtomic;
  commit(): Promise<{ ok: boolean }>;
}

/**
 * The part of a `Deno.Kv` this store uses, typed here so the core needs no Deno types: the
 * object `Deno.openKv()` returns fits it, and so does any store with the same semantics.
 */
export interface KvLike {
  list(
    selector: { prefix: KvKey },
    options?: { reverse?: boolean; limit?: number },
  ): AsyncIterable<KvEntry>;
  set(key: KvKey, value: unknown, options?: { expireIn?: number }): Promise<unknown>;
  atomic(): KvAtomic;
}

/** Options of a {@link DenoKvSessionStore}. */
export interface DenoKvSessionStoreOptions {
  /** The first key part of every entry (default `webtls-sessions`). */
  prefix?: string;
  /** Sessions kept per server name; the oldest goes first (default 4). */
  maxPerKey?: number;
}

/** How often one write is tried while SQLite reports the database locked by another handle. */
const LOCK_ATTEMPTS = 20;
/** The longest pause between those tries, in milliseconds (randomised below it). */
const LOCK_BACKOFF_MS = 10;
/** How many times take() lists the candidates again after losing every one of them to others. */
const LIST_ROUNDS = 3;

/**
 * A {@link ClientSessionStore} in Deno KV. Entries are `[prefix, serverName, id]` where `id`
 * orders by time of put, so a reverse list yields the newest first; each entry is written with
 * `expireIn` set to what is left of the session's lifetime, so KV drops it by itself.
 *
 * Single use across every isolate sharing the KV (Workers, processes opening the same file,
 * Deno Deploy instances): `take()` removes an entry with an atomic operation that checks the
 * entry's versionstamp, and only the caller whose commit succeeds returns it; a caller that
 * loses tries the next newest (RFC 8446 §C.4). When two handles on one SQLite file write at once,
 * Deno reports the database locked; the write is then tried again, a bounded number of times.
 *
 * The number of server names is bounded by expiry, not by a count. Sessions are stored in their
 * portable encoding and hold the session secrets: keep the KV as private as keys.
 *
 * Errors from KV reject with a {@link TlsError} (code `INTERNAL_ERROR`, layer `app`, `cause`
 * kept).
 */
export class DenoKvSessionStore implements ClientSessionStore {
  private readonly kv: KvLike;
  private readonly prefix: string;
  private readonly maxPerKey: number;
  /** Orders the ids of puts by this store within one millisecond. */
  private sequence = 0;

  constructor(kv: KvLike, options: DenoKvSessionStoreOptions = {}) {
    this.kv = kv;
    this.prefix = options.prefix ?? 'webtls-sessions';
    this.maxPerKey = Math.max(1, options.maxPerKey ?? 4);
  }

  /**
   * Adds a session under `key` unless it has already expired, then deletes the oldest sessions
   * under `key` beyond `maxPerKey`.
   */
  async put(key: string, session: StoredSession): Promise<void> {
    const now = Date.now();
    if (!sessionUsable(session, now)) return;
    const lifetime = Math.min(session.lifetime || MAX_SESSION_LIFETIME, MAX_SESSION_LIFETIME);
    const expireIn = Math.ceil(session.receivedAt + lifetime * 1000 - now);
    const data = encodeStoredSession(session);
    await this.retry('put', () =>
      this.kv.set([this.prefix, key, this.newId(now)], data, { expireIn }),
    );

    const entries = await this.list(key, this.maxPerKey + 8);
    for (const entry of entries.slice(this.maxPerKey)) {
      await this.retry('trim', () => this.kv.atomic().delete(entry.key).commit());
    }
  }

  /**
   * Removes and returns the newest usable session under `key`, or undefined. Entries found
   * expired or unreadable on the way are deleted and skipped.
   */
  async take(key: string): Promise<StoredSession | undefined> {
    const now = Date.now();
    for (let round = 0; round < LIST_ROUNDS; round++) {
      const entries = await this.list(key, this.maxPerKey + 8);
      if (entries.length === 0) return undefined;
      for (const entry of entries) {
        const session = decodeOrUndefined(entry.value);
        // The check makes the removal conditional: if another caller took (or replaced) this
        // entry since we listed it, the commit fails and nothing is removed. A commit retried
        // after "locked" that had in fact gone through fails its check: the ticket is lost,
        // never handed out twice.
        const removed = await this.retry('take', () =>
          this.kv
            .atomic()
            .check({ key: entry.key, versionstamp: entry.versionstamp })
            .delete(entry.key)
            .commit(),
        );
        if (removed.ok && session && sessionUsable(session, now)) return session;
      }
    }
    return undefined;
  }

  /** The newest `limit` entries under `key`, newest first. */
  private async list(key: string, limit: number): Promise<KvEntry[]> {
    return this.retry('list', async () => {
      const entries: KvEntry[] = [];
      for await (const entry of this.kv.list(
        { prefix: [this.prefix, key] },
        { reverse: true, limit },
      )) {
        entries.push(entry);
      }
      return entries;
    });
  }

  /**
   * An id that sorts by `now` and then by this store's sequence: 12 hex digits of milliseconds,
   * 8 of sequence, and 8 random ones so ids from different isolates never collide.
   */
  private newId(now: number): string {
    this.sequence = (this.sequence + 1) >>> 0;
    const random = crypto.getRandomValues(new Uint32Array(1))[0];
    return (
      now.toString(16).padStart(12, '0') +
      this.sequence.toString(16).padStart(8, '0') +
      random.toString(16).padStart(8, '0')
    );
  }

  /** Runs `op`, again after a short pause while the database is locked; wraps failures. */
  private async retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (error) {
        if (!isLocked(error) || attempt >= LOCK_ATTEMPTS) {
          const detail = error instanceof Error ? error.message : String(error);
          throw new TlsError('INTERNAL_ERROR', `tls: session store: ${what}: ${detail}`, {
            layer: 'app',
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * LOCK_BACKOFF_MS));
      }
    }
  }
}

/** Whether `error` is SQLite's "another connection is writing" (a try again later). */
function isLocked(error: unknown): boolean {
  return error instanceof Error && /database is locked|database is busy/i.test(error.message);
}

/** The session stored as `value`, or undefined when it is not one (written by something else). */
function decodeOrUndefined(value: unknown): StoredSession | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return decodeStoredSession(value);
  } catch {
    return undefined;
  }
}
