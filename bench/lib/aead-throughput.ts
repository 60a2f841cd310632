/**
 * AES-GCM seal throughput over 16 KiB records, three ways, in whatever runtime loads this
 * module (Node directly; Chromium as a bundle, bench/chromium.ts). Web platform APIs only.
 *
 * - raw WebCrypto: `crypto.subtle.encrypt` with a key imported once, DEPTH calls in flight at
 *   all times (a new one starts as each finishes), each with its own IV: what an ideal caller
 *   of WebCrypto gets;
 * - webtls AeadKey.seal: the subtle provider's AEAD key, driven the same way;
 * - webtls records: a ClientConnection after a TLS 1.3 handshake (subtle provider on both
 *   sides, the suite of the algorithm): two `write`s of DEPTH records' worth of data in flight
 *   (the engine seals a call's records concurrently), then `takeTls` of the result: the
 *   buffered API, which the streams API uses, with a fresh output buffer per write;
 * - webtls write-through: the same connection's `encrypt(plain, out)` into two output buffers
 *   allocated once and reused (docs/write-through.md), two calls in flight.
 *
 * Each measure returns MB/s (10^6 bytes of plaintext per second).
 */
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import type { AeadKey } from '../../src/crypto/provider.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import * as certs from '../../test/unit/data/certs.ts';
import { certifiedKey, pump } from '../../test/unit/helpers/loopback.ts';

export type GcmAlgorithm = 'AES-128-GCM' | 'AES-256-GCM';
export type Way =
  | 'raw WebCrypto'
  | 'webtls AeadKey.seal'
  | 'webtls records'
  | 'webtls write-through';
export const WAYS: Way[] = [
  'raw WebCrypto',
  'webtls AeadKey.seal',
  'webtls records',
  'webtls write-through',
];

/** Plaintext per record (the TLS maximum) and encryptions in flight. */
export const RECORD = 16_384;
export const DEPTH = 32;

const SUITES: Record<GcmAlgorithm, number> = {
  'AES-128-GCM': CipherSuite.TLS_AES_128_GCM_SHA256,
  'AES-256-GCM': CipherSuite.TLS_AES_256_GCM_SHA384,
};

/** Bytes per second of `step` (each call does `bytes`) over `ms`, after `warmMs` of warm-up. */
async function timed(step: () => Promise<number>, ms: number, warmMs: number): Promise<number> {
  for (const end = performance.now() + warmMs; performance.now() < end; ) await step();
  let bytes = 0;
  const start = performance.now();
  while (performance.now() < start + ms) bytes += await step();
  return bytes / ((performance.now() - start) / 1000) / 1e6;
}

/**
 * Keeps DEPTH calls of `one(i)` in flight until `ms` have passed; returns MB/s. Each call
 * encrypts RECORD bytes; `i` counts calls (for distinct nonces).
 */
async function pipelined(
  one: (i: number) => Promise<unknown>,
  ms: number,
  warmMs: number,
): Promise<number> {
  let calls = 0;
  const run = async (until: number): Promise<number> => {
    let done = 0;
    const lane = async () => {
      while (performance.now() < until) {
        await one(calls++);
        done++;
      }
    };
    await Promise.all(Array.from({ length: DEPTH }, lane));
    return done;
  };
  await run(performance.now() + warmMs);
  const start = performance.now();
  const done = await run(start + ms);
  return (done * RECORD) / ((performance.now() - start) / 1000) / 1e6;
}

/** A 12-byte nonce unique to call `i`. */
function nonceOf(i: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(8, i);
  return nonce;
}

/** The three measures for one algorithm, set up once (keys imported, handshake done). */
export interface AeadBench {
  measure(way: Way, ms: number, warmMs: number): Promise<number>;
}

export async function aeadBench(alg: GcmAlgorithm): Promise<AeadBench> {
  const provider = subtleProvider();
  const keyBytes = crypto.getRandomValues(new Uint8Array(alg === 'AES-128-GCM' ? 16 : 32));
  const rawKey = await crypto.subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['encrypt']);
  const sealer: AeadKey = await provider.aead(alg, keyBytes.slice());
  const plaintext = crypto.getRandomValues(new Uint8Array(RECORD));
  const aad = new Uint8Array([23, 3, 3, 0x40, 0x11]);

  const key = await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem);
  const cipherSuites = [SUITES[alg]];
  const client: ClientConfig = { provider, roots: [certs.caPem], sessionStore: null, cipherSuites };
  const server: ServerConfig = { provider, certificates: [key], cipherSuites };
  const conn = new ClientConnection(client, { serverName: 'localhost' });
  await pump(conn, new ServerConnection(server));
  if (!conn.handshakeComplete) throw new Error('aead bench: no handshake');
  const batch = new Uint8Array(DEPTH * RECORD);
  for (let at = 0; at < batch.length; at += RECORD) batch.set(plaintext, at);

  const outs = [0, 1].map(() => new Uint8Array(conn.encryptedLength(batch.length)));

  const ways: Record<Way, (ms: number, warmMs: number) => Promise<number>> = {
    'raw WebCrypto': (ms, warmMs) =>
      pipelined(
        (i) =>
          crypto.subtle.encrypt(
            { name: 'AES-GCM', iv: nonceOf(i), additionalData: aad, tagLength: 128 },
            rawKey,
            plaintext,
          ),
        ms,
        warmMs,
      ),
    'webtls AeadKey.seal': (ms, warmMs) =>
      pipelined((i) => sealer.seal(nonceOf(i), aad, plaintext), ms, warmMs),
    'webtls records': (ms, warmMs) =>
      timed(
        async () => {
          // Two writes in flight, as a streaming caller keeps them (the engine may start the
          // second's records while the first's are sealing), each one's records taken as soon
          // as it is done, as a transport would (taking both at once would join them: a copy).
          const take = () => {
            if (!conn.takeTls()) throw new Error('aead bench: no records');
          };
          await Promise.all([conn.write(batch).then(take), conn.write(batch).then(take)]);
          return 2 * batch.length;
        },
        ms,
        warmMs,
      ),
    'webtls write-through': (ms, warmMs) =>
      timed(
        async () => {
          const done = await Promise.all(outs.map((out) => conn.encrypt(batch, out)));
          return done.reduce((sum, r) => sum + r.consumed, 0);
        },
        ms,
        warmMs,
      ),
  };
  return { measure: (way, ms, warmMs) => ways[way](ms, warmMs) };
}
