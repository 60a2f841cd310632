import { describe, expect, it } from 'vitest';
import { ecdsaDerToRaw, ecdsaRawToDer } from '../../src/crypto/ecdsa-der.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

const r32 = (first: number, fill = 0x11) => {
  const b = new Uint8Array(32).fill(fill);
  b[0] = first;
  return b;
};

describe('ECDSA signature DER <-> r||s', () => {
  it('round-trips small values, and pads a high bit with 0x00', () => {
    const raw = new Uint8Array(64);
    raw.set(r32(0x80), 0); // r needs a sign byte
    raw.set(r32(0x7f), 32); // s does not
    const der = ecdsaRawToDer(raw);
    expect(toHex(der)).toBe(`3045022100${toHex(r32(0x80))}0220${toHex(r32(0x7f))}`);
    expect(toHex(ecdsaDerToRaw(der, 32)!)).toBe(toHex(raw));
  });

  it('strips leading zeros of r and s to minimal INTEGERs, and restores them', () => {
    const raw = new Uint8Array(64);
    raw[31] = 1; // r = 1
    raw[62] = 0x00;
    raw[63] = 0x80; // s = 0x80, needs a sign byte
    const der = ecdsaRawToDer(raw);
    expect(toHex(der)).toBe('3007020101020200' + '80');
    expect(toHex(ecdsaDerToRaw(der, 32)!)).toBe(toHex(raw));
  });

  it('uses the long length form for P-521 sized signatures', () => {
    const raw = new Uint8Array(132).fill(0xff);
    raw[0] = 0x01;
    raw[66] = 0x01;
    const der = ecdsaRawToDer(raw);
    expect(toHex(der.subarray(0, 3))).toBe('308188');
    expect(toHex(ecdsaDerToRaw(der, 66)!)).toBe(toHex(raw));
  });

  const valid = '3006020101020102';
  it.each([
    ['a wrong outer tag', '3106020101020102'],
    ['a truncated sequence', '3007020101020102'],
    ['trailing bytes after the sequence', valid + '00'],
    ['a third element', '30090201010201020201ff'.slice(0, 22)],
    ['trailing bytes inside the sequence', '300702010102010200'],
    ['an indefinite length', '3080020101020102' + '0000'],
    ['a long-form length under 128', '308106020101020102'],
    ['a non-minimal INTEGER', '30070202000102' + '0102'],
    ['a negative INTEGER', '3006020181020102'],
    ['an empty INTEGER', '30050200020102'],
    ['a zero r', '3006020100020102'],
    ['a zero s', '3006020101020100'],
    ['a wrong INTEGER tag', '3006030101020102'],
    ['an empty input', ''],
  ])('rejects %s', (_what, hex) => {
    expect(ecdsaDerToRaw(fromHex(hex), 32)).toBeUndefined();
  });

  it('accepts the minimal valid form', () => {
    expect(ecdsaDerToRaw(fromHex(valid), 32)).toBeDefined();
  });

  it('rejects r or s longer than the curve size', () => {
    const big = new Uint8Array(64).fill(0x7f);
    const der = ecdsaRawToDer(big);
    expect(ecdsaDerToRaw(der, 32)).toBeDefined();
    expect(ecdsaDerToRaw(der, 31)).toBeUndefined();
  });
});
