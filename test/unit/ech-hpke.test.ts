import { describe, expect, it } from 'vitest';
import { type EchConfig, encodeEchConfig } from '../../src/ech/config.ts';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  hpkeSuiteSupported,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  selectHpkeSuite,
  setupReceiver,
  setupSender,
  setupSenderWithKey,
} from '../../src/ech/hpke.ts';
import { TlsError } from '../../src/error.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { RFC9180_X25519_VECTORS } from './data/rfc9180.ts';

const AES = { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_AES_128_GCM };
const CHACHA = { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_CHACHA20_POLY1305 };

function configFor(publicKey: Uint8Array, suites = [AES, CHACHA]): EchConfig {
  return encodeEchConfig({
    configId: 1,
    kemId: KEM_X25519_HKDF_SHA256,
    publicKey,
    cipherSuites: suites,
    maximumNameLength: 0,
    publicName: 'public.example',
    extensions: [],
  });
}

describe('HPKE base mode against RFC 9180 Appendix A', () => {
  for (const v of RFC9180_X25519_VECTORS) {
    const suite = { kdfId: v.kdfId, aeadId: v.aeadId };

    it(`${v.name}: the sender reproduces enc and every ciphertext`, async () => {
      const sealer = await setupSenderWithKey(
        v.kemId,
        fromHex(v.pkRm),
        suite,
        fromHex(v.info),
        fromHex(v.ikmE),
      );
      expect(toHex(sealer.enc)).toBe(v.enc);
      for (const e of v.encryptions) {
        const ct = await sealer.seal(fromHex(e.aad), fromHex(e.pt));
        expect(toHex(ct)).toBe(e.ct);
      }
    });

    it(`${v.name}: the receiver opens every ciphertext in sequence`, async () => {
      const opener = await setupReceiver(
        fromHex(v.skRm),
        v.kemId,
        suite,
        fromHex(v.enc),
        fromHex(v.info),
      );
      for (const e of v.encryptions) {
        const pt = await opener.open(fromHex(e.aad), fromHex(e.ct));
        expect(toHex(pt)).toBe(e.pt);
      }
    });

    it(`${v.name}: a wrong AAD fails with DECRYPT_ERROR and leaves the sequence alone`, async () => {
      const opener = await setupReceiver(
        fromHex(v.skRm),
        v.kemId,
        suite,
        fromHex(v.enc),
        fromHex(v.info),
      );
      const first = v.encryptions[0];
      const err = await opener.open(utf8('other'), fromHex(first.ct)).catch((e) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).code).toBe('DECRYPT_ERROR');
      // RFC 9180 §5.2: a failed Open does not advance the sequence number.
      expect(toHex(await opener.open(fromHex(first.aad), fromHex(first.ct)))).toBe(first.pt);
    });

    it(`${v.name}: the wrong info makes the first Open fail`, async () => {
      const opener = await setupReceiver(
        fromHex(v.skRm),
        v.kemId,
        suite,
        fromHex(v.enc),
        utf8('tls ech'),
      );
      const e = v.encryptions[0];
      await expect(opener.open(fromHex(e.aad), fromHex(e.ct))).rejects.toMatchObject({
        code: 'DECRYPT_ERROR',
      });
    });
  }
});

describe('HPKE with an ECHConfig', () => {
  const keys = RFC9180_X25519_VECTORS[0];

  for (const suite of [AES, CHACHA]) {
    it(`seals twice (HRR) and the receiver opens both, aead 0x${suite.aeadId}`, async () => {
      const config = configFor(fromHex(keys.pkRm));
      const info = new Uint8Array([...utf8('tls ech'), 0, ...config.raw]);
      const sealer = await setupSender(config, suite, info);
      expect(sealer.enc.length).toBe(32);
      // Both seals started before either is awaited: the order of calls decides the nonces.
      const [c1, c2] = await Promise.all([
        sealer.seal(utf8('aad1'), utf8('first hello')),
        sealer.seal(utf8('aad2'), utf8('second hello')),
      ]);
      const opener = await setupReceiver(
        fromHex(keys.skRm),
        KEM_X25519_HKDF_SHA256,
        suite,
        sealer.enc,
        info,
      );
      expect(new TextDecoder().decode(await opener.open(utf8('aad1'), c1))).toBe('first hello');
      expect(new TextDecoder().decode(await opener.open(utf8('aad2'), c2))).toBe('second hello');
    });
  }

  it('refuses a suite the configuration does not advertise', async () => {
    const config = configFor(fromHex(keys.pkRm), [AES]);
    await expect(setupSender(config, CHACHA, new Uint8Array(0))).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });

  it('refuses unsupported KEM, KDF and AEAD identifiers', async () => {
    expect(hpkeSuiteSupported(KEM_X25519_HKDF_SHA256, AES)).toBe(true);
    expect(hpkeSuiteSupported(KEM_X25519_HKDF_SHA256, CHACHA)).toBe(true);
    expect(hpkeSuiteSupported(0x0010, AES)).toBe(false);
    expect(hpkeSuiteSupported(KEM_X25519_HKDF_SHA256, { kdfId: 2, aeadId: 1 })).toBe(false);
    expect(hpkeSuiteSupported(KEM_X25519_HKDF_SHA256, { kdfId: 1, aeadId: 2 })).toBe(false);
    expect(hpkeSuiteSupported(KEM_X25519_HKDF_SHA256, { kdfId: 1, aeadId: 0xffff })).toBe(false);
    await expect(
      setupReceiver(fromHex(keys.skRm), 0x0010, AES, fromHex(keys.enc), new Uint8Array(0)),
    ).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('selects the first supported suite in the configuration order', () => {
    const odd = { kdfId: 2, aeadId: 2 };
    expect(selectHpkeSuite(configFor(fromHex(keys.pkRm), [odd, CHACHA, AES]))).toEqual(CHACHA);
    expect(selectHpkeSuite(configFor(fromHex(keys.pkRm), [odd]))).toBeUndefined();
  });

  it('rejects an enc of the wrong length, and a public key of the wrong length', async () => {
    await expect(
      setupReceiver(fromHex(keys.skRm), KEM_X25519_HKDF_SHA256, AES, new Uint8Array(31), utf8('')),
    ).rejects.toMatchObject({ code: 'DECRYPT_ERROR' });
    const config = configFor(new Uint8Array(31));
    await expect(setupSender(config, AES, utf8(''))).rejects.toMatchObject({
      code: 'ILLEGAL_PARAMETER',
    });
  });

  it('rejects a low-order enc (all zeros) instead of deriving a zero secret', async () => {
    await expect(
      setupReceiver(fromHex(keys.skRm), KEM_X25519_HKDF_SHA256, AES, new Uint8Array(32), utf8('')),
    ).rejects.toMatchObject({ code: 'DECRYPT_ERROR' });
  });
});
