/**
 * The buffered API's own buffers: `readTls` copies unless the caller transfers the bytes, in
 * which case the engine keeps them and decrypts in place inside them; decrypted data stays
 * intact however the input buffer moves on, whether the AEAD decrypted in place or into a buffer
 * of its own. Also the InputBuffer underneath, which the streams layer also gathers writes in.
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import { InputBuffer } from '../../src/record/input-buffer.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array(0));

async function established(provider: CryptoProvider, cipherSuites?: number[]) {
  const server = new ServerConnection({
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
  });
  const client = new ClientConnection(
    { provider, roots: [certs.caPem], sessionStore: null, cipherSuites },
    { serverName: 'localhost' },
  );
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server };
}

/** One record of application data from `client`, as the bytes the server would receive. */
async function record(client: ClientConnection, data: string): Promise<Uint8Array> {
  await client.write(text(data));
  const out = client.takeTls();
  if (!out) throw new Error('no record');
  return out;
}

const cases: [string, CryptoProvider, number[] | undefined][] = [
  // WebCrypto's AES-GCM decrypts into a buffer of its own.
  ['AES-GCM, decrypted into the AEAD’s own buffer', subtleProvider(), undefined],
  // noble's ChaCha20-Poly1305 decrypts in place.
  [
    'ChaCha20-Poly1305, decrypted in place',
    nobleProvider(),
    [CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
  ],
];

describe('buffered API input', () => {
  it.each(cases)('%s: a copied chunk is left as the caller gave it', async (_, p, suites) => {
    const { client, server } = await established(p, suites);
    const wire = await record(client, 'left alone');
    const before = wire.slice();
    server.readTls(wire);
    await server.process();
    expect(decode(server.read())).toBe('left alone');
    expect(wire).toEqual(before);
  });

  it.each(cases)('%s: transferred chunks give the same data, in order', async (_, p, suites) => {
    const { client, server } = await established(p, suites);
    const first = await record(client, 'the first record, longer than the second; ');
    const second = await record(client, 'second; ');
    const third = await record(client, 'third');
    // A whole record and the start of the next in one chunk, then the rest: the partial record
    // is moved to the front of the storage, over where the first record's data was decrypted.
    const chunk = new Uint8Array(first.length + 7);
    chunk.set(first);
    chunk.set(second.subarray(0, 7), first.length);
    server.readTls(chunk, { transfer: true });
    await server.process();
    server.readTls(second.subarray(7), { transfer: true });
    await server.process();
    server.readTls(third, { transfer: true });
    await server.process();
    // Data read only now is intact although the input buffer moved on twice.
    expect(decode(server.read())).toBe('the first record, longer than the second; second; third');
    expect(server.read()).toBeNull();
  });

  it('a transferred chunk is decrypted in place: no copy was made', async () => {
    const { client, server } = await established(nobleProvider(), [
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ]);
    const wire = await record(client, 'in place');
    const before = wire.slice();
    server.readTls(wire, { transfer: true });
    await server.process();
    expect(decode(server.read())).toBe('in place');
    // The plaintext was written over the ciphertext inside the caller's former chunk.
    expect(wire).not.toEqual(before);
    expect(decode(wire.subarray(5, 5 + 8))).toBe('in place');
  });
});

describe('InputBuffer', () => {
  it('adopts a chunk when empty, appends otherwise, and keeps bytes in order', () => {
    const input = new InputBuffer();
    const chunk = Uint8Array.of(1, 2, 3, 4);
    input.adopt(chunk);
    expect(input.view().buffer).toBe(chunk.buffer);
    input.discard(3);
    const second = Uint8Array.of(5, 6);
    input.adopt(second);
    expect([...input.view()]).toEqual([4, 5, 6]);
    expect(input.view().buffer).not.toBe(second.buffer);
    input.discard(3);
    expect(input.length).toBe(0);
    input.adopt(new Uint8Array(0));
    expect(input.length).toBe(0);
  });
});

describe('InputBuffer as a write batch', () => {
  it('gathers chunks in order through growth; callers may reuse their chunks at once', () => {
    const batch = new InputBuffer();
    const scratch = new Uint8Array(3000);
    const expected: number[] = [];
    for (let i = 0; i < 10; i++) {
      scratch.fill(i);
      batch.append(scratch);
      expected.push(...scratch);
    }
    expect(batch.length).toBe(30_000);
    const taken = batch.take();
    expect(batch.length).toBe(0);
    expect([...taken]).toEqual(expected);
    batch.append(Uint8Array.of(9, 9));
    // A new batch does not write into what was taken.
    expect([...batch.take()]).toEqual([9, 9]);
    expect([...taken.subarray(0, 3)]).toEqual([0, 0, 0]);
  });
});
