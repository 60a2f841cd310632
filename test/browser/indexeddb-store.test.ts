/**
 * IndexedDbSessionStore against Chromium's real IndexedDB (vitest.browser.config.ts runs this
 * file; Node has no IndexedDB, so vitest.config.ts leaves test/browser/ out). Each test uses a
 * database of its own and deletes it afterwards. The race between two pages is in
 * e2e/indexeddb-store-race.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import { type StoredSession, sessionUsable } from '../../src/sessions/stored-session.ts';
import { IndexedDbSessionStore } from '../../src/web/indexeddb-store.ts';

/** A TLS 1.3 session told apart by `n` (secret, ticket), received `ageMs` ago. */
function session(n: number, ageMs = 0, lifetime = 7200): StoredSession {
  return {
    version: 0x0304,
    cipherSuite: 0x1301,
    secret: new Uint8Array(32).fill(n),
    ticket: new Uint8Array([n, n >> 8, 0xaa, 0xbb]),
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

const opened: { store: IndexedDbSessionStore; name: string }[] = [];
let counter = 0;

/** A store on a fresh database, deleted after the test. */
function freshStore(options: { maxPerKey?: number; maxKeys?: number } = {}) {
  const name = `webtls-test-${Date.now()}-${counter++}`;
  const store = new IndexedDbSessionStore({ dbName: name, ...options });
  opened.push({ store, name });
  return store;
}

/** Resolves once `request` succeeds; rejects on error or after `ms`. */
function settle<T>(request: IDBRequest<T>, ms = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('IndexedDB request timed out')), ms);
    request.onsuccess = () => {
      clearTimeout(timer);
      resolve(request.result);
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(request.error);
    };
  });
}

afterEach(async () => {
  for (const { store, name } of opened.splice(0)) {
    store.close();
    await settle(indexedDB.deleteDatabase(name));
  }
});

describe('IndexedDbSessionStore', () => {
  it('round-trips a session, and take removes it: handed out once', async () => {
    const store = freshStore();
    const s = session(1);
    await store.put('example.com', s);
    expect(await store.take('example.com')).toEqual(s);
    expect(await store.take('example.com')).toBeUndefined();
  });

  it('takes the newest first, keeps names apart, and is empty for an unknown name', async () => {
    const store = freshStore();
    for (let i = 1; i <= 3; i++) await store.put('a.example', session(i));
    await store.put('b.example', session(9));
    expect(await store.take('nobody.example')).toBeUndefined();
    expect((await store.take('a.example'))?.secret[0]).toBe(3);
    expect((await store.take('a.example'))?.secret[0]).toBe(2);
    expect((await store.take('b.example'))?.secret[0]).toBe(9);
    expect((await store.take('a.example'))?.secret[0]).toBe(1);
    expect(await store.take('a.example')).toBeUndefined();
    expect(await store.take('b.example')).toBeUndefined();
  });

  it('keeps maxPerKey sessions per name, dropping the oldest', async () => {
    const store = freshStore({ maxPerKey: 2 });
    for (let i = 1; i <= 5; i++) await store.put('a.example', session(i));
    expect((await store.take('a.example'))?.secret[0]).toBe(5);
    expect((await store.take('a.example'))?.secret[0]).toBe(4);
    expect(await store.take('a.example')).toBeUndefined();
  });

  it('defaults to four sessions per name', async () => {
    const store = freshStore();
    for (let i = 1; i <= 6; i++) await store.put('a.example', session(i));
    const taken: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await store.take('a.example');
      if (s) taken.push(s.secret[0]);
    }
    expect(taken).toEqual([6, 5, 4, 3]);
  });

  it('keeps maxKeys names, evicting the one least recently given a session', async () => {
    const store = freshStore({ maxKeys: 2 });
    await store.put('a.example', session(1));
    await store.put('b.example', session(2));
    await store.put('a.example', session(3));
    await store.put('c.example', session(4));
    // b was touched least recently, so it went with all its sessions; a kept both of its.
    expect(await store.take('b.example')).toBeUndefined();
    expect((await store.take('a.example'))?.secret[0]).toBe(3);
    expect((await store.take('a.example'))?.secret[0]).toBe(1);
    expect((await store.take('c.example'))?.secret[0]).toBe(4);
  });

  it('a name emptied by take holds no slot of maxKeys', async () => {
    const store = freshStore({ maxKeys: 2 });
    await store.put('a.example', session(1));
    await store.put('b.example', session(2));
    expect((await store.take('b.example'))?.secret[0]).toBe(2);
    await store.put('c.example', session(3));
    // Only a and c hold sessions, so nothing was evicted.
    expect((await store.take('a.example'))?.secret[0]).toBe(1);
    expect((await store.take('c.example'))?.secret[0]).toBe(3);
  });

  it('skips and deletes expired sessions, returning the newest usable one', async () => {
    const store = freshStore();
    const old = session(1);
    const expiredNewer = session(2, 20_000, 10);
    expect(sessionUsable(expiredNewer, Date.now())).toBe(false);
    await store.put('a.example', old);
    await store.put('a.example', expiredNewer);
    expect((await store.take('a.example'))?.secret[0]).toBe(1);
    expect(await store.take('a.example')).toBeUndefined();

    // Only expired sessions: take finds none, and they are gone.
    await store.put('a.example', session(3, 20_000, 10));
    expect(await store.take('a.example')).toBeUndefined();
  });

  it('stores the portable encoding, and skips a row that does not decode', async () => {
    const store = freshStore();
    await store.put('a.example', session(1));
    await store.put('a.example', session(2));
    // Corrupt the newest row behind the store's back.
    const db = await settle(indexedDB.open(opened[0].name));
    try {
      const tx = db.transaction('sessions', 'readwrite');
      const rows = await settle(tx.objectStore('sessions').getAll());
      expect(rows.length).toBe(2);
      for (const row of rows) expect(row.data).toBeInstanceOf(Uint8Array);
      const newest = rows.reduce((a, b) => (a.id > b.id ? a : b));
      await settle(tx.objectStore('sessions').put({ ...newest, data: new Uint8Array([9, 9]) }));
    } finally {
      db.close();
    }
    expect((await store.take('a.example'))?.secret[0]).toBe(1);
    expect(await store.take('a.example')).toBeUndefined();
  });

  it('concurrent takes in one page hand each session out once', async () => {
    const store = freshStore({ maxPerKey: 8 });
    for (let i = 1; i <= 5; i++) await store.put('a.example', session(i));
    const results = await Promise.all(Array.from({ length: 12 }, () => store.take('a.example')));
    const got = results.filter((s) => s !== undefined).map((s) => s.secret[0]);
    expect(got.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(results.filter((s) => s === undefined).length).toBe(7);
  });

  it('two stores on one database share sessions, and take is single-use across them', async () => {
    const first = freshStore();
    const second = new IndexedDbSessionStore({ dbName: opened[0].name });
    try {
      await first.put('a.example', session(1));
      const [x, y] = await Promise.all([first.take('a.example'), second.take('a.example')]);
      expect([x, y].filter((s) => s !== undefined).length).toBe(1);
      expect((x ?? y)?.secret[0]).toBe(1);
    } finally {
      second.close();
    }
  });

  it('steps aside for an upgrade by another connection, then fails typed', async () => {
    const store = freshStore();
    await store.put('a.example', session(1));
    // Our connection is open; an upgrade must not be blocked by it (versionchange closes it).
    let blocked = false;
    const upgrade = indexedDB.open(opened[0].name, 2);
    upgrade.onblocked = () => {
      blocked = true;
    };
    const db = await settle(upgrade);
    db.close();
    expect(blocked).toBe(false);
    // The database is at a version this store does not know: a typed error, not a hang.
    const error = await store.take('a.example').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect(error).toMatchObject({ code: 'INTERNAL_ERROR', layer: 'app' });
    expect((error as TlsError).message).toMatch(/^tls: session store: .*VersionError/);
  });

  it('an open that throws and a runtime without IndexedDB reject with TlsError', async () => {
    const throwing = {
      open() {
        throw new DOMException('denied', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const refused = new IndexedDbSessionStore({ indexedDB: throwing });
    await expect(refused.take('a.example')).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
      layer: 'app',
      message: expect.stringMatching(/SecurityError: denied/),
    });
    const g = globalThis as { indexedDB?: IDBFactory };
    const saved = g.indexedDB;
    Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
    try {
      const none = new IndexedDbSessionStore();
      await expect(none.put('a.example', session(1))).rejects.toMatchObject({
        code: 'CONFIG',
        layer: 'app',
      });
    } finally {
      Object.defineProperty(globalThis, 'indexedDB', { value: saved, configurable: true });
    }
    expect(g.indexedDB).toBe(saved);
  });
});
