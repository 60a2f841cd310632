import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concat,
  copy,
  equalBytes,
  fromBase64,
  fromHex,
  fromUtf8,
  toBase64,
  toHex,
  utf8,
} from '../../src/util/bytes.ts';

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('hex', () => {
  it('encodes lowercase, two digits per byte', () => {
    expect(toHex(Uint8Array.from([0, 1, 0x0f, 0x10, 0xab, 0xff]))).toBe('00010f10abff');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('decodes either case and ignores whitespace and colons', () => {
    expect(fromHex('00 01:0F\n10 AB ff')).toEqual(Uint8Array.from([0, 1, 0x0f, 0x10, 0xab, 0xff]));
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it.each(['abc', 'zz', '0x00', '12 3', 'g0'])('rejects %j', (bad) => {
    expect(() => fromHex(bad)).toThrow(TypeError);
  });

  it('round-trips every byte value and random data', () => {
    expect(fromHex(toHex(allBytes))).toEqual(allBytes);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(fromHex(toHex(data))).toEqual(data);
      }),
    );
  });
});

describe('base64', () => {
  // RFC 4648 §10 test vectors.
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('%j encodes as %j and back', (text, b64) => {
    expect(toBase64(utf8(text))).toBe(b64);
    expect(fromUtf8(fromBase64(b64))).toBe(text);
  });

  it('decodes PEM bodies wrapped over several lines', () => {
    expect(fromUtf8(fromBase64('Zm9v\nYmFy\r\n  '))).toBe('foobar');
  });

  it('round-trips every byte value and random data', () => {
    expect(fromBase64(toBase64(allBytes))).toEqual(allBytes);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(fromBase64(toBase64(data))).toEqual(data);
      }),
    );
  });

  it('rejects characters outside the alphabet', () => {
    expect(() => fromBase64('Zm9v!')).toThrow();
  });
});

describe('equalBytes', () => {
  it('compares content and length', () => {
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(equalBytes(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(equalBytes(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(equalBytes(fromHex('0102'), fromHex('8102'))).toBe(false);
    expect(equalBytes(fromHex('0102'), fromHex('010200'))).toBe(false);
  });

  it('agrees with a byte-by-byte comparison on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        const same = a.length === b.length && a.every((v, i) => v === b[i]);
        expect(equalBytes(a, b)).toBe(same);
        expect(equalBytes(a, a.slice())).toBe(true);
      }),
    );
  });
});

describe('utf8', () => {
  it('encodes and decodes multi-byte characters', () => {
    expect(toHex(utf8('é€😀'))).toBe('c3a9' + 'e282ac' + 'f09f9880');
    expect(fromUtf8(fromHex('c3a9e282acf09f9880'))).toBe('é€😀');
  });

  it.each(['ff', 'c3', 'c328', 'eda080'])('rejects malformed UTF-8 %s', (hex) => {
    expect(() => fromUtf8(fromHex(hex))).toThrow(TypeError);
  });
});

describe('copy and concat', () => {
  it('copy owns its memory', () => {
    const source = fromHex('0102');
    const owned = copy(source);
    source[0] = 9;
    expect(toHex(owned)).toBe('0102');
    expect(owned.buffer).not.toBe(source.buffer);
  });

  it('concat copies views at their offsets', () => {
    const base = fromHex('00112233');
    expect(toHex(concat(base.subarray(1, 3), base.subarray(0, 1)))).toBe('112200');
  });
});
