import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/codec/writer.ts';
import {
  decodeEchConfigList,
  ECH_VERSION,
  type EchConfigContents,
  encodeEchConfig,
  encodeEchConfigList,
  isValidPublicName,
} from '../../src/ech/config.ts';
import { TlsError } from '../../src/error.ts';
import { fromBase64, toHex } from '../../src/util/bytes.ts';

function contents(over: Partial<EchConfigContents> = {}): EchConfigContents {
  return {
    configId: 0x42,
    kemId: 0x0020,
    publicKey: new Uint8Array(32).fill(7),
    cipherSuites: [
      { kdfId: 1, aeadId: 1 },
      { kdfId: 1, aeadId: 3 },
    ],
    maximumNameLength: 64,
    publicName: 'public.example',
    extensions: [],
    ...over,
  };
}

/** A raw ECHConfig of any version with the given contents bytes. */
function rawConfig(version: number, body: Uint8Array): Uint8Array {
  return new Writer().u16(version).vec16(body).finish();
}

/** An ECHConfigList of raw ECHConfigs. */
function rawList(...configs: Uint8Array[]): Uint8Array {
  return new Writer()
    .vec(2, (w) => {
      for (const c of configs) w.bytes(c);
    })
    .finish();
}

function expectDecodeError(data: Uint8Array): void {
  let err: unknown;
  try {
    decodeEchConfigList(data);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TlsError);
  expect((err as TlsError).code).toBe('DECODE_ERROR');
}

describe('ECHConfig codec (draft-ietf-tls-esni §4)', () => {
  it('encodes the wire layout field by field', () => {
    const c = encodeEchConfig(contents({ publicKey: new Uint8Array([1, 2, 3]) }));
    expect(c.version).toBe(ECH_VERSION);
    expect(toHex(c.raw)).toBe(
      'fe0d' + // version
        '0024' + // length: 1 + 2 + 5 + 2 + 8 + 1 + 1 + 14 + 2
        '42' + // config_id
        '0020' + // kem_id
        '0003010203' + // public_key
        '0008' + // cipher_suites
        '00010001' +
        '00010003' +
        '40' + // maximum_name_length
        '0e' + // public_name
        toHex(new TextEncoder().encode('public.example')) +
        '0000', // extensions
    );
  });

  it('round-trips a list of configurations with extensions, in order', () => {
    const a = encodeEchConfig(contents());
    const b = encodeEchConfig(
      contents({
        configId: 9,
        publicName: 'other.example',
        extensions: [
          { type: 0x1234, data: new Uint8Array([1, 2]) },
          { type: 0x0001, data: new Uint8Array(0) },
        ],
      }),
    );
    const list = encodeEchConfigList([a, b]);
    const decoded = decodeEchConfigList(list);
    expect(decoded).toHaveLength(2);
    expect(decoded[0].contents).toEqual(a.contents);
    expect(decoded[1].contents).toEqual(b.contents);
    expect(toHex(decoded[0].raw)).toBe(toHex(a.raw));
    expect(toHex(decoded[1].raw)).toBe(toHex(b.raw));
    expect(toHex(encodeEchConfigList(decoded))).toBe(toHex(list));
  });

  it('decodes the ECHConfigList of OpenSSL test/ech_test.c (pem_kp1)', () => {
    const list = fromBase64(
      'AD7+DQA6bAAgACCY7B0f/3KvHIFdoqFaObdU8YYU+MdBf4vzbLhAAL2QCwAEAAEAAQALZXhhbXBsZS5jb20AAA==',
    );
    const [c] = decodeEchConfigList(list);
    expect(c.contents.configId).toBe(0x6c);
    expect(c.contents.kemId).toBe(0x20);
    expect(c.contents.publicKey).toHaveLength(32);
    expect(c.contents.cipherSuites).toEqual([{ kdfId: 1, aeadId: 1 }]);
    expect(c.contents.publicName).toBe('example.com');
    expect(c.raw).toHaveLength(0x3e);
  });

  it('skips configurations of unknown versions without parsing them', () => {
    const good = encodeEchConfig(contents());
    const unknown = rawConfig(0xfe0a, new Uint8Array([0xff, 0xff, 0xff]));
    const decoded = decodeEchConfigList(rawList(unknown, good.raw, unknown));
    expect(decoded).toHaveLength(1);
    expect(toHex(decoded[0].raw)).toBe(toHex(good.raw));
    expect(decodeEchConfigList(rawList(unknown))).toEqual([]);
  });

  it('ignores a configuration with an unsupported mandatory extension (§4.2)', () => {
    const mandatory = encodeEchConfig(
      contents({ extensions: [{ type: 0x8001, data: new Uint8Array([1]) }] }),
    );
    const optional = encodeEchConfig(
      contents({ configId: 2, extensions: [{ type: 0x0001, data: new Uint8Array([1]) }] }),
    );
    const decoded = decodeEchConfigList(encodeEchConfigList([mandatory, optional]));
    expect(decoded.map((c) => c.contents.configId)).toEqual([2]);
  });

  it('ignores public names that are not host names or could read as IPv4 (§6.1.7)', () => {
    const base = encodeEchConfig(contents()).raw;
    const withName = (name: string) => {
      const bytes = new TextEncoder().encode(name);
      const w = new Writer();
      w.u8(1)
        .u16(0x20)
        .vec16(new Uint8Array(32))
        .u16List(2, [1, 1])
        .u8(0)
        .vec8(bytes)
        .vec16(new Uint8Array(0));
      return rawConfig(ECH_VERSION, w.finish());
    };
    for (const bad of ['1.2.3.4', 'a.0x1f', 'a.0X', '-a.example', 'a..b', 'a.', 'é.example']) {
      expect(decodeEchConfigList(rawList(withName(bad)))).toEqual([]);
    }
    expect(decodeEchConfigList(rawList(withName('a-b.0x1g')))).toHaveLength(1);
    expect(decodeEchConfigList(rawList(base))).toHaveLength(1);
    expect(isValidPublicName('x'.repeat(63))).toBe(true);
    expect(isValidPublicName('x'.repeat(64))).toBe(false);
  });

  it('rejects malformed lists with DECODE_ERROR', () => {
    const good = encodeEchConfig(contents()).raw;
    const list = rawList(good);
    expectDecodeError(new Uint8Array(0));
    expectDecodeError(new Uint8Array([0, 0])); // ECHConfigList<4..2^16-1>
    expectDecodeError(list.subarray(0, list.length - 1)); // truncated
    expectDecodeError(new Uint8Array([...list, 0])); // trailing byte after the list
    expectDecodeError(rawList(good.subarray(0, good.length - 1))); // cut inside a config
    expectDecodeError(rawList(new Uint8Array([0xfe, 0x0d, 0, 5, 1, 2]))); // length past the end
  });

  it('rejects malformed 0xfe0d contents with DECODE_ERROR', () => {
    const body = (f: (w: Writer) => void) => {
      const w = new Writer();
      f(w);
      return rawList(rawConfig(ECH_VERSION, w.finish()));
    };
    const name = new TextEncoder().encode('a.example');
    const pk = new Uint8Array(32);
    const none = new Uint8Array(0);
    // Empty public key: HpkePublicKey<1..2^16-1>.
    expectDecodeError(body((w) => w.u8(1).u16(32).vec16(none).u16List(2, [1, 1]).u8(0)));
    // No cipher suites: cipher_suites<4..2^16-4>.
    expectDecodeError(
      body((w) => w.u8(1).u16(32).vec16(pk).u16List(2, []).u8(0).vec8(name).vec16(none)),
    );
    // cipher_suites length not a multiple of 4.
    expectDecodeError(
      body((w) => w.u8(1).u16(32).vec16(pk).u16List(2, [1, 1, 1]).u8(0).vec8(name).vec16(none)),
    );
    // Empty public_name: opaque public_name<1..255>.
    expectDecodeError(
      body((w) => w.u8(1).u16(32).vec16(pk).u16List(2, [1, 1]).u8(0).vec8(none).vec16(none)),
    );
    // Trailing byte after the extensions.
    expectDecodeError(
      body((w) => w.u8(1).u16(32).vec16(pk).u16List(2, [1, 1]).u8(0).vec8(name).vec16(none).u8(0)),
    );
    // Duplicate extension type (§4.2).
    const dup = new Writer().u16(5).vec16(none).u16(5).vec16(none).finish();
    expectDecodeError(
      body((w) => w.u8(1).u16(32).vec16(pk).u16List(2, [1, 1]).u8(0).vec8(name).vec16(dup)),
    );
    // An extension whose data runs past its block.
    const cut = new Uint8Array([0, 5, 0, 9, 1]);
    expectDecodeError(
      body((w) => w.u8(1).u16(32).vec16(pk).u16List(2, [1, 1]).u8(0).vec8(name).vec16(cut)),
    );
  });

  it('survives every truncation and a bit flip in every byte without crashing', () => {
    const list = encodeEchConfigList([
      encodeEchConfig(contents({ extensions: [{ type: 7, data: new Uint8Array([1, 2, 3]) }] })),
    ]);
    for (let n = 0; n < list.length; n++) expectDecodeError(list.subarray(0, n));
    for (let i = 0; i < list.length; i++) {
      const m = list.slice();
      m[i] ^= 0x80;
      try {
        const out = decodeEchConfigList(m);
        expect(Array.isArray(out)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(TlsError);
        expect(['DECODE_ERROR']).toContain((e as TlsError).code);
      }
    }
  });

  it('refuses to encode out-of-range fields', () => {
    const bad: Partial<EchConfigContents>[] = [
      { configId: 256 },
      { maximumNameLength: -1 },
      { kemId: 0x10000 },
      { publicKey: new Uint8Array(0) },
      { cipherSuites: [] },
      { publicName: '' },
      { publicName: '10.0.0.1' },
      { publicName: 'bad name' },
      {
        extensions: [
          { type: 1, data: new Uint8Array(0) },
          { type: 1, data: new Uint8Array(0) },
        ],
      },
    ];
    for (const over of bad) {
      expect(() => encodeEchConfig(contents(over))).toThrow(TlsError);
    }
    expect(() => encodeEchConfigList([])).toThrow(TlsError);
  });
});
