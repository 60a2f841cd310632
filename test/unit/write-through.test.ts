/**
 * The write-through API (ConnectionCore.processTlsRecords / encodeTls / encrypt): connections
 * driven over buffers the caller owns, data handed out as views into the caller's input buffer,
 * records sealed into the caller's output buffer, and the buffered API refused once it is used.
 * Against real peers: test/interop/write-through-openssl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { InsufficientSpaceError, TlsError } from '../../src/error.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import * as certs from './data/certs.ts';
import { certifiedKey } from './helpers/loopback.ts';
import { pumpWriteThrough, WriteThroughEndpoint } from './helpers/write-through.ts';

const text = (s: string) => new TextEncoder().encode(s);
const join = (parts: Uint8Array[]) =>
  new TextDecoder().decode(Uint8Array.from(parts.flatMap((p) => [...p])));

async function configs(provider: CryptoProvider, extra: Partial<ClientConfig> = {}) {
  const server: ServerConfig = {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    maxVersion: extra.maxVersion,
  };
  const client: ClientConfig = { provider, roots: [certs.caPem], sessionStore: null, ...extra };
  return { client, server };
}

async function connected(provider: CryptoProvider, extra: Partial<ClientConfig> = {}) {
  const { client, server } = await configs(provider, extra);
  const c = new WriteThroughEndpoint(new ClientConnection(client, { serverName: 'localhost' }));
  const s = new WriteThroughEndpoint(new ServerConnection(server));
  await pumpWriteThrough(c, s);
  expect(c.conn.handshakeComplete).toBe(true);
  expect(s.conn.handshakeComplete).toBe(true);
  return { c, s };
}

describe('write-through API', () => {
  const cases: [string, CryptoProvider, Partial<ClientConfig>][] = [
    ['TLS 1.3, subtle, AES-GCM', subtleProvider(), {}],
    [
      'TLS 1.3, noble, ChaCha20-Poly1305 (in place)',
      nobleProvider(),
      { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
    ],
    ['TLS 1.2, subtle', subtleProvider(), { maxVersion: 'TLSv1.2' }],
  ];

  it.each(cases)('%s: handshake and data both ways over caller buffers', async (_, p, extra) => {
    const { c, s } = await connected(p, extra);
    // The client speaks first: its first status asks for the ClientHello to be encoded.
    expect(c.statuses[0]).toBe('encode-tls-data');
    expect(s.statuses).toContain('blocked-handshake');

    s.deliver(await c.encrypt(text('hello over ')));
    s.deliver(await c.encrypt(text('caller buffers')));
    for (const bytes of await s.drive()) c.deliver(bytes); // tickets, if any
    expect(join(s.received)).toBe('hello over caller buffers');
    // Every piece of data was a view into the server's own inbox: decrypted where it arrived.
    expect(s.viewsInInbox).toBeGreaterThan(0);
    expect(s.viewsElsewhere).toBe(0);
    expect(s.held).toBe(0);

    c.deliver(await s.encrypt(text('and back')));
    await c.drive();
    expect(join(c.received)).toBe('and back');
    expect(c.viewsElsewhere).toBe(0);
  });

  it('an AEAD that works in place is used in place: no open or seal copies', async () => {
    const noble = nobleProvider();
    const calls = { open: 0, seal: 0, openInPlace: 0, sealInPlace: 0 };
    const counting: CryptoProvider = {
      ...noble,
      async aead(alg, key) {
        const inner = await noble.aead(alg, key);
        const count = <T>(name: keyof typeof calls, result: T): T => {
          calls[name]++;
          return result;
        };
        return {
          seal: (n, a, p) => count('seal', inner.seal(n, a, p)),
          open: (n, a, c) => count('open', inner.open(n, a, c)),
          sealInPlace: (n, a, d) => count('sealInPlace', inner.sealInPlace!(n, a, d)),
          openInPlace: (n, a, d) => count('openInPlace', inner.openInPlace!(n, a, d)),
        };
      },
    };
    const suites = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
    const { c, s } = await connected(counting, { cipherSuites: suites });
    s.deliver(await c.encrypt(text('in place')));
    await s.drive();
    expect(join(s.received)).toBe('in place');
    expect(calls.sealInPlace).toBeGreaterThan(0);
    expect(calls.openInPlace).toBeGreaterThan(0);
    expect(calls.seal + calls.open).toBe(0);
  });

  it('a multi-record write lands whole and in order, sealed into one caller buffer', async () => {
    const { c, s } = await connected(subtleProvider());
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
    const need = c.conn.encryptedLength(big.length);
    const out = new Uint8Array(need);
    const result = await c.conn.encrypt(big, out);
    expect(result).toEqual({ written: need, consumed: big.length });
    // Delivered in slices as a socket would, each processed before the next arrives.
    for (let at = 0; at < out.length; at += 20_000) {
      s.deliver(out.subarray(at, at + 20_000));
      await s.drive();
    }
    const got = Uint8Array.from(s.received.flatMap((p) => [...p]));
    expect(got).toEqual(big);
  });

  it('an output buffer too small: InsufficientSpaceError, nothing written, nothing lost', async () => {
    const { c, s } = await connected(subtleProvider());
    const data = text('x'.repeat(1000));
    const need = c.conn.encryptedLength(data.length);
    const small = new Uint8Array(need - 1);
    const error = await c.conn.encrypt(data, small).catch((e) => e);
    expect(error).toBeInstanceOf(InsufficientSpaceError);
    expect(error.required).toBe(need);
    expect(small.every((b) => b === 0)).toBe(true);
    expect(c.conn.failed).toBeUndefined();
    // The same write, with room: the sequence number was not used up by the failed call.
    s.deliver(await c.encrypt(data));
    await s.drive();
    expect(join(s.received)).toBe('x'.repeat(1000));
  });

  it('close_notify through queueClose and encodeTls; the peer sees peer-closed', async () => {
    const { c, s } = await connected(subtleProvider());
    c.conn.queueClose();
    expect(c.conn.pendingTlsLength).toBeGreaterThan(0);
    s.deliver(await c.encode());
    await s.drive();
    expect(s.statuses.at(-1)).toBe('peer-closed');
    await expect(c.conn.encrypt(text('late'), new Uint8Array(100))).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });

  it('data authenticated before a bad record is handed out, then the error, with its alert', async () => {
    const { c, s } = await connected(subtleProvider());
    const good = await c.encrypt(text('kept'));
    const bad = await c.encrypt(text('tampered'));
    bad[bad.length - 1] ^= 1;
    s.deliver(good);
    s.deliver(bad);
    const first = await s.conn.processTlsRecords(s.inbox.subarray(0, s.held));
    expect(first.kind).toBe('read-traffic');
    if (first.kind !== 'read-traffic') return;
    expect(join(first.data)).toBe('kept');
    const rest = s.inbox.subarray(first.discard, s.held);
    await expect(s.conn.processTlsRecords(rest)).rejects.toMatchObject({ code: 'BAD_RECORD_MAC' });
    // The fatal alert waits to be encoded; the connection stays failed.
    expect(s.conn.pendingTlsLength).toBeGreaterThan(0);
    c.deliver(await s.encode());
    await expect(c.drive()).rejects.toMatchObject({ code: 'PEER_ALERT', peerAlert: 20 });
    await expect(s.conn.processTlsRecords(new Uint8Array(0))).rejects.toBeInstanceOf(TlsError);
  });

  it('KeyUpdate through queueKeyUpdate: the peer follows and data still flows', async () => {
    const { c, s } = await connected(subtleProvider());
    await c.conn.queueKeyUpdate(true);
    s.deliver(await c.encode());
    for (const bytes of await s.drive()) c.deliver(bytes);
    await c.drive();
    s.deliver(await c.encrypt(text('after update')));
    await s.drive();
    expect(join(s.received)).toBe('after update');
  });

  it('the buffered API is refused on a connection driven write-through', async () => {
    const { client } = await configs(subtleProvider());
    const conn = new ClientConnection(client, { serverName: 'localhost' });
    await conn.processTlsRecords(new Uint8Array(0));
    expect(() => conn.readTls(new Uint8Array(1))).toThrow(TlsError);
    expect(() => conn.takeTls()).toThrow(/write-through/);
  });
});
