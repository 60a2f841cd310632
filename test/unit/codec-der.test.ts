/**
 * The DER reader and writer (X.690 §8, §10) shared by the crypto layer and the verifier: what
 * it reads, what it writes, and the non-DER input it refuses.
 */
import { describe, expect, it } from 'vitest';
import {
  checkDer,
  DerReader,
  decodeOid,
  decodeSmallInt,
  encodeOid,
  encodeSmallInt,
  encodeTlv,
  encodeUnsignedInteger,
  readOnly,
  readTlv,
  Tag,
  unsignedIntegerBytes,
} from '../../src/codec/der.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

describe('DER TLVs', () => {
  it('encodes and reads short and long lengths', () => {
    const body = new Uint8Array(300);
    const tlv = encodeTlv(Tag.OCTET_STRING, body);
    expect(toHex(tlv.subarray(0, 4))).toBe('0482012c');
    expect(readOnly(tlv).content.length).toBe(300);
    expect(toHex(encodeTlv(Tag.SEQUENCE, new Uint8Array(0x80)).subarray(0, 3))).toBe('308180');
    expect(toHex(encodeTlv(Tag.NULL))).toBe('0500');
    const big = encodeTlv(Tag.OCTET_STRING, new Uint8Array(0x10000));
    expect(toHex(big.subarray(0, 5))).toBe('0483010000');
    expect(readOnly(big).content.length).toBe(0x10000);
  });

  it('rejects indefinite, non-minimal and overlong lengths', () => {
    expect(() => readTlv(fromHex('30800000'))).toThrow(/indefinite/);
    expect(() => readTlv(fromHex('0481050102030405'))).toThrow(/minimal/);
    expect(() => readTlv(fromHex('04820090'))).toThrow(/minimal/);
    expect(() => readTlv(fromHex('0482000a'))).toThrow(/minimal/);
    expect(() => readTlv(fromHex('048401000000'))).toThrow(/too large/);
    expect(() => readTlv(fromHex('04050102'))).toThrow(/past the end/);
    expect(() => readTlv(fromHex('0482'))).toThrow(/truncated/);
    expect(() => readTlv(fromHex('04'))).toThrow(/truncated/);
    expect(() => readTlv(fromHex('1f0100'))).toThrow(/high tag/);
    expect(() => readOnly(fromHex('050000'))).toThrow(/trailing/);
    expect(() => readOnly(fromHex('0500'), Tag.SEQUENCE)).toThrow(/expected tag 0x30/);
  });

  it('refuses to write a length the reader would refuse', () => {
    expect(() => encodeTlv(Tag.OCTET_STRING, new Uint8Array(2 ** 24))).toThrow(/too long/);
  });
});

describe('DER INTEGERs', () => {
  it('reads non-negative minimal integers only', () => {
    expect(toHex(unsignedIntegerBytes(fromHex('00ff')))).toBe('ff');
    expect(toHex(unsignedIntegerBytes(fromHex('7f')))).toBe('7f');
    expect(toHex(unsignedIntegerBytes(fromHex('00')))).toBe('00');
    expect(() => unsignedIntegerBytes(fromHex('80'))).toThrow(/negative/);
    expect(() => unsignedIntegerBytes(fromHex('0001'))).toThrow(/non-minimal/);
    expect(() => unsignedIntegerBytes(new Uint8Array())).toThrow(/empty/);
  });

  it('reads small integers below 2^32, refusing non-minimal encodings', () => {
    expect(decodeSmallInt(readOnly(fromHex('020100')))).toBe(0);
    expect(decodeSmallInt(readOnly(fromHex('020500ffffffff')))).toBe(0xffffffff);
    expect(() => decodeSmallInt(readOnly(fromHex('0206010000000000')))).toThrow(/too large/);
    expect(() => decodeSmallInt(readOnly(fromHex('02020005')))).toThrow(/non-minimal/);
    expect(() => decodeSmallInt(readOnly(fromHex('0201ff')))).toThrow(/negative/);
    // An implicitly tagged INTEGER (GeneralSubtree minimum [0]) reads the same.
    expect(decodeSmallInt(readOnly(fromHex('800102')))).toBe(2);
  });

  it('writes minimal integers', () => {
    expect(toHex(encodeSmallInt(0))).toBe('020100');
    expect(toHex(encodeSmallInt(127))).toBe('02017f');
    expect(toHex(encodeSmallInt(128))).toBe('02020080');
    expect(toHex(encodeSmallInt(0x7fffffff))).toBe('02047fffffff');
    expect(toHex(encodeUnsignedInteger(fromHex('000001')))).toBe('020101');
    expect(toHex(encodeUnsignedInteger(fromHex('ff')))).toBe('020200ff');
    expect(toHex(encodeUnsignedInteger(new Uint8Array()))).toBe('020100');
    expect(() => encodeSmallInt(-1)).toThrow(/range/);
  });
});

describe('DER OBJECT IDENTIFIERs', () => {
  it('round-trips OIDs, including arcs up to 2^32 - 1', () => {
    for (const oid of [
      '1.2.840.113549.1.1.11',
      '2.5.29.37.0',
      '2.999.3',
      '0.9.2342.19200300.100.1.25',
      '1.3.6.1.4.1.311.60.2.1.3',
      '1.2.4294967295',
    ]) {
      expect(decodeOid(readOnly(encodeOid(oid), Tag.OID).content)).toBe(oid);
    }
    expect(toHex(encodeOid('1.2.840.10045.3.1.7'))).toBe('06082a8648ce3d030107');
  });

  it('refuses malformed OIDs on both sides', () => {
    expect(() => decodeOid(fromHex('2a86'))).toThrow(/truncated/);
    expect(() => decodeOid(fromHex('2a8001'))).toThrow(/non-minimal/);
    expect(() => decodeOid(new Uint8Array())).toThrow(/empty/);
    // 2^32 does not fit: a bound on the work one arc can cost.
    expect(() => decodeOid(fromHex('2a9080808000'))).toThrow(/too large/);
    for (const bad of ['1', '3.1', '1.40', 'a.b', '1.2.4294967296', '']) {
      expect(() => encodeOid(bad)).toThrow();
    }
  });
});

describe('DerReader', () => {
  it('reads a structure field by field', () => {
    // SEQUENCE { INTEGER 5, OID 1.2.3, NULL, BIT STRING 00 ab, [0] { INTEGER 0 } }
    const der = encodeTlv(
      Tag.SEQUENCE,
      encodeSmallInt(5),
      encodeOid('1.2.3'),
      encodeTlv(Tag.NULL),
      encodeTlv(Tag.BIT_STRING, fromHex('00ab')),
      encodeTlv(Tag.context(0), encodeSmallInt(0)),
    );
    const outer = new DerReader(der);
    const seq = outer.sequence();
    outer.end();
    expect(seq.smallInteger()).toBe(5);
    expect(seq.oid()).toBe('1.2.3');
    seq.null();
    expect(toHex(seq.bitStringBytes())).toBe('ab');
    expect(seq.optional(Tag.context(1))).toBeUndefined();
    expect(toHex(seq.optional(Tag.context(0)) ?? new Uint8Array())).toBe('020100');
    expect(seq.done).toBe(true);
    expect(seq.peekTag()).toBe(-1);
    seq.end();
  });

  it('refuses wrong tags, trailing bytes, unused bits and NULL content', () => {
    expect(() => new DerReader(fromHex('0500')).sequence()).toThrow(/expected tag 0x30/);
    expect(() => new DerReader(new Uint8Array()).read(Tag.NULL)).toThrow(/truncated/);
    const r = new DerReader(fromHex('05000500'));
    r.null();
    expect(() => r.end()).toThrow(/trailing/);
    expect(() => new DerReader(fromHex('030204f0')).bitStringBytes()).toThrow(/unused bits/);
    expect(() => new DerReader(fromHex('050100')).null()).toThrow(/NULL/);
  });
});

describe('checkDer', () => {
  const seq = (...parts: Uint8Array[]) => encodeTlv(Tag.SEQUENCE, ...parts);

  it('accepts nested DER', () => {
    expect(() =>
      checkDer(seq(seq(encodeOid('1.2.3'), encodeTlv(Tag.NULL)), encodeTlv(Tag.context(3), seq()))),
    ).not.toThrow();
  });

  it('finds non-DER lengths at any depth', () => {
    // SEQUENCE { SEQUENCE { OCTET STRING with a non-minimal length } }
    expect(() => checkDer(fromHex('30063004048101ff'))).toThrow(/minimal/);
    expect(() => checkDer(fromHex('3006308002010000'))).toThrow(/indefinite/);
    expect(() => checkDer(fromHex('30023000ff'))).toThrow(/trailing/);
  });

  it('refuses constructed strings, primitive SEQUENCEs, and odd BOOLEANs and NULLs', () => {
    // A constructed OCTET STRING (0x24) is BER, never DER (X.690 §10.2).
    expect(() => checkDer(fromHex('30052403040100'))).toThrow(/wrong form/);
    expect(() => checkDer(fromHex('1000'))).toThrow(/wrong form/);
    expect(() => checkDer(fromHex('3004010200ff'))).toThrow(/BOOLEAN/);
    expect(() => checkDer(fromHex('3003050100'))).toThrow(/NULL/);
  });

  it('bounds the nesting depth', () => {
    let v = encodeTlv(Tag.NULL);
    for (let i = 0; i < 31; i++) v = seq(v);
    expect(() => checkDer(v)).not.toThrow();
    expect(() => checkDer(seq(seq(v)))).toThrow(/deeply/);
  });
});
