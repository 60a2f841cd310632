import { describe, expect, it } from 'vitest';
import { decodeEchConfigList } from '../../src/ech/config.ts';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  KDF_HKDF_SHA256,
  setupReceiver,
  setupSender,
} from '../../src/ech/hpke.ts';
import { echKeyFromPem, echKeyToPem, generateEchKey } from '../../src/ech/keys.ts';
import { TlsError } from '../../src/error.ts';
import { fromBase64, toHex, utf8 } from '../../src/util/bytes.ts';

/**
 * An X25519 ECH key file as OpenSSL's ECH tests carry it (openssl/openssl test/ech_test.c,
 * `pem_kp1`): PKCS#8 PRIVATE KEY, then ECHCONFIG holding a base64 ECHConfigList.
 */
const OPENSSL_PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MC4CAQAwBQYDK2VuBCIEILDIeo9Eqc4K9/uQ0PNAyMaP60qrxiSHT2tNZL3ksIZS',
  '-----END PRIVATE KEY-----',
  '-----BEGIN ECHCONFIG-----',
  'AD7+DQA6bAAgACCY7B0f/3KvHIFdoqFaObdU8YYU+MdBf4vzbLhAAL2QCwAEAAEA',
  'AQALZXhhbXBsZS5jb20AAA==',
  '-----END ECHCONFIG-----',
  '',
].join('\n');

function expectConfigError(f: () => unknown, code = 'CONFIG'): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TlsError);
  expect((err as TlsError).code).toBe(code);
}

describe('ECH key files', () => {
  it('generates a key whose config carries the matching X25519 public key', async () => {
    const key = await generateEchKey({ publicName: 'ech.example', configId: 5 });
    expect(key.privateKey).toHaveLength(32);
    const c = key.config.contents;
    expect(c.configId).toBe(5);
    expect(c.kemId).toBe(0x20);
    expect(c.publicName).toBe('ech.example');
    expect(c.maximumNameLength).toBe(0);
    expect(c.cipherSuites).toEqual([
      { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_AES_128_GCM },
      { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_CHACHA20_POLY1305 },
    ]);
    // The pair works end to end through HPKE.
    const suite = c.cipherSuites[0];
    const sealer = await setupSender(key.config, suite, utf8('info'));
    const opener = await setupReceiver(key.privateKey, c.kemId, suite, sealer.enc, utf8('info'));
    const ct = await sealer.seal(utf8('aad'), utf8('hello'));
    expect(new TextDecoder().decode(await opener.open(utf8('aad'), ct))).toBe('hello');
  });

  it('round-trips through the PEM layout', async () => {
    const key = await generateEchKey({
      publicName: 'ech.example',
      maximumNameLength: 32,
      suites: [{ kdfId: 1, aeadId: 3 }],
    });
    const pem = echKeyToPem(key);
    expect(pem).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=]{64}\n-----END PRIVATE KEY-----\n-----BEGIN ECHCONFIG-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END ECHCONFIG-----\n$/,
    );
    const back = echKeyFromPem(pem);
    expect(toHex(back.privateKey)).toBe(toHex(key.privateKey));
    expect(toHex(back.config.raw)).toBe(toHex(key.config.raw));
    expect(back.config.contents).toEqual(key.config.contents);
  });

  it('reads the OpenSSL test key file and writes it back byte for byte', () => {
    const key = echKeyFromPem(OPENSSL_PEM);
    expect(key.config.contents.publicName).toBe('example.com');
    expect(key.config.contents.configId).toBe(0x6c);
    expect(echKeyToPem(key)).toBe(OPENSSL_PEM);
  });

  it('picks the configuration that matches the key out of a longer list', async () => {
    const other = await generateEchKey({ publicName: 'other.example', configId: 1 });
    const mine = echKeyFromPem(OPENSSL_PEM);
    const listBytes = fromBase64(
      echKeyToPem(other).split('-----BEGIN ECHCONFIG-----\n')[1].split('-----END')[0],
    );
    const both = decodeEchConfigList(listBytes).concat(mine.config);
    const body = new Uint8Array([0, 0, ...both.flatMap((c) => [...c.raw])]);
    body[0] = (body.length - 2) >> 8;
    body[1] = (body.length - 2) & 0xff;
    const pem =
      OPENSSL_PEM.split('-----BEGIN ECHCONFIG-----')[0] +
      `-----BEGIN ECHCONFIG-----\n${btoa(String.fromCharCode(...body))}\n-----END ECHCONFIG-----\n`;
    expect(echKeyFromPem(pem).config.contents.configId).toBe(0x6c);
  });

  it('rejects files with missing, extra or mismatched parts', async () => {
    const [keyPart, configPart] = OPENSSL_PEM.split(/(?=-----BEGIN ECHCONFIG)/);
    const other = echKeyToPem(await generateEchKey({ publicName: 'x.example' }));
    const [otherKey] = other.split(/(?=-----BEGIN ECHCONFIG)/);
    expectConfigError(() => echKeyFromPem(keyPart));
    expectConfigError(() => echKeyFromPem(configPart));
    expectConfigError(() => echKeyFromPem(keyPart + keyPart + configPart));
    expectConfigError(() => echKeyFromPem(otherKey + configPart)); // key does not match
    expectConfigError(() => echKeyFromPem(OPENSSL_PEM.replace('-----END ECHCONFIG-----', '')));
    // An Ed25519 key (RFC 8410 example) where an X25519 key belongs.
    const ed =
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n';
    expectConfigError(() => echKeyFromPem(ed + configPart));
    // A truncated ECHConfigList is a decode error.
    const cut = '-----BEGIN ECHCONFIG-----\nAD7+DQA6bAAgACCY\n-----END ECHCONFIG-----\n';
    expectConfigError(() => echKeyFromPem(keyPart + cut), 'DECODE_ERROR');
  });
});
