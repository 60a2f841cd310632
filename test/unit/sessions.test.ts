import { describe, expect, it } from 'vitest';
import { subtleProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { decodeServerState, encodeServerState } from '../../src/sessions/server-state.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  type StoredSession,
  sessionFromPem,
  sessionToPem,
  sessionUsable,
} from '../../src/sessions/stored-session.ts';
import {
  AeadTicketer,
  derivedTicketKeys,
  RotatingTicketKeys,
} from '../../src/sessions/ticketer.ts';
import { utf8 } from '../../src/util/bytes.ts';

/** The first index of `needle` in `haystack`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The session layer on its own: stores, ticket sealing and key rotation, the encodings. */

const provider = subtleProvider();

function session(n: number, extra: Partial<StoredSession> = {}): StoredSession {
  return {
    version: 0x0303,
    cipherSuite: 0xc02b,
    secret: new Uint8Array(48).fill(n),
    ticket: new Uint8Array([n, 1, 2, 3]),
    receivedAt: 1_700_000_000_000 + n,
    lifetime: 7200,
    ageAdd: 0,
    maxEarlyData: 0,
    alpn: 'h2',
    extendedMasterSecret: true,
    serverName: 'example.com',
    peerCertificates: [new Uint8Array([0x30, 0x03, 1, 2, 3])],
    ...extra,
  };
}

describe('MemorySessionStore', () => {
  it('take removes: a session is handed out once', async () => {
    const store = new MemorySessionStore();
    await store.put('a', session(1));
    expect((await store.take('a'))?.secret[0]).toBe(1);
    expect(await store.take('a')).toBeUndefined();
  });

  it('keeps the newest sessions per key and evicts the least recently used key', async () => {
    const store = new MemorySessionStore({ maxKeys: 2, maxPerKey: 2 });
    for (let i = 1; i <= 3; i++) await store.put('a', session(i));
    expect(store.count('a')).toBe(2);
    expect((await store.take('a'))?.secret[0]).toBe(3);
    expect((await store.take('a'))?.secret[0]).toBe(2);
    await store.put('a', session(4));
    await store.put('b', session(5));
    await store.put('c', session(6));
    expect(store.count('a')).toBe(0);
    expect(store.count('b')).toBe(1);
    expect(store.count('c')).toBe(1);
  });
});

describe('StoredSession encoding', () => {
  it('round-trips through binary and PEM', () => {
    const s = session(7, { sessionId: new Uint8Array(32).fill(9), ageAdd: 0xfffffffe });
    expect(decodeStoredSession(encodeStoredSession(s))).toEqual(s);
    const pem = sessionToPem(s);
    expect(pem).toMatch(/^-----BEGIN WEBTLS SESSION-----\n/);
    expect(sessionFromPem(pem)).toEqual(s);
  });

  it('rejects trailing bytes, an unknown format and a file without a session', () => {
    const bytes = encodeStoredSession(session(1));
    expect(() => decodeStoredSession(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    expect(() => decodeStoredSession(new Uint8Array([9, ...bytes.subarray(1)]))).toThrow(/format/);
    expect(() => sessionFromPem('nothing here')).toThrow(/no WEBTLS SESSION/);
  });

  // Fuzz finding sessions-crash-1872df70b5e92d54: non-UTF-8 name bytes threw a TypeError.
  it('sessions-crash-1872df70b5e92d54: a server_name or alpn not in UTF-8 is DECODE_ERROR', () => {
    for (const field of ['serverName', 'alpn'] as const) {
      const marker = field === 'serverName' ? 'zzzz.example' : 'zzzz';
      const bytes = encodeStoredSession(session(1, { [field]: marker }));
      const at = indexOf(bytes, utf8(marker));
      expect(at).toBeGreaterThan(0);
      bytes[at] = 0xff; // never valid in UTF-8
      let error: unknown;
      try {
        decodeStoredSession(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).code).toBe('DECODE_ERROR');
    }
  });

  it('is usable within its lifetime only, and never beyond seven days', () => {
    const s = session(1, { receivedAt: 1000, lifetime: 10 });
    expect(sessionUsable(s, 1000 + 9_999)).toBe(true);
    expect(sessionUsable(s, 1000 + 10_000)).toBe(false);
    const forever = session(1, { receivedAt: 0, lifetime: 0xffffffff });
    expect(sessionUsable(forever, 7 * 24 * 3600 * 1000 + 1)).toBe(false);
  });
});

describe('server session state', () => {
  it('round-trips; anything else decodes to undefined', () => {
    const state = {
      version: 0x0303,
      cipherSuite: 0xc02f,
      secret: new Uint8Array(48).fill(3),
      extendedMasterSecret: true,
      createdAt: 1_700_000_000_123,
      serverName: 'example.com',
      alpn: 'http/1.1',
      issuedAt: 1_700_000_100_456,
      ageAdd: 0xfedcba98,
      maxEarlyData: 16384,
    };
    expect(decodeServerState(encodeServerState(state))).toEqual(state);
    expect(decodeServerState(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(decodeServerState(new Uint8Array([...encodeServerState(state), 0]))).toBeUndefined();
  });
});

describe('AeadTicketer', () => {
  const state = utf8('session state');

  it('opens its own tickets; a flipped bit anywhere makes the ticket unusable', async () => {
    const t = new AeadTicketer({ provider });
    const ticket = await t.seal(state, provider);
    expect(await t.open(ticket, provider)).toEqual(state);
    for (const at of [0, 17, 30, ticket.length - 1]) {
      const bad = ticket.slice();
      bad[at] ^= 0x40;
      expect(await t.open(bad, provider)).toBeUndefined();
    }
    expect(await t.open(ticket.subarray(0, 40), provider)).toBeUndefined();
    expect(await new AeadTicketer({ provider }).open(ticket, provider)).toBeUndefined();
  });

  it('rotates keys: the previous key still opens, the one before does not', async () => {
    let now = 1_000_000_000_000;
    const keys = new RotatingTicketKeys(provider, 100);
    const t = new AeadTicketer({ keys, lifetimeSeconds: 1000, now: () => now });
    const old = await t.seal(state, provider);
    now += 100_000;
    const newer = await t.seal(state, provider);
    expect(await t.open(old, provider)).toEqual(state);
    now += 100_000;
    expect(await t.open(old, provider)).toBeUndefined();
    expect(await t.open(newer, provider)).toEqual(state);
  });

  it('refuses tickets older than the lifetime', async () => {
    let now = 1_000_000_000_000;
    const t = new AeadTicketer({ provider, lifetimeSeconds: 5, now: () => now });
    const ticket = await t.seal(state, provider);
    now += 5_001;
    expect(await t.open(ticket, provider)).toBeUndefined();
  });

  it('derived keys: servers sharing a secret open each other’s tickets', async () => {
    const secret = new Uint8Array(32).fill(0x5a);
    const a = new AeadTicketer({ keys: derivedTicketKeys(provider, secret) });
    const b = new AeadTicketer({ keys: derivedTicketKeys(provider, secret) });
    const c = new AeadTicketer({ keys: derivedTicketKeys(provider, new Uint8Array(32)) });
    const ticket = await a.seal(state, provider);
    expect(await b.open(ticket, provider)).toEqual(state);
    expect(await c.open(ticket, provider)).toBeUndefined();
    expect(() => derivedTicketKeys(provider, new Uint8Array(16))).toThrow(/32 bytes/);
  });
});

describe('MemorySessionCache', () => {
  it('is bounded and expires entries', async () => {
    let now = 0;
    const cache = new MemorySessionCache({ maxEntries: 2, lifetimeSeconds: 10, now: () => now });
    await cache.put(new Uint8Array([1]), utf8('one'));
    await cache.put(new Uint8Array([2]), utf8('two'));
    await cache.put(new Uint8Array([3]), utf8('three'));
    expect(cache.size).toBe(2);
    expect(await cache.get(new Uint8Array([1]))).toBeUndefined();
    expect(await cache.get(new Uint8Array([2]))).toEqual(utf8('two'));
    now = 10_001;
    expect(await cache.get(new Uint8Array([3]))).toBeUndefined();
  });
});
