import { describe, expect, it } from 'vitest';
import { nobleProvider, subtleProvider, tls12Suite } from '../../src/crypto/index.ts';
import { prf } from '../../src/keyschedule/tls12.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import { sealRecord } from '../../src/record/protection.ts';
import { Tls12Opener, Tls12Sealer } from '../../src/record/protection12.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

/**
 * The TLS 1.2 PRF (RFC 5246 §5) against the widely published P_SHA256 / P_SHA384 vectors
 * (also reproduced by `openssl kdf ... TLS1-PRF`), and AEAD record protection (RFC 5246
 * §6.2.3.3, RFC 5288, RFC 7905) sealing and opening.
 */
describe.each([
  ['subtle', subtleProvider()],
  ['noble', nobleProvider()],
])('TLS 1.2 PRF (%s)', (_name, provider) => {
  it('P_SHA256, 100 bytes', async () => {
    const out = await prf(
      provider,
      'SHA-256',
      fromHex('9bbe436ba940f017b17652849a71db35'),
      'test label',
      fromHex('a0ba9f936cda311827a6f796ffd5198c'),
      100,
    );
    expect(toHex(out)).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e' +
        '14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42' +
        'c5a72e5a5110fff70187347b66',
    );
  });

  it('P_SHA384, 148 bytes', async () => {
    const out = await prf(
      provider,
      'SHA-384',
      fromHex('b80b733d6ceefcdc71566ea48e5567df'),
      'test label',
      fromHex('cd665cf6a8447dd6ff8b27555edb7465'),
      148,
    );
    expect(toHex(out)).toBe(
      '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b123' +
        '3c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd' +
        '4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a2' +
        '6854308d5eaa3be85e0990703d73e56f',
    );
  });
});

describe('TLS 1.2 record protection', () => {
  const provider = subtleProvider();

  it.each([
    ['AES-128-GCM', CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 8],
    ['AES-256-GCM', CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, 8],
    ['ChaCha20-Poly1305', CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 0],
  ])('%s: seals with a %d-byte explicit nonce and opens in order', async (_n, code, explicit) => {
    const suite = tls12Suite(code)!;
    const key = provider.random(suite.keyLength);
    const iv = provider.random(suite.fixedIvLength);
    const sealer = new Tls12Sealer(await provider.aead(suite.aead, key), iv, suite);
    const opener = new Tls12Opener(await provider.aead(suite.aead, key), iv, suite);
    const records = await Promise.all([
      sealRecord(sealer, 22, utf8('finished')),
      sealRecord(sealer, 23, utf8('data')),
    ]);
    for (const [i, r] of records.entries()) {
      // Header: real content type, version 0x0303, length = explicit nonce + text + tag.
      const text = i === 0 ? 8 : 4;
      expect([...r.subarray(0, 3)]).toEqual([i === 0 ? 22 : 23, 3, 3]);
      expect((r[3] << 8) | r[4]).toBe(explicit + text + 16);
      // RFC 5288 §3: the explicit nonce we send is the sequence number.
      if (explicit) expect(toHex(r.subarray(5, 13))).toBe(`000000000000000${i}`);
    }
    const a = await opener.open(records[0].subarray(0, 5), records[0].subarray(5));
    const b = await opener.open(records[1].subarray(0, 5), records[1].subarray(5));
    expect(a.type).toBe(22);
    expect(new TextDecoder().decode(b.content)).toBe('data');
  });

  it('the header type is authenticated (AAD) and a replayed record fails', async () => {
    const suite = tls12Suite(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
    const key = provider.random(16);
    const iv = provider.random(4);
    const sealer = new Tls12Sealer(await provider.aead(suite.aead, key), iv, suite);
    const r = await sealRecord(sealer, 23, utf8('x'));
    const opener = new Tls12Opener(await provider.aead(suite.aead, key), iv, suite);
    const header = r.slice(0, 5);
    header[0] = 22;
    await expect(opener.open(header, r.subarray(5))).rejects.toMatchObject({
      code: 'BAD_RECORD_MAC',
    });
    // The opener's sequence number moved on: the untouched record no longer opens either.
    await expect(opener.open(r.subarray(0, 5), r.subarray(5))).rejects.toMatchObject({
      code: 'BAD_RECORD_MAC',
    });
  });

  it('a record shorter than nonce + tag is bad_record_mac', async () => {
    const suite = tls12Suite(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
    const opener = new Tls12Opener(
      await provider.aead(suite.aead, provider.random(16)),
      provider.random(4),
      suite,
    );
    await expect(
      opener.open(new Uint8Array([23, 3, 3, 0, 20]), new Uint8Array(20)),
    ).rejects.toMatchObject({ code: 'BAD_RECORD_MAC' });
  });
});
