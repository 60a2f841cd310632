/**
 * DenoKvSessionStore against real Deno KV (SQLite-backed, in memory and in a temporary file):
 * newest first, the bound per server name, expiry, unreadable entries, typed errors, and the
 * single-use races: concurrent take() calls on one handle, on two handles of one file, and in two
 * Worker isolates each with its own handle, where exactly one caller may get each ticket.
 * A plain script for `deno run --unstable-kv` (scripts/test-deno.sh runs it). Prints
 * `N passed, N failed` last and exits non-zero on a failure.
 */
import { DenoKvSessionStore, type KvEntry, type KvLike } from '../../src/deno/kv-store.ts';
import { TlsError } from '../../src/error.ts';
import { encodeStoredSession, type StoredSession } from '../../src/sessions/stored-session.ts';
import { toHex } from '../../src/util/bytes.ts';
import type { RaceReply, RaceRequest } from './deno-kv-race.worker.ts';

/** The Deno APIs this script uses, typed here so tsc under Node accepts the file. */
interface DenoApi {
  openKv(path?: string): Promise<KvLike & { close(): void }>;
  makeTempDir(options?: { prefix?: string }): Promise<string>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  exit(code: number): never;
}
const maybeDeno = (globalThis as unknown as { Deno?: DenoApi }).Deno;
if (!maybeDeno) throw new Error('deno-kv.check.ts runs under Deno: deno run --unstable-kv ...');
const Deno: DenoApi = maybeDeno;

const ROUNDS = 20;
const TAKERS = 16;
const BATCH = 6;
/** Every wait on a worker is bounded by this. */
const WORKER_TIMEOUT_MS = 10_000;

let passed = 0;
let failed = 0;
async function check(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e instanceof Error ? e.message : String(e)}`);
  }
}
function assert(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}
function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

/** A TLS 1.3 session told apart by `n`, received `ageMs` ago, valid `lifetime` seconds. */
function session(n: number, ageMs = 0, lifetime = 7200): StoredSession {
  return {
    version: 0x0304,
    cipherSuite: 0x1301,
    secret: new Uint8Array(32).fill(n & 0xff),
    ticket: new Uint8Array([n & 0xff, n >> 8, 0xaa, 0xbb]),
    receivedAt: Date.now() - ageMs,
    lifetime,
    ageAdd: 0x01020304 + n,
    maxEarlyData: 16384,
    alpn: 'h2',
    extendedMasterSecret: false,
    serverName: 'example.com',
    peerCertificates: [new Uint8Array([0x30, 0x03, 2, 1, n & 0xff])],
  };
}
const hexOf = (s: StoredSession | undefined) => (s ? toHex(encodeStoredSession(s)) : null);

/** Every raw entry under `[prefix, name]`. */
async function rawEntries(kv: KvLike, name: string, prefix = 'webtls-sessions') {
  const out: KvEntry[] = [];
  for await (const e of kv.list({ prefix: [prefix, name] })) out.push(e);
  return out;
}

/** Runs `f` with a fresh in-memory KV. */
async function withMemoryKv(f: (kv: KvLike) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(':memory:');
  try {
    await f(kv);
  } finally {
    kv.close();
  }
}

const dir = await Deno.makeTempDir({ prefix: 'webtls-kv-' });
const file = `${dir}/sessions.sqlite`;

await check('round-trips a session; take removes it: handed out once', () =>
  withMemoryKv(async (kv) => {
    const store = new DenoKvSessionStore(kv);
    const s = session(1);
    await store.put('example.com', s);
    equal(hexOf(await store.take('example.com')), hexOf(s), 'taken');
    equal(await store.take('example.com'), undefined, 'second take');
    equal((await rawEntries(kv, 'example.com')).length, 0, 'entries left');
  }),
);

await check('newest first, names kept apart, nothing for an unknown name', () =>
  withMemoryKv(async (kv) => {
    const store = new DenoKvSessionStore(kv);
    for (let i = 1; i <= 3; i++) await store.put('a.example', session(i));
    await store.put('b.example', session(9));
    equal(await store.take('nobody.example'), undefined, 'unknown name');
    const order: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) order.push((await store.take('a.example'))?.secret[0]);
    equal(order, [3, 2, 1, undefined], 'take order');
    equal((await store.take('b.example'))?.secret[0], 9, 'other name');
  }),
);

await check('keys are [prefix, serverName, id] with ids in put order', () =>
  withMemoryKv(async (kv) => {
    const store = new DenoKvSessionStore(kv, { prefix: 'p' });
    for (let i = 1; i <= 3; i++) await store.put('a.example', session(i));
    const entries = await rawEntries(kv, 'a.example', 'p');
    equal(entries.length, 3, 'entries');
    for (const e of entries) {
      equal(e.key.length, 3, 'key length');
      equal([e.key[0], e.key[1]], ['p', 'a.example'], 'key prefix');
      assert(e.value instanceof Uint8Array, 'value is the portable encoding');
    }
    // list() is in key order: the ids sort in put order.
    equal(
      entries.map((e) => (e.value as Uint8Array)[6]),
      [1, 2, 3].map((n) => encodeStoredSession(session(n))[6]),
      'order of stored secrets',
    );
  }),
);

await check('keeps maxPerKey sessions per name (default 4), dropping the oldest', () =>
  withMemoryKv(async (kv) => {
    const bounded = new DenoKvSessionStore(kv, { maxPerKey: 2 });
    for (let i = 1; i <= 5; i++) await bounded.put('a.example', session(i));
    equal((await rawEntries(kv, 'a.example')).length, 2, 'entries with maxPerKey 2');
    equal((await bounded.take('a.example'))?.secret[0], 5, 'newest');
    equal((await bounded.take('a.example'))?.secret[0], 4, 'next');
    equal(await bounded.take('a.example'), undefined, 'then none');

    const store = new DenoKvSessionStore(kv);
    for (let i = 1; i <= 6; i++) await store.put('b.example', session(i));
    equal((await rawEntries(kv, 'b.example')).length, 4, 'entries with the default');
  }),
);

await check('expired: not stored by put; skipped and deleted by take', () =>
  withMemoryKv(async (kv) => {
    const store = new DenoKvSessionStore(kv);
    await store.put('a.example', session(1, 20_000, 10));
    equal((await rawEntries(kv, 'a.example')).length, 0, 'an expired session is not stored');

    await store.put('a.example', session(2));
    // An entry newer than session 2 that has expired since it was put (written directly).
    const late = ['webtls-sessions', 'a.example', 'ffffffffffff'];
    await kv.set(late, encodeStoredSession(session(3, 20_000, 10)));
    equal((await store.take('a.example'))?.secret[0], 2, 'the usable one');
    equal((await rawEntries(kv, 'a.example')).length, 0, 'the expired one was deleted');
  }),
);

await check('put sets expireIn to what is left of the lifetime, at most seven days', () =>
  withMemoryKv(async (kv) => {
    // Deno KV sweeps expired entries about once a minute, too slow to wait for here: record
    // what put asks for instead, on a real KV underneath.
    const expireIns: (number | undefined)[] = [];
    const recording: KvLike = {
      list: (selector, options) => kv.list(selector, options),
      atomic: () => kv.atomic(),
      set(key, value, options) {
        expireIns.push(options?.expireIn);
        return kv.set(key, value, options);
      },
    };
    const store = new DenoKvSessionStore(recording);
    await store.put('a.example', session(1, 9_700, 10)); // 300 ms left
    await store.put('a.example', session(2, 0, 0)); // no lifetime given: seven days
    await store.put('a.example', session(3, 0, 30 * 24 * 3600)); // capped at seven days
    const week = 7 * 24 * 3600 * 1000;
    equal(expireIns.length, 3, 'sets');
    const [short, unspecified, long] = expireIns as number[];
    assert(short > 200 && short <= 300, `300 ms left, expireIn ${short}`);
    assert(unspecified > week - 1000 && unspecified <= week, `seven days, got ${unspecified}`);
    assert(long > week - 1000 && long <= week, `capped at seven days, got ${long}`);
    equal((await rawEntries(kv, 'a.example')).length, 3, 'all three stored');
  }),
);

await check('an entry that is not a session is deleted and skipped', () =>
  withMemoryKv(async (kv) => {
    const store = new DenoKvSessionStore(kv);
    await store.put('a.example', session(1));
    await kv.set(['webtls-sessions', 'a.example', 'fffffffffff0'], new Uint8Array([9, 9]));
    await kv.set(['webtls-sessions', 'a.example', 'fffffffffff1'], 'text');
    equal((await store.take('a.example'))?.secret[0], 1, 'the real session');
    equal((await rawEntries(kv, 'a.example')).length, 0, 'all removed');
  }),
);

await check('KV failures reject with TlsError INTERNAL_ERROR; "locked" is retried', async () => {
  const broken: KvLike = {
    // biome-ignore lint/correctness/useYield: a listing that fails before its first entry
    async *list() {
      throw new Error('disk on fire');
    },
    async set() {
      throw new Error('disk on fire');
    },
    atomic() {
      throw new Error('disk on fire');
    },
  };
  const store = new DenoKvSessionStore(broken);
  for (const op of [() => store.put('a', session(1)), () => store.take('a')]) {
    const error = await op().catch((e: unknown) => e);
    assert(error instanceof TlsError, `a TlsError, got ${String(error)}`);
    equal([(error as TlsError).code, (error as TlsError).layer], ['INTERNAL_ERROR', 'app'], 'code');
    assert(/disk on fire/.test((error as TlsError).message), 'message names the cause');
  }

  await withMemoryKv(async (kv) => {
    let refusals = 2;
    const flaky: KvLike = {
      list: (s, o) => kv.list(s, o),
      atomic: () => kv.atomic(),
      set(key, value, options) {
        if (refusals-- > 0) return Promise.reject(new TypeError('database is locked'));
        return kv.set(key, value, options);
      },
    };
    await new DenoKvSessionStore(flaky).put('a.example', session(1));
    equal((await rawEntries(kv, 'a.example')).length, 1, 'stored after two refusals');
  });
});

/** Puts one ticket per round and races `takers` against it; each round exactly one wins. */
async function raceRounds(
  put: (s: StoredSession) => Promise<void>,
  takers: () => Promise<(string | null)[]>,
): Promise<void> {
  for (let round = 1; round <= ROUNDS; round++) {
    const s = session(1000 + round);
    await put(s);
    const results = await takers();
    const winners = results.filter((r) => r !== null);
    equal(winners.length, 1, `round ${round}: callers that got the ticket`);
    equal(winners[0], hexOf(s), `round ${round}: the ticket`);
  }
}

await check(
  `one handle: ${TAKERS} concurrent takes of one ticket, one wins (${ROUNDS} rounds)`,
  () =>
    withMemoryKv(async (kv) => {
      const store = new DenoKvSessionStore(kv);
      await raceRounds(
        (s) => store.put('race.example', s),
        async () =>
          (await Promise.all(Array.from({ length: TAKERS }, () => store.take('race.example')))).map(
            hexOf,
          ),
      );
    }),
);

await check(`one handle: ${BATCH} tickets, ${2 * BATCH} concurrent takes, each once`, () =>
  withMemoryKv(async (kv) => {
    const store = new DenoKvSessionStore(kv, { maxPerKey: BATCH });
    const put: (string | null)[] = [];
    for (let n = 1; n <= BATCH; n++) {
      const s = session(2000 + n);
      put.push(hexOf(s));
      await store.put('batch.example', s);
    }
    const got = (
      await Promise.all(Array.from({ length: 2 * BATCH }, () => store.take('batch.example')))
    )
      .map(hexOf)
      .filter((h) => h !== null);
    equal([got.length, new Set(got).size], [BATCH, BATCH], 'sessions out, distinct ones');
    equal([...got].sort(), [...put].sort(), 'sessions handed out');
  }),
);

await check(`two handles on one file: concurrent takes, one wins (${ROUNDS} rounds)`, async () => {
  const a = await Deno.openKv(file);
  const b = await Deno.openKv(file);
  try {
    const stores = [new DenoKvSessionStore(a), new DenoKvSessionStore(b)];
    await raceRounds(
      (s) => stores[0].put('handles.example', s),
      async () =>
        (
          await Promise.all(
            Array.from({ length: TAKERS }, (_, i) => stores[i % 2].take('handles.example')),
          )
        ).map(hexOf),
    );
  } finally {
    a.close();
    b.close();
  }
});

/** Asks `worker` to race; resolves with its takes, rejects on its error or after the timeout. */
function ask(worker: Worker, request: RaceRequest): Promise<(string | null)[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker: no answer')), WORKER_TIMEOUT_MS);
    worker.onmessage = (event: MessageEvent<RaceReply>) => {
      clearTimeout(timer);
      if (event.data.sessions) resolve(event.data.sessions);
      else reject(new Error(`worker: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      event.preventDefault();
      reject(new Error(`worker: ${event.message}`));
    };
    worker.postMessage(request);
  });
}

await check(
  `two Worker isolates, a handle each: one wins (${ROUNDS} rounds; ${BATCH} tickets)`,
  async () => {
    const url = new URL('./deno-kv-race.worker.ts', import.meta.url);
    const workers = [0, 1].map(() => new Worker(url, { type: 'module' }));
    const kv = await Deno.openKv(file);
    try {
      const store = new DenoKvSessionStore(kv, { maxPerKey: 64 });
      const race = async (key: string, count: number) => {
        const startAt = Date.now() + 100;
        const replies = await Promise.all(
          workers.map((w) => ask(w, { path: file, key, startAt, count })),
        );
        return replies.flat();
      };
      await raceRounds(
        (s) => store.put('workers.example', s),
        () => race('workers.example', 2),
      );

      const put: (string | null)[] = [];
      for (let n = 1; n <= BATCH; n++) {
        const s = session(3000 + n);
        put.push(hexOf(s));
        await store.put('workers-batch.example', s);
      }
      const got = (await race('workers-batch.example', BATCH)).filter((h) => h !== null);
      equal([got.length, new Set(got).size], [BATCH, BATCH], 'sessions out, distinct ones');
      equal([...got].sort(), [...put].sort(), 'sessions handed out across the isolates');
    } finally {
      for (const w of workers) w.terminate();
      kv.close();
    }
  },
);

await Deno.remove(dir, { recursive: true });
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed > 0 || passed === 0 ? 1 : 0);
