import { describe, expect, it } from 'vitest';
import { alertName } from '../../src/error.ts';
import {
  AlertDescription,
  CipherSuite,
  ExtensionType,
  HandshakeType,
  isGrease,
  NamedGroup,
  nameOf,
  ProtocolVersion,
  SignatureScheme,
  versionName,
} from '../../src/msgs/enums.ts';

/** RFC 8701 §2: the 16 two-byte GREASE values, 0x0A0A, 0x1A1A, ..., 0xFAFA. */
const GREASE = Array.from({ length: 16 }, (_, i) => 0x0a0a + 0x1010 * i);

function hex(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

const tables = {
  AlertDescription,
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  SignatureScheme,
};

describe('nameOf', () => {
  it('names known code points', () => {
    expect(nameOf(CipherSuite, 0x1301)).toBe('TLS_AES_128_GCM_SHA256');
    expect(nameOf(ExtensionType, 0xfe0d)).toBe('encrypted_client_hello');
    expect(nameOf(NamedGroup, 0x11ec)).toBe('X25519MLKEM768');
    expect(nameOf(SignatureScheme, 0x0804)).toBe('rsa_pss_rsae_sha256');
    expect(nameOf(HandshakeType, 0)).toBe('hello_request');
  });

  it.each(Object.entries(tables))('every %s value maps back to its own name', (_, table) => {
    // A duplicated value would make one of the two names unreachable.
    for (const [name, value] of Object.entries(table)) expect(nameOf(table, value)).toBe(name);
  });

  it('prints unknown values in zero-padded hex', () => {
    expect(nameOf(NamedGroup, 0x2a)).toBe('0x002a');
    expect(nameOf(ExtensionType, 0xabcd)).toBe('0xabcd');
    expect(nameOf(AlertDescription, 5, 2)).toBe('0x05');
    expect(alertName(200)).toBe('0xc8');
    expect(alertName(AlertDescription.decode_error)).toBe('decode_error');
  });

  it.each(GREASE.map((g) => [hex(g), g]))('GREASE %s prints as hex in every table', (text, g) => {
    for (const table of Object.values(tables)) expect(nameOf(table, g)).toBe(text);
  });
});

describe('isGrease', () => {
  it('is true for exactly the 16 RFC 8701 values among all u16', () => {
    const found: number[] = [];
    for (let v = 0; v <= 0xffff; v++) if (isGrease(v)) found.push(v);
    expect(found).toEqual(GREASE);
  });

  it.each(
    [0x0a1a, 0x1a0a, 0x0a0b, 0x0b0a, 0x000a, 0x0a00, 0x1301, 0x001d, 0x10a0a].map((v) => [
      hex(v),
      v,
    ]),
  )('rejects %s, which is not GREASE', (_, v) => {
    expect(isGrease(v)).toBe(false);
  });

  it('no assigned code point in the tables is GREASE', () => {
    for (const table of Object.values(tables)) {
      for (const value of Object.values(table)) expect(isGrease(value)).toBe(false);
    }
  });
});

describe('versionName', () => {
  it.each([
    [ProtocolVersion.TLSv1_3, 'TLSv1.3'],
    [ProtocolVersion.TLSv1_2, 'TLSv1.2'],
    [ProtocolVersion.TLSv1_1, 'TLSv1.1'],
    [ProtocolVersion.TLSv1_0, 'TLSv1'],
    [0x7f1c, '0x7f1c'],
    [0x0a0a, '0x0a0a'],
  ])('version %i is %s', (version, name) => {
    expect(versionName(version)).toBe(name);
  });
});
