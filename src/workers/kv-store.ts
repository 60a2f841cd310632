import type { ClientSessionStore } from '../sessions/client-store.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  MAX_SESSION_LIFETIME,
  type StoredSession,
} from '../sessions/stored-session.ts';
import { fromBase64, toBase64, toHex } from '../util/bytes.ts';

/**
 * The part of a Workers KV namespace binding (`env.MY_KV`) that {@link WorkersKvSessionStore}
 * uses, typed by shape so that no Cloudflare type package is needed.
 */
export interface KvNamespaceLike {
  get(key: string, type: 'text'): Promise<string | null>;
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<{
    keys: { name: string; expiration?: number; metadata?: unknown }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** Options of a {@link WorkersKvSessionStore}. */
export interface WorkersKvSessionStoreOptions {
  /** Prepended to every KV key the store writes (default `webtls:session:`). */
  prefix?: string;
  /** Sessions kept per server name; the oldest go first (default 4). */
  maxPerKey?: number;
}

/** KV refuses an expirationTtl under 60 seconds. */
const KV_MIN_TTL_SECONDS = 60;
/** The most entries one take() or put() lists under a server name. */
const LIST_LIMIT = 100;
/**
 * How long this isolate remembers an entry it took. A KV delete can take about a minute to be
 * seen everywhere, and meanwhile a list or get here may still return the entry: remembering it
 * for longer than that keeps this isolate from handing it out twice.
 */
const TAKEN_MEMORY_MS = 120_000;
/** The most taken entries remembered; the oldest are forgotten first. */
const TAKEN_MAX = 10_000;
/** Width of the inverted put time in an entry name (ms since the epoch fit in 13 digits). */
const STAMP_DIGITS = 15;
const STAMP_MAX = 10 ** STAMP_DIGITS - 1;

/**
 * Entries taken (or being taken) in this isolate, by full KV name → when. Module-wide, so that
 * stores made per request over the same namespace share it; entry names end in a random suffix,
 * so names from different namespaces or prefixes never collide here.
 */
const taken = new Map<string, number>();
/** The last put time used in this isolate, kept increasing so puts here stay in order. */
let lastPutTime = 0;

/**
 * A {@link ClientSessionStore} in Workers KV, for clients that run in Cloudflare Workers and want
 * their sessions to outlive an isolate.
 *
 * Each session is one KV entry, `prefix + encodeURIComponent(serverName) + '/' + stamp + random`,
 * holding the portable encoding in base64. The stamp is the put time inverted, so that listing a
 * server name's prefix returns the newest first. The entry expires with the session's lifetime.
 *
 * **Single use holds only within one isolate.** KV is eventually consistent and has no
 * compare-and-delete: take() lists, reads, then deletes, and two isolates (or two locations)
 * taking at the same moment can both read the same entry before either delete is seen. Within
 * one isolate, a module-wide record of the entries being taken and recently taken guarantees that
 * concurrent take() calls never return the same session. Across isolates, a ticket may be offered
 * twice; a TLS 1.3 server that enforces single-use tickets then refuses the second resumption and
 * a full handshake follows, but a client sending 0-RTT data on it depends on the server's
 * anti-replay. When tickets must be single use across isolates, use
 * {@link DurableObjectSessionStore}. The bound per server name is likewise approximate: a put
 * trims what the listing shows.
 */
export class WorkersKvSessionStore implements ClientSessionStore {
  private readonly kv: KvNamespaceLike;
  private readonly prefix: string;
  private readonly maxPerKey: number;

  constructor(kv: KvNamespaceLike, options: WorkersKvSessionStoreOptions = {}) {
    this.kv = kv;
    this.prefix = options.prefix ?? 'webtls:session:';
    this.maxPerKey = Math.max(1, Math.min(LIST_LIMIT, options.maxPerKey ?? 4));
  }

  async put(key: string, session: StoredSession): Promise<void> {
    const now = Date.now();
    const lifetime = Math.min(session.lifetime || MAX_SESSION_LIFETIME, MAX_SESSION_LIFETIME);
    const remaining = Math.ceil((session.receivedAt + lifetime * 1000 - now) / 1000);
    if (remaining <= 0) return;

    // 1. Write the entry, named so that the newest sorts first under the server name's prefix.
    lastPutTime = Math.max(now, lastPutTime + 1);
    const stamp = String(STAMP_MAX - lastPutTime).padStart(STAMP_DIGITS, '0');
    const random = toHex(crypto.getRandomValues(new Uint8Array(8)));
    const name = `${this.keyPrefix(key)}${stamp}${random}`;
    const value = toBase64(encodeStoredSession(session));
    await this.kv.put(name, value, { expirationTtl: Math.max(KV_MIN_TTL_SECONDS, remaining) });

    // 2. Trim to the newest maxPerKey. The listing may not show our own write yet: add it.
    const names = await this.listNames(key);
    if (!names.includes(name)) names.push(name);
    names.sort();
    await Promise.all(names.slice(this.maxPerKey).map((old) => this.kv.delete(old)));
  }

  async take(key: string): Promise<StoredSession | undefined> {
    forgetOldTaken(Date.now());
    for (const name of await this.listNames(key)) {
      // Synchronous between the check and the mark: no other take() in this isolate can pick
      // the same entry, whatever happens across the awaits below.
      if (taken.has(name)) continue;
      taken.set(name, Date.now());
      const value = await this.kv.get(name, 'text');
      if (value === null) continue; // expired, or taken by another isolate
      await this.kv.delete(name);
      try {
        return decodeStoredSession(fromBase64(value));
      } catch {
        // An entry that does not decode (another format, a corrupted write) is dropped.
      }
    }
    return undefined;
  }

  /** The KV prefix of a server name's entries. */
  private keyPrefix(key: string): string {
    return `${this.prefix}${encodeURIComponent(key)}/`;
  }

  /** The names of a server name's entries, newest first. */
  private async listNames(key: string): Promise<string[]> {
    const listed = await this.kv.list({ prefix: this.keyPrefix(key), limit: LIST_LIMIT });
    return listed.keys.map((k) => k.name).sort();
  }
}

/** Drops taken-entry records older than TAKEN_MEMORY_MS, and the oldest beyond TAKEN_MAX. */
function forgetOldTaken(now: number): void {
  for (const [name, at] of taken) {
    if (at > now - TAKEN_MEMORY_MS && taken.size <= TAKEN_MAX) break;
    taken.delete(name);
  }
}
