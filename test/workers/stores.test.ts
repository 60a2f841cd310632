/**
 * The Cloudflare stores inside real Workers isolates (workerd, run by miniflare): a test Worker
 * (fixture/worker.ts, bundled with esbuild) is loaded twice, as Workers `a` and `b`, separate
 * isolates bound to the same KV namespace and to the same TlsStateObject Durable Objects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeStoredSession,
  encodeStoredSession,
  type StoredSession,
} from '../../src/sessions/stored-session.ts';

const RACE_ROUNDS = 20;
const COMPATIBILITY_DATE = '2025-09-01';

let dir: string;
let mf: Miniflare;
/** Fetch into Worker `a` or `b`. */
let workers: Record<'a' | 'b', (path: string, body?: Uint8Array) => Promise<Response>>;

/** A session told apart from others by `receivedAt`. */
function session(receivedAt: number, lifetime = 3600): StoredSession {
  return {
    version: 0x0304,
    cipherSuite: 0x1301,
    secret: new Uint8Array(32).fill(receivedAt & 0xff),
    ticket: new Uint8Array([1, 2, 3, receivedAt & 0xff]),
    receivedAt,
    lifetime,
    ageAdd: 7,
    maxEarlyData: 16384,
    alpn: 'h2',
    extendedMasterSecret: false,
    serverName: 'example.test',
    peerCertificates: [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
  };
}

/** The receivedAt of the session in a take response, or null for 204. */
async function taken(response: Response): Promise<number | null> {
  if (response.status === 204) return null;
  expect(response.status).toBe(200);
  return decodeStoredSession(new Uint8Array(await response.arrayBuffer())).receivedAt;
}

async function put(worker: 'a' | 'b', path: string, s: StoredSession): Promise<void> {
  const response = await workers[worker](path, encodeStoredSession(s));
  expect(response.status).toBe(204);
}

async function claim(worker: 'a' | 'b', query: string): Promise<boolean> {
  const response = await workers[worker](`/do/claim?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as boolean;
}

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes; returns the last result. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webtls-workers-'));
  const scriptPath = join(dir, 'worker.js');
  await build({
    entryPoints: [fileURLToPath(new URL('./fixture/worker.ts', import.meta.url))],
    outfile: scriptPath,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const stateObjects = {
    TLS_STATE: { className: 'TlsStateObject', scriptName: 'a' },
    TLS_STATE_SQL: { className: 'TlsStateObjectSql', scriptName: 'a', useSQLite: true },
  };
  mf = new Miniflare({
    workers: [
      {
        name: 'a',
        modules: true,
        scriptPath,
        modulesRoot: dir,
        compatibilityDate: COMPATIBILITY_DATE,
        kvNamespaces: { KV: 'kv' },
        durableObjects: stateObjects,
      },
      {
        name: 'b',
        modules: true,
        scriptPath,
        modulesRoot: dir,
        compatibilityDate: COMPATIBILITY_DATE,
        kvNamespaces: { KV: 'kv' },
        durableObjects: stateObjects,
      },
    ],
  });
  await mf.ready;
  const fetcher = async (name: 'a' | 'b') => {
    // Typed by hand: miniflare's own types come from a Cloudflare type package not installed here.
    const worker = (await mf.getWorker(name)) as unknown as {
      fetch(url: string, init: { method: string; body?: Uint8Array }): Promise<Response>;
    };
    return (path: string, body?: Uint8Array) =>
      worker.fetch(`http://worker${path}`, {
        method: path.endsWith('/stats') ? 'GET' : 'POST',
        body,
      });
  };
  workers = { a: await fetcher('a'), b: await fetcher('b') };
});

afterAll(async () => {
  await mf?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('WorkersKvSessionStore in workerd', () => {
  it('returns the newest session first, each once, then none', async () => {
    const base = Date.now();
    for (let i = 0; i < 3; i++) await put('a', '/kv/put?key=newest.test', session(base + i));
    expect(await taken(await workers.a('/kv/take?key=newest.test'))).toBe(base + 2);
    expect(await taken(await workers.a('/kv/take?key=newest.test'))).toBe(base + 1);
    expect(await taken(await workers.a('/kv/take?key=newest.test'))).toBe(base);
    expect(await taken(await workers.a('/kv/take?key=newest.test'))).toBeNull();
  });

  it('keeps sessions apart per server name, and the encoding round-trips', async () => {
    const base = Date.now();
    await put('a', '/kv/put?key=one.test', session(base));
    await put('a', '/kv/put?key=one.test%2F', session(base + 1));
    const response = await workers.a('/kv/take?key=one.test');
    const got = decodeStoredSession(new Uint8Array(await response.arrayBuffer()));
    expect(got).toEqual(session(base));
    expect(await taken(await workers.a('/kv/take?key=one.test'))).toBeNull();
    expect(await taken(await workers.a('/kv/take?key=one.test%2F'))).toBe(base + 1);
  });

  it('keeps at most maxPerKey sessions per server name, dropping the oldest', async () => {
    const base = Date.now();
    for (let i = 0; i < 6; i++) await put('a', '/kv/put?key=bounded.test&max=4', session(base + i));
    const got: (number | null)[] = [];
    for (let i = 0; i < 5; i++) got.push(await taken(await workers.a('/kv/take?key=bounded.test')));
    expect(got).toEqual([base + 5, base + 4, base + 3, base + 2, null]);
  });

  it('does not store a session whose lifetime is over', async () => {
    await put('a', '/kv/put?key=expired.test', session(Date.now() - 20_000, 10));
    expect(await taken(await workers.a('/kv/take?key=expired.test'))).toBeNull();
  });

  it('never hands one session to two concurrent takes in one isolate', async () => {
    for (let round = 0; round < 5; round++) {
      const key = `race${round}.test`;
      const base = Date.now() + round * 10;
      for (let i = 0; i < 3; i++) await put('a', `/kv/put?key=${key}`, session(base + i));
      const response = await workers.a(`/kv/take-many?key=${key}&n=12`);
      const got = ((await response.json()) as (number | null)[]).filter((x) => x !== null);
      expect(got.sort()).toEqual([base, base + 1, base + 2]);
      expect(await taken(await workers.a(`/kv/take?key=${key}`))).toBeNull();
    }
  });
});

describe.each(['kv', 'sql'])('TlsStateObject (%s storage) across two isolates', (backend) => {
  const q = `backend=${backend}`;

  it('gives one session to exactly one of two Workers racing for it', async () => {
    let winsA = 0;
    const base = Date.now();
    for (let i = 0; i < RACE_ROUNDS; i++) {
      const key = `race${i}.test`;
      await put('a', `/do/put?${q}&key=${key}`, session(base + i));
      // Each round, the other Worker sends first.
      const order: ('a' | 'b')[] = i % 2 ? ['a', 'b'] : ['b', 'a'];
      const [first, second] = await Promise.all(
        order.map((w) => workers[w](`/do/take?${q}&key=${key}`).then(taken)),
      );
      expect([first, second].filter((x) => x !== null)).toEqual([base + i]);
      if ((order[0] === 'a' ? first : second) !== null) winsA++;
    }
    // Which Worker wins is up to scheduling; both must have won some for a race to have run.
    expect(winsA).toBeGreaterThan(0);
    expect(winsA).toBeLessThan(RACE_ROUNDS);
  });

  it('returns sessions newest first and keeps at most four per server name', async () => {
    const base = Date.now();
    for (let i = 0; i < 6; i++) await put('b', `/do/put?${q}&key=many.test`, session(base + i));
    const takes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? workers.a : workers.b)(`/do/take?${q}&key=many.test`).then(taken),
      ),
    );
    const got = takes.filter((x) => x !== null).sort();
    expect(got).toEqual([base + 2, base + 3, base + 4, base + 5]);
    await put('a', `/do/put?${q}&key=order.test`, session(base));
    await put('b', `/do/put?${q}&key=order.test`, session(base + 1));
    expect(await taken(await workers.a(`/do/take?${q}&key=order.test`))).toBe(base + 1);
    expect(await taken(await workers.b(`/do/take?${q}&key=order.test`))).toBe(base);
    // Every field survives the trip through the object.
    await put('a', `/do/put?${q}&key=whole.test`, session(base + 9));
    const whole = await workers.b(`/do/take?${q}&key=whole.test`);
    expect(decodeStoredSession(new Uint8Array(await whole.arrayBuffer()))).toEqual(
      session(base + 9),
    );
  });

  it('lets exactly one of two Workers claim a key at once', async () => {
    let winsA = 0;
    for (let i = 0; i < RACE_ROUNDS; i++) {
      const query = `${q}&key=claim-${backend}-${i}&ttl=60000`;
      const order: ('a' | 'b')[] = i % 2 ? ['a', 'b'] : ['b', 'a'];
      const results = await Promise.all(order.map((w) => claim(w, query)));
      expect(results.filter(Boolean)).toHaveLength(1);
      if (results[order.indexOf('a')]) winsA++;
      expect(await claim('a', query)).toBe(false);
      expect(await claim('b', query)).toBe(false);
    }
    expect(winsA).toBeGreaterThan(0);
    expect(winsA).toBeLessThan(RACE_ROUNDS);
  });

  it('frees a claim after its TTL; the alarm deletes expired records', async () => {
    // Long enough that a loaded machine cannot let it lapse between the first two claims.
    const short = `${q}&key=ttl-${backend}&ttl=1500`;
    const long = `${q}&key=ttl-${backend}&ttl=60000`;
    expect(await claim('a', short)).toBe(true);
    expect(await claim('b', long)).toBe(false);
    expect(await eventually(() => claim('b', long))).toBe(true);
    expect(await claim('a', long)).toBe(false);

    // A session with two seconds to live is gone after them, and so is a claim with a short TTL.
    await put('a', `/do/put?${q}&key=short.test`, session(Date.now(), 2));
    expect(await claim('b', `${q}&key=gone-${backend}&ttl=500`)).toBe(true);
    const stats = async () =>
      (await (await workers.a(`/do/stats?${q}`)).json()) as {
        sessions: number;
        claims: number;
      };
    const held = await stats();
    expect(held.sessions).toBeGreaterThan(0);
    expect(held.claims).toBeGreaterThan(0);
    const drained = await eventually(async () => {
      const now = await stats();
      return now.sessions < held.sessions && now.claims < held.claims;
    });
    expect(drained).toBe(true);
    expect(await taken(await workers.b(`/do/take?${q}&key=short.test`))).toBeNull();
  });

  it('refuses bad requests, and a bad answer makes the adapter fail closed', async () => {
    const raw = (path: string, method = 'POST') =>
      workers.a(`/do/raw?${q}&method=${method}&path=${encodeURIComponent(path)}`);
    expect((await raw('/claim?key=x&ttl=-1')).status).toBe(400);
    expect((await raw('/claim?key=x&ttl=abc')).status).toBe(400);
    expect((await raw('/claim?ttl=10')).status).toBe(400);
    expect((await raw(`/claim?key=${'k'.repeat(513)}&ttl=10`)).status).toBe(400);
    expect((await raw('/session/put?key=x')).status).toBe(400);
    expect((await raw('/nothing?key=x')).status).toBe(404);
    expect((await raw('/claim?key=x&ttl=10', 'GET')).status).toBe(405);
    const response = await workers.a(`/do/claim?${q}&key=nan&ttl=NaN`);
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/not finite/);
  });
});
