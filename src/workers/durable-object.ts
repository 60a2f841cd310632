import { TlsError } from '../error.ts';
import type { AntiReplayStore } from '../sessions/anti-replay.ts';
import type { ClientSessionStore } from '../sessions/client-store.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  MAX_SESSION_LIFETIME,
  type StoredSession,
} from '../sessions/stored-session.ts';
import { bufferSource } from '../util/bytes.ts';

/**
 * The part of a Durable Object's `ctx.storage` that {@link TlsStateObject} uses (the key-value
 * API, present with both the SQLite and the key-value storage backends), typed by shape.
 */
export interface DurableObjectStorageLike {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(keys: string[]): Promise<number>;
  list<T>(options?: {
    prefix?: string;
    startAfter?: string;
    limit?: number;
  }): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The part of a Durable Object's state (`ctx`) that {@link TlsStateObject} uses. */
export interface DurableObjectStateLike {
  storage: DurableObjectStorageLike;
}

/** The response of a Durable Object stub's fetch, as far as the adapters read it. */
export interface StubResponseLike {
  status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/**
 * A Durable Object stub (`env.TLS_STATE.get(id)`), as far as the adapters use it: its fetch.
 */
export interface DurableObjectStubLike {
  fetch(
    url: string,
    init?: { method?: string; body?: Uint8Array<ArrayBuffer> },
  ): Promise<StubResponseLike>;
}

/**
 * Which object to ask for a key: one stub for everything, or a function that spreads keys over
 * several objects (for example `(key) => ns.get(ns.idFromName(shardOf(key)))`). A key must always
 * map to the same object, or single use and anti-replay are lost.
 */
export type StubFor = DurableObjectStubLike | ((key: string) => DurableObjectStubLike);

/** The origin of the requests the adapters send to the object (any name: it is never resolved). */
const ORIGIN = 'https://webtls-state.internal';
/** Longest key accepted, in characters (server names are at most 255 bytes). */
const MAX_KEY_LENGTH = 512;
/** Sessions kept per server name by default. */
const DEFAULT_MAX_PER_KEY = 4;
/** Entries one alarm examines before it reschedules itself to go on. */
const SWEEP_BATCH = 1000;
/** Keys per storage delete (the storage API takes at most 128). */
const DELETE_BATCH = 128;

const SESSIONS = 's:';
const CLAIMS = 'c:';

/** One stored session and when it stops being usable (ms since the epoch). */
interface Held {
  expires: number;
  data: Uint8Array;
}

/**
 * A Durable Object that holds TLS state shared by every isolate of an account: client sessions
 * (for {@link DurableObjectSessionStore}) and 0-RTT anti-replay claims (for
 * {@link DurableObjectAntiReplayStore}). Export it from the Worker's main module and bind it:
 *
 * ```ts
 * export { TlsStateObject } from 'webtls/workers';
 * // wrangler: durable_objects.bindings = [{ name = "TLS_STATE", class_name = "TlsStateObject" }]
 * ```
 *
 * Each request is handled in turn, start to finish, by one in-object queue, on top of the
 * runtime's input gate: the read and the write of a take or a claim can never interleave with
 * another request's, whichever isolate sent it. Records carry their expiry and are checked
 * against it on every read; an alarm set for the earliest expiry deletes what has expired.
 *
 * Its fetch API (what the adapters call; all POST but stats):
 * - `/session/put?key=K`, body the portable session encoding: 204
 * - `/session/take?key=K`: 200 with the newest session's encoding, or 204 when there is none
 * - `/claim?key=K&ttl=MS`: 200 with `1` (first claim) or `0` (claimed already)
 * - `GET /stats`: JSON `{ "sessions": n, "claims": n }`, records held including expired ones
 * Bad requests get 400, unknown paths 404.
 */
export class TlsStateObject {
  /** Sessions kept per server name; the oldest go first. Override in a subclass to change. */
  protected readonly maxPerKey: number = DEFAULT_MAX_PER_KEY;
  private readonly storage: DurableObjectStorageLike;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectStateLike, _env?: unknown) {
    this.storage = ctx.storage;
  }

  /** Handles one request of the fetch API above. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/stats' && request.method === 'GET') {
      return Response.json(await this.serialize(() => this.stats()));
    }
    if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
    const key = url.searchParams.get('key');
    if (!key || key.length > MAX_KEY_LENGTH) return new Response('bad key', { status: 400 });
    switch (url.pathname) {
      case '/session/put': {
        let session: StoredSession;
        try {
          session = decodeStoredSession(new Uint8Array(await request.arrayBuffer()));
        } catch {
          return new Response('bad session', { status: 400 });
        }
        await this.serialize(() => this.putSession(key, session));
        return new Response(null, { status: 204 });
      }
      case '/session/take': {
        const data = await this.serialize(() => this.takeSession(key));
        return data ? new Response(bufferSource(data)) : new Response(null, { status: 204 });
      }
      case '/claim': {
        const ttl = Number(url.searchParams.get('ttl'));
        if (!Number.isFinite(ttl) || ttl < 0) return new Response('bad ttl', { status: 400 });
        const claimed = await this.serialize(() => this.claim(key, ttl));
        return new Response(claimed ? '1' : '0');
      }
      default:
        return new Response('not found', { status: 404 });
    }
  }

  /** The alarm handler: deletes expired records and sets the next alarm. */
  async alarm(): Promise<void> {
    await this.serialize(() => this.sweep());
  }

  /** Runs `step` after every step queued before it. */
  private serialize<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async putSession(key: string, session: StoredSession): Promise<void> {
    const now = Date.now();
    const lifetime = Math.min(session.lifetime || MAX_SESSION_LIFETIME, MAX_SESSION_LIFETIME);
    const expires = session.receivedAt + lifetime * 1000;
    if (expires <= now) return;
    const held = (await this.storage.get<Held[]>(SESSIONS + key)) ?? [];
    const list = held.filter((h) => h.expires > now);
    list.push({ expires, data: encodeStoredSession(session) });
    await this.storage.put(SESSIONS + key, list.slice(-this.maxPerKey));
    await this.wakeAt(expires);
  }

  private async takeSession(key: string): Promise<Uint8Array | undefined> {
    const now = Date.now();
    const held = await this.storage.get<Held[]>(SESSIONS + key);
    if (!held) return undefined;
    const list = held.filter((h) => h.expires > now);
    const newest = list.pop();
    if (list.length > 0) await this.storage.put(SESSIONS + key, list);
    else await this.storage.delete([SESSIONS + key]);
    return newest?.data;
  }

  private async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const expiry = await this.storage.get<number>(CLAIMS + key);
    if (expiry !== undefined && expiry > now) return false;
    const until = now + ttlMs;
    await this.storage.put(CLAIMS + key, until);
    await this.wakeAt(until);
    return true;
  }

  /** Makes sure an alarm fires no later than `time`. */
  private async wakeAt(time: number): Promise<void> {
    const current = await this.storage.getAlarm();
    if (current === null || current > time) await this.storage.setAlarm(time);
  }

  /** Deletes expired records, at most SWEEP_BATCH examined per prefix, then sets the next alarm. */
  private async sweep(): Promise<void> {
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    let more = false;
    for (const prefix of [SESSIONS, CLAIMS]) {
      const records = await this.storage.list<Held[] | number>({ prefix, limit: SWEEP_BATCH });
      if (records.size === SWEEP_BATCH) more = true;
      const expired: string[] = [];
      for (const [name, record] of records) {
        const expires =
          typeof record === 'number' ? record : Math.max(...record.map((h) => h.expires));
        if (expires <= now) expired.push(name);
        else next = Math.min(next, expires);
      }
      for (let i = 0; i < expired.length; i += DELETE_BATCH) {
        await this.storage.delete(expired.slice(i, i + DELETE_BATCH));
      }
    }
    // A full batch may hide expired records further on: come back soon for them.
    if (more) next = Math.min(next, now + 1000);
    if (next !== Number.POSITIVE_INFINITY) await this.storage.setAlarm(next);
  }

  private async stats(): Promise<{ sessions: number; claims: number }> {
    const count = async (prefix: string) => (await this.storage.list({ prefix })).size;
    return { sessions: await count(SESSIONS), claims: await count(CLAIMS) };
  }
}

/** The stub responsible for `key`. */
function stubFor(stub: StubFor, key: string): DurableObjectStubLike {
  return typeof stub === 'function' ? stub(key) : stub;
}

/** A request URL of the object's fetch API. */
function stateUrl(path: string, params: Record<string, string>): string {
  return `${ORIGIN}${path}?${new URLSearchParams(params)}`;
}

/** The error a store throws when it cannot give a trustworthy answer. */
function stateError(message: string): TlsError {
  return new TlsError('INTERNAL_ERROR', message, { layer: 'app' });
}

/** Throws unless the object answered one of `expected`. */
function expectStatus(response: StubResponseLike, expected: number[], what: string): void {
  if (!expected.includes(response.status)) {
    throw stateError(`tls: the TLS state object answered ${what} with status ${response.status}`);
  }
}

/**
 * A {@link ClientSessionStore} in a {@link TlsStateObject}: single use holds across isolates and
 * locations, because every take of a server name goes to the one object that owns it and is
 * handled there alone. Pass the stub, `env.TLS_STATE.get(env.TLS_STATE.idFromName('sessions'))`,
 * or a function from server name to stub to spread the load.
 */
export class DurableObjectSessionStore implements ClientSessionStore {
  private readonly stub: StubFor;

  constructor(stub: StubFor) {
    this.stub = stub;
  }

  async put(key: string, session: StoredSession): Promise<void> {
    const response = await stubFor(this.stub, key).fetch(stateUrl('/session/put', { key }), {
      method: 'POST',
      body: bufferSource(encodeStoredSession(session)),
    });
    expectStatus(response, [204], 'a session put');
  }

  async take(key: string): Promise<StoredSession | undefined> {
    const response = await stubFor(this.stub, key).fetch(stateUrl('/session/take', { key }), {
      method: 'POST',
    });
    expectStatus(response, [200, 204], 'a session take');
    if (response.status === 204) return undefined;
    return decodeStoredSession(new Uint8Array(await response.arrayBuffer()));
  }
}

/**
 * An {@link AntiReplayStore} in a {@link TlsStateObject}, shared by every isolate that reaches
 * the same object. A claim is won only on an explicit `1` from the object; any other answer, and
 * any failure to reach it, rejects (fails closed), so the server rejects the early data.
 */
export class DurableObjectAntiReplayStore implements AntiReplayStore {
  private readonly stub: StubFor;

  constructor(stub: StubFor) {
    this.stub = stub;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs)) throw stateError(`tls: anti-replay TTL ${ttlMs} is not finite`);
    const ttl = String(Math.max(0, Math.ceil(ttlMs)));
    const response = await stubFor(this.stub, key).fetch(stateUrl('/claim', { key, ttl }), {
      method: 'POST',
    });
    expectStatus(response, [200], 'a claim');
    const answer = await response.text();
    if (answer !== '1' && answer !== '0') {
      throw stateError('tls: the TLS state object answered a claim with neither 1 nor 0');
    }
    return answer === '1';
  }
}
