import { describe, expect, it } from 'vitest';
import { subtleProvider } from '../../src/crypto/index.ts';
import type { AeadKey } from '../../src/crypto/provider.ts';
import { TlsError } from '../../src/error.ts';
import { ContentType } from '../../src/msgs/enums.ts';
import { Deframer, MAX_CIPHERTEXT } from '../../src/record/deframer.ts';
import { RecordLayer } from '../../src/record/layer.ts';
import { openAll } from './record-io.ts';

const provider = subtleProvider();
const key = new Uint8Array(16).fill(1);
const iv = new Uint8Array(12).fill(2);

/** An AEAD whose operations finish in reverse order of their start, to shake out ordering bugs. */
function reversingAead(inner: AeadKey): AeadKey & { started: number } {
  let started = 0;
  const delay = () => new Promise((r) => setTimeout(r, Math.max(0, 20 - 5 * started++)));
  const wrap = {
    get started() {
      return started;
    },
    async seal(n: Uint8Array, a: Uint8Array, p: Uint8Array) {
      const out = inner.seal(n, a, p);
      await delay();
      return out;
    },
    async open(n: Uint8Array, a: Uint8Array, c: Uint8Array) {
      const out = inner.open(n, a, c);
      await delay();
      return out;
    },
  };
  return wrap;
}

describe('record layer', () => {
  it('keeps record order with several seals and opens in flight', async () => {
    const aead = await provider.aead('AES-128-GCM', key);
    const out = new RecordLayer();
    const sealing = reversingAead(aead);
    out.setWriteKey(sealing, iv);
    // Three records in one write (48 KiB) plus two more, sealed concurrently into one buffer.
    const big = new Uint8Array(3 * 16384);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    out.queue(ContentType.application_data, big);
    out.queue(ContentType.application_data, new Uint8Array([1, 2, 3]));
    out.queue(ContentType.application_data, new Uint8Array([4]));
    const wire = new Uint8Array(out.pendingLength);
    expect(await out.encode(wire)).toBe(wire.length);

    const inbound = new RecordLayer();
    const opening = reversingAead(aead);
    inbound.setReadKey(opening, iv);
    const got: number[] = [];
    for (const r of await openAll(inbound, wire)) got.push(...r.content);
    expect(opening.started).toBe(5);
    expect(got.length).toBe(big.length + 4);
    expect(got.slice(0, big.length)).toEqual([...big]);
    expect(got.slice(big.length)).toEqual([1, 2, 3, 4]);
  });

  it('puts consecutive handshake messages under one key in one record, and nothing else', async () => {
    const aead = await provider.aead('AES-128-GCM', key);
    const out = new RecordLayer();
    // In the clear: two messages share a record.
    out.queue(ContentType.handshake, new Uint8Array([1, 1]));
    out.queue(ContentType.handshake, new Uint8Array([2]));
    // A key change starts a new record; the next two messages share it.
    out.setWriteKey(aead, iv);
    out.queue(ContentType.handshake, new Uint8Array([3]));
    out.queue(ContentType.handshake, new Uint8Array([4, 4]));
    // An alert is never joined, nor is a handshake message after it.
    out.queue(ContentType.alert, new Uint8Array([1, 0]));
    out.queue(ContentType.handshake, new Uint8Array([5]));
    // A message that would overflow the record starts its own.
    out.queue(ContentType.handshake, new Uint8Array(16384).fill(6));
    // Application data is never joined.
    out.queue(ContentType.application_data, new Uint8Array([7]));
    out.queue(ContentType.application_data, new Uint8Array([8]));
    const wire = new Uint8Array(out.pendingLength);
    expect(await out.encode(wire)).toBe(wire.length);

    const plain = new Deframer();
    plain.push(wire.subarray(0, 5 + 3));
    const first = plain.next()!;
    expect([first.type, ...first.fragment]).toEqual([ContentType.handshake, 1, 1, 2]);
    const inbound = new RecordLayer();
    inbound.setReadKey(aead, iv);
    const records = await openAll(inbound, wire.subarray(8));
    expect(records.map((r) => [r.type, r.content.length])).toEqual([
      [ContentType.handshake, 3],
      [ContentType.alert, 2],
      [ContentType.handshake, 1],
      [ContentType.handshake, 16384],
      [ContentType.application_data, 1],
      [ContentType.application_data, 1],
    ]);
    expect([...records[0].content]).toEqual([3, 4, 4]);
  });

  it('deframes records split down to single bytes', () => {
    const d = new Deframer();
    const record = new Uint8Array([22, 3, 3, 0, 3, 9, 8, 7, 23, 3, 3, 0, 1, 5]);
    for (const b of record) d.push(new Uint8Array([b]));
    const a = d.next()!;
    const b = d.next()!;
    expect([a.type, ...a.fragment]).toEqual([22, 9, 8, 7]);
    expect([b.type, ...b.fragment]).toEqual([23, 5]);
    expect(d.next()).toBeUndefined();
  });

  it('refuses an oversized record from its header alone, with record_overflow', () => {
    const d = new Deframer();
    const len = MAX_CIPHERTEXT + 1;
    d.push(new Uint8Array([23, 3, 3, len >> 8, len & 0xff]));
    expect(() => d.next()).toThrow(TlsError);
    try {
      d.next();
    } catch (e) {
      expect((e as TlsError).code).toBe('RECORD_OVERFLOW');
      expect((e as TlsError).alert).toBe(22);
    }
  });

  it('refuses a record that is not TLS', () => {
    const d = new Deframer();
    d.push(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    expect(() => d.next()).toThrow(/record version/);
  });

  it('reports an all-padding record as unexpected_message (RFC 8446 §5.4)', async () => {
    const aead = await provider.aead('AES-128-GCM', key);
    const sealed = await aead.seal(
      new Uint8Array(iv),
      new Uint8Array([23, 3, 3, 0, 20]),
      new Uint8Array(4),
    );
    const inbound = new RecordLayer();
    inbound.setReadKey(aead, iv);
    const wire = new Uint8Array([23, 3, 3, 0, sealed.length, ...sealed]);
    await expect(openAll(inbound, wire)).rejects.toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
  });
});
