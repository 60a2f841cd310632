import { describe, expect, it } from 'vitest';
import { encodeClientHello } from '../../src/msgs/client-hello.ts';
import { HandshakeType } from '../../src/msgs/enums.ts';
import {
  DEFAULT_MAX_HANDSHAKE_SIZE,
  decodeHandshake,
  encodeHandshake,
  HandshakeJoiner,
  type HandshakeMessage,
} from '../../src/msgs/handshake.ts';
import { concat, toHex } from '../../src/util/bytes.ts';
import { expectTlsError, sampleClientHello, seq } from './msgs-helpers.ts';

function drain(j: HandshakeJoiner): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (let m = j.next(); m !== undefined; m = j.next()) out.push(m);
  return out;
}

describe('encodeHandshake / decodeHandshake (RFC 8446 §4)', () => {
  it('writes type u8, length u24, then the body', () => {
    const raw = encodeHandshake(HandshakeType.finished, seq(0x0102 + 3).subarray(3));
    expect(toHex(raw.subarray(0, 4))).toBe('14000102');
    expect(raw.length).toBe(4 + 0x0102);
    const msg = decodeHandshake(raw);
    expect(msg.type).toBe(HandshakeType.finished);
    expect(msg.body).toEqual(raw.subarray(4));
    expect(msg.raw).toBe(raw);
  });

  it('frames an empty body', () => {
    expect(toHex(encodeHandshake(HandshakeType.end_of_early_data, new Uint8Array(0)))).toBe(
      '05000000',
    );
  });

  it('rejects short, long and oversized framed messages', () => {
    const raw = encodeHandshake(HandshakeType.key_update, Uint8Array.of(1));
    expectTlsError(() => decodeHandshake(raw.subarray(0, 3)), 'DECODE_ERROR');
    expectTlsError(() => decodeHandshake(raw.subarray(0, 4)), 'DECODE_ERROR');
    expectTlsError(() => decodeHandshake(concat(raw, Uint8Array.of(0))), 'DECODE_ERROR');
    expectTlsError(() => decodeHandshake(raw, 0), 'DECODE_ERROR');
  });
});

describe('HandshakeJoiner', () => {
  const ch = encodeHandshake(HandshakeType.client_hello, encodeClientHello(sampleClientHello()));
  const fin = encodeHandshake(HandshakeType.finished, seq(32));
  const ku = encodeHandshake(HandshakeType.key_update, Uint8Array.of(0));

  it('returns one whole message from one record', () => {
    const j = new HandshakeJoiner();
    j.push(ch);
    const [m, ...rest] = drain(j);
    expect(rest).toHaveLength(0);
    expect(m.type).toBe(HandshakeType.client_hello);
    expect(m.raw).toEqual(ch);
    expect(m.body).toEqual(ch.subarray(4));
    expect(j.hasPartial).toBe(false);
    expect(j.bufferedBytes).toBe(0);
  });

  it('reassembles a message fragmented down to one byte per record', () => {
    const j = new HandshakeJoiner();
    for (let i = 0; i < ch.length; i++) {
      j.push(ch.subarray(i, i + 1));
      if (i < ch.length - 1) {
        expect(j.next()).toBeUndefined();
        expect(j.hasPartial).toBe(true);
        expect(j.bufferedBytes).toBe(i + 1);
      }
    }
    const msgs = drain(j);
    expect(msgs).toHaveLength(1);
    expect(msgs[0].raw).toEqual(ch);
    expect(j.hasPartial).toBe(false);
  });

  it('splits several messages coalesced in one record, in order', () => {
    const j = new HandshakeJoiner();
    j.push(concat(ch, fin, ku));
    expect(j.next()?.raw).toEqual(ch);
    // A complete message still buffered counts: it would span a key change (RFC 8446 §5.1).
    expect(j.hasPartial).toBe(true);
    const rest = drain(j);
    expect(rest.map((m) => m.type)).toEqual([HandshakeType.finished, HandshakeType.key_update]);
    expect(rest[0].body).toEqual(seq(32));
    expect(j.hasPartial).toBe(false);
  });

  it('handles messages straddling record boundaries at every split point', () => {
    const all = concat(fin, ch, ku);
    for (let cut = 1; cut < all.length; cut++) {
      const j = new HandshakeJoiner();
      j.push(all.subarray(0, cut));
      const first = drain(j);
      j.push(all.subarray(cut));
      const msgs = [...first, ...drain(j)];
      expect(msgs.map((m) => toHex(m.raw))).toEqual([toHex(fin), toHex(ch), toHex(ku)]);
      expect(j.hasPartial).toBe(false);
    }
  });

  it('reports a partial header and a partial body', () => {
    const j = new HandshakeJoiner();
    j.push(fin.subarray(0, 2));
    expect(j.next()).toBeUndefined();
    expect(j.hasPartial).toBe(true);
    j.push(fin.subarray(2, 10));
    expect(j.next()).toBeUndefined();
    expect(j.hasPartial).toBe(true);
    j.push(fin.subarray(10));
    expect(j.next()?.raw).toEqual(fin);
  });

  it('copies pushed bytes and returns messages that own their memory', () => {
    const j = new HandshakeJoiner();
    const payload = fin.slice();
    j.push(payload);
    payload.fill(0xee);
    const m = j.next()!;
    expect(m.raw).toEqual(fin);
    j.push(ku);
    expect(m.raw).toEqual(fin);
  });

  it('defaults to a 64 KiB cap and accepts a message of exactly the cap', () => {
    const j = new HandshakeJoiner();
    expect(j.maxMessageSize).toBe(DEFAULT_MAX_HANDSHAKE_SIZE);
    expect(DEFAULT_MAX_HANDSHAKE_SIZE).toBe(65536);
    const big = encodeHandshake(HandshakeType.certificate, new Uint8Array(65536));
    for (let i = 0; i < big.length; i += 16384) j.push(big.subarray(i, i + 16384));
    expect(j.next()?.body.length).toBe(65536);
  });

  it('rejects an oversized message as soon as its header arrives', () => {
    const j = new HandshakeJoiner({ maxMessageSize: 1000 });
    // Only the header: the body never needs to be buffered to fail.
    const err = expectTlsError(() => j.push(Uint8Array.of(11, 0, 0x03, 0xe9)), 'DECODE_ERROR');
    expect(err.message).toContain('1001');
    expect(err.message).toContain('1000');
    // A header split across records is still checked once complete.
    const k = new HandshakeJoiner({ maxMessageSize: 1000 });
    k.push(Uint8Array.of(11, 0));
    expectTlsError(() => k.push(Uint8Array.of(0x03, 0xe9)), 'DECODE_ERROR');
    // So is a header that follows a complete message in the same record.
    const l = new HandshakeJoiner({ maxMessageSize: 1000 });
    expectTlsError(() => l.push(concat(fin, Uint8Array.of(11, 0xff, 0xff, 0xff))), 'DECODE_ERROR');
  });

  it('accepts a larger configured cap and rejects invalid caps', () => {
    const j = new HandshakeJoiner({ maxMessageSize: 200_000 });
    j.push(Uint8Array.of(11, 0x03, 0x0d, 0x40));
    expect(j.hasPartial).toBe(true);
    expectTlsError(() => new HandshakeJoiner({ maxMessageSize: -1 }), 'CONFIG');
    expectTlsError(() => new HandshakeJoiner({ maxMessageSize: 1 << 24 }), 'CONFIG');
  });

  it('rejects an empty handshake record (RFC 8446 §5.1)', () => {
    expectTlsError(() => new HandshakeJoiner().push(new Uint8Array(0)), 'UNEXPECTED_MESSAGE');
  });

  it('keeps unknown message types for the state machine to reject', () => {
    const j = new HandshakeJoiner();
    j.push(encodeHandshake(0x77, Uint8Array.of(1, 2)));
    expect(j.next()?.type).toBe(0x77);
  });

  it('stays bounded over many small messages', () => {
    const j = new HandshakeJoiner();
    for (let i = 0; i < 2_000; i++) {
      j.push(ku);
      expect(j.next()?.raw).toEqual(ku);
    }
    expect(j.bufferedBytes).toBe(0);
  });
});
