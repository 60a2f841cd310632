import { describe, expect, it } from 'vitest';
import { defaultProvider, TLS13_SUITES, tls13Suite } from '../../src/crypto/index.ts';
import { withFixedKeyShares, withFixedRandom } from '../../src/crypto/testing.ts';
import { CipherSuite, NamedGroup } from '../../src/msgs/enums.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { PROVIDERS } from './crypto-providers.ts';

describe('tls13Suite (RFC 8446 §B.4)', () => {
  it('maps each TLS 1.3 suite to its AEAD, hash and key length', () => {
    expect(tls13Suite(CipherSuite.TLS_AES_128_GCM_SHA256)).toMatchObject({
      name: 'TLS_AES_128_GCM_SHA256',
      aead: 'AES-128-GCM',
      hash: 'SHA-256',
      keyLength: 16,
      ivLength: 12,
    });
    expect(tls13Suite(0x1302)).toMatchObject({
      aead: 'AES-256-GCM',
      hash: 'SHA-384',
      keyLength: 32,
    });
    expect(tls13Suite(0x1303)).toMatchObject({
      aead: 'CHACHA20-POLY1305',
      hash: 'SHA-256',
      keyLength: 32,
    });
    expect(TLS13_SUITES.map((s) => s.code)).toEqual([0x1301, 0x1302, 0x1303]);
  });

  it('knows no other codes (TLS 1.2 suites, CCM, GREASE)', () => {
    for (const code of [0x1304, 0x1305, 0xc02f, 0x0a0a, 0])
      expect(tls13Suite(code)).toBeUndefined();
  });

  it('defaultProvider() is one shared WebCrypto provider', () => {
    expect(defaultProvider()).toBe(defaultProvider());
    expect(defaultProvider().name).toBe('subtle');
  });
});

describe.each(PROVIDERS)('test helpers with the %s provider', (_name, make) => {
  it('withFixedRandom returns the given bytes for calls of their length, in order', () => {
    const a = fromHex('00112233');
    const b = fromHex('44556677');
    const c = fromHex('8899');
    const p = withFixedRandom(make(), [a, b, c]);
    expect(toHex(p.random(2))).toBe('8899');
    expect(toHex(p.random(4))).toBe('00112233');
    expect(toHex(p.random(4))).toBe('44556677');
    // Used up: real randomness of the asked length.
    const r = p.random(4);
    expect(r.length).toBe(4);
    expect(p.random(32)).not.toEqual(p.random(32));
  });

  it('withFixedKeyShares leaves other groups and members alone', async () => {
    const base = make();
    const p = withFixedKeyShares(base, { [NamedGroup.x25519]: [new Uint8Array(32).fill(9)] });
    expect(p.keyExchange(NamedGroup.X25519MLKEM768)).toBe(
      base.keyExchange(NamedGroup.X25519MLKEM768),
    );
    expect(p.groups).toBe(base.groups);
    expect(toHex(await p.digest('SHA-256', new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('withFixedKeyShares refuses groups whose keys cannot be fixed', () => {
    let code = 'none';
    try {
      withFixedKeyShares(make(), { [NamedGroup.X25519MLKEM768]: [new Uint8Array(32)] });
    } catch (e) {
      code = (e as { code: string }).code;
    }
    expect(code).toBe('CONFIG');
  });
});
