import { ed25519 } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOid, encodeTlv, Tag } from '../../src/codec/der.ts';
import { ecdsaRawToDer } from '../../src/crypto/ecdsa-der.ts';
import { type SigningKey, spkiInfo } from '../../src/crypto/index.ts';
import { Oid } from '../../src/crypto/oids.ts';
import { ed25519Pkcs8 } from '../../src/crypto/pkcs8.ts';
import { SignatureScheme as S } from '../../src/msgs/enums.ts';
import { bufferSource, concat, fromHex, utf8 } from '../../src/util/bytes.ts';
import { PROVIDERS, rejectionCode } from './crypto-providers.ts';

const subtle = globalThis.crypto.subtle;
const message = bufferSource(
  utf8('TLS 1.3, server CertificateVerify: the transcript hash goes here'),
);

interface KeyPair {
  pkcs8: Uint8Array<ArrayBuffer>;
  spki: Uint8Array;
  privateKey: CryptoKey;
}

async function ecKey(curve: 'P-256' | 'P-384' | 'P-521'): Promise<KeyPair> {
  const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  return {
    pkcs8: new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey)),
    spki: new Uint8Array(await subtle.exportKey('spki', pair.publicKey)),
    privateKey: pair.privateKey,
  };
}

function edKey(): { pkcs8: Uint8Array; spki: Uint8Array; seed: Uint8Array } {
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
  // RFC 8410 §4: SubjectPublicKeyInfo with id-Ed25519 and no parameters.
  const alg = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.ed25519));
  const spki = encodeTlv(
    Tag.SEQUENCE,
    alg,
    encodeTlv(Tag.BIT_STRING, new Uint8Array(1), ed25519.getPublicKey(seed)),
  );
  return { pkcs8: ed25519Pkcs8(seed), spki, seed };
}

/** The same RSA public key under the id-RSASSA-PSS OID, with optional parameters. */
function pssSpki(rsaSpki: Uint8Array, params?: Uint8Array): Uint8Array {
  // rsaEncryption SPKI: 30 82 len | 30 0d (06 09 oid) (05 00) | 03 82 len 00 RSAPublicKey
  const bitString = rsaSpki.subarray(4 + 15);
  const alg = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsassaPss), ...(params ? [params] : []));
  return encodeTlv(Tag.SEQUENCE, alg, bitString);
}

/** RSASSA-PSS-params naming one hash for hash and MGF1, salt = its length. */
function pssParams(hashOid: string, salt: number): Uint8Array {
  const hashAlg = encodeTlv(Tag.SEQUENCE, encodeOid(hashOid));
  const mgf = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.mgf1), hashAlg);
  return encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(0xa0, hashAlg),
    encodeTlv(0xa1, mgf),
    encodeTlv(0xa2, encodeTlv(Tag.INTEGER, Uint8Array.of(salt))),
  );
}

const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i] ^= 0x01;
  return c;
};

let p256: KeyPair;
let p384: KeyPair;
let p521: KeyPair;
let rsa: { spki: Uint8Array; pkcs8: Uint8Array<ArrayBuffer>; pss: CryptoKeyPair; pkcs1: CryptoKey };

beforeAll(async () => {
  [p256, p384, p521] = await Promise.all([ecKey('P-256'), ecKey('P-384'), ecKey('P-521')]);
  const params = {
    name: 'RSA-PSS',
    modulusLength: 2048,
    publicExponent: Uint8Array.of(1, 0, 1),
    hash: 'SHA-256',
  };
  const pss = (await subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pss.privateKey));
  const pkcs1 = await subtle.importKey(
    'pkcs8',
    pkcs8,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
    false,
    ['sign'],
  );
  rsa = { spki: new Uint8Array(await subtle.exportKey('spki', pss.publicKey)), pkcs8, pss, pkcs1 };
});

describe('spkiInfo', () => {
  it('describes EC, Ed25519, RSA and RSA-PSS keys', () => {
    expect(spkiInfo(p256.spki)).toEqual({ algorithm: 'ecdsa', curve: 'P-256', bits: 256 });
    expect(spkiInfo(p384.spki)).toEqual({ algorithm: 'ecdsa', curve: 'P-384', bits: 384 });
    expect(spkiInfo(p521.spki)).toEqual({ algorithm: 'ecdsa', curve: 'P-521', bits: 521 });
    expect(spkiInfo(edKey().spki)).toEqual({ algorithm: 'ed25519', bits: 256 });
    expect(spkiInfo(rsa.spki)).toEqual({ algorithm: 'rsa', bits: 2048 });
    expect(spkiInfo(pssSpki(rsa.spki))).toEqual({ algorithm: 'rsa-pss', bits: 2048 });
  });

  it('rejects malformed DER as BAD_CERTIFICATE and unknown curves as UNSUPPORTED_CERTIFICATE', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'returned';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(() => spkiInfo(p256.spki.subarray(0, 50)))).toBe('BAD_CERTIFICATE');
    expect(code(() => spkiInfo(concat(p256.spki, Uint8Array.of(0))))).toBe('BAD_CERTIFICATE');
    // secp256k1 (1.3.132.0.10) in place of the named curve.
    const k1 = p256.spki.slice();
    const i = k1.indexOf(0x2a, 15); // 06 08 2a 86 48 ce 3d 03 01 07 -> replace the OID bytes
    expect(i).toBeGreaterThan(0);
    const alg = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.ecPublicKey), encodeOid('1.3.132.0.10'));
    const point = p256.spki.subarray(p256.spki.length - 66);
    const spkiK1 = encodeTlv(Tag.SEQUENCE, alg, encodeTlv(Tag.BIT_STRING, point));
    expect(code(() => spkiInfo(spkiK1))).toBe('UNSUPPORTED_CERTIFICATE');
  });
});

describe.each(PROVIDERS)('signatures with the %s provider', (name, make) => {
  const provider = make();
  const verifiers = PROVIDERS.map(([, f]) => f());

  async function verifyEverywhere(
    scheme: number,
    spki: Uint8Array,
    data: Uint8Array,
    sig: Uint8Array,
  ) {
    return Promise.all(verifiers.map((v) => v.verify(scheme, spki, data, sig)));
  }

  /** What `verifyEverywhere` answers when every provider agrees on `verdict`. */
  const everywhere = (verdict: boolean) => verifiers.map(() => verdict);

  it('advertises the schemes it verifies', () => {
    for (const s of [
      S.ecdsa_secp256r1_sha256,
      S.ecdsa_secp384r1_sha384,
      S.ed25519,
      S.rsa_pss_rsae_sha256,
      S.rsa_pss_pss_sha512,
      S.rsa_pkcs1_sha256,
    ]) {
      expect(provider.signatureSchemes).toContain(s);
    }
  });

  it.each([
    ['P-256', S.ecdsa_secp256r1_sha256],
    ['P-384', S.ecdsa_secp384r1_sha384],
    ['P-521', S.ecdsa_secp521r1_sha512],
  ] as const)(
    'ECDSA %s: signs DER that every provider verifies; tampering fails',
    async (curve, scheme) => {
      const key = { 'P-256': p256, 'P-384': p384, 'P-521': p521 }[curve];
      const signer: SigningKey = await provider.signingKey({ pkcs8: key.pkcs8 });
      expect(signer.algorithm).toBe('ecdsa');
      expect(signer.schemes).toEqual([scheme]);
      const sig = await signer.sign(scheme, message);
      expect(sig[0]).toBe(0x30);
      expect(await verifyEverywhere(scheme, key.spki, message, sig)).toEqual(everywhere(true));
      expect(await verifyEverywhere(scheme, key.spki, flip(message, 3), sig)).toEqual(
        everywhere(false),
      );
      expect(await verifyEverywhere(scheme, key.spki, message, flip(sig, sig.length - 1))).toEqual(
        everywhere(false),
      );
      // Strict DER: a trailing byte makes the signature invalid.
      expect(await provider.verify(scheme, key.spki, message, concat(sig, Uint8Array.of(0)))).toBe(
        false,
      );
      expect(await rejectionCode(signer.sign(S.ed25519, message))).toBe('INTERNAL_ERROR');
    },
  );

  it('Ed25519: signs what every provider verifies; tampering fails', async () => {
    const key = edKey();
    const signer = await provider.signingKey({ pkcs8: key.pkcs8 });
    expect(signer.schemes).toEqual([S.ed25519]);
    const sig = await signer.sign(S.ed25519, message);
    expect(sig.length).toBe(64);
    expect(await verifyEverywhere(S.ed25519, key.spki, message, sig)).toEqual(everywhere(true));
    expect(await verifyEverywhere(S.ed25519, key.spki, message, flip(sig, 10))).toEqual(
      everywhere(false),
    );
    expect(await provider.verify(S.ed25519, key.spki, message, sig.subarray(0, 63))).toBe(false);
  });

  it('takes the hash from the scheme and the curve from the key (certificate signatures)', async () => {
    // A P-384 CA signing with SHA-256, as ecdsa-with-SHA256 certificates do.
    const raw384 = new Uint8Array(
      await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, p384.privateKey, message),
    );
    const der = ecdsaRawToDer(raw384);
    expect(await provider.verify(S.ecdsa_secp256r1_sha256, p384.spki, message, der)).toBe(true);
    expect(await provider.verify(S.ecdsa_secp384r1_sha384, p384.spki, message, der)).toBe(false);
    // A P-256 key with SHA-512: the digest is truncated to the order's length.
    const raw256 = new Uint8Array(
      await subtle.sign({ name: 'ECDSA', hash: 'SHA-512' }, p256.privateKey, message),
    );
    expect(
      await provider.verify(S.ecdsa_secp521r1_sha512, p256.spki, message, ecdsaRawToDer(raw256)),
    ).toBe(true);
  });

  it('RSA-PSS (rsae): verifies salt = hash length, rejects other salts and lengths', async () => {
    for (const [hash, scheme] of [
      ['SHA-256', S.rsa_pss_rsae_sha256],
      ['SHA-384', S.rsa_pss_rsae_sha384],
      ['SHA-512', S.rsa_pss_rsae_sha512],
    ] as const) {
      const k = await subtle.importKey('pkcs8', rsa.pkcs8, { name: 'RSA-PSS', hash }, false, [
        'sign',
      ]);
      const hLen = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }[hash];
      const sig = new Uint8Array(
        await subtle.sign({ name: 'RSA-PSS', saltLength: hLen }, k, message),
      );
      expect(await provider.verify(scheme, rsa.spki, message, sig)).toBe(true);
      expect(await provider.verify(scheme, rsa.spki, flip(message, 0), sig)).toBe(false);
      expect(await provider.verify(scheme, rsa.spki, message, flip(sig, 100))).toBe(false);
      expect(await provider.verify(scheme, rsa.spki, message, sig.subarray(1))).toBe(false);
      const salt0 = new Uint8Array(
        await subtle.sign({ name: 'RSA-PSS', saltLength: 0 }, k, message),
      );
      expect(await provider.verify(scheme, rsa.spki, message, salt0)).toBe(false);
    }
  });

  it('RSA-PSS (pss OID key): verifies, honours parameters, refuses PKCS#1', async () => {
    const k = await subtle.importKey(
      'pkcs8',
      rsa.pkcs8,
      { name: 'RSA-PSS', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const sig = new Uint8Array(await subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, k, message));
    const bare = pssSpki(rsa.spki);
    expect(await provider.verify(S.rsa_pss_pss_sha256, bare, message, sig)).toBe(true);
    const sha256Only = pssSpki(rsa.spki, pssParams(Oid.sha256, 32));
    expect(spkiInfo(sha256Only).algorithm).toBe('rsa-pss');
    expect(await provider.verify(S.rsa_pss_pss_sha256, sha256Only, message, sig)).toBe(true);
    const sha384Only = pssSpki(rsa.spki, pssParams(Oid.sha384, 48));
    expect(await provider.verify(S.rsa_pss_pss_sha256, sha384Only, message, sig)).toBe(false);
    const pkcs1Sig = new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', rsa.pkcs1, message));
    expect(await provider.verify(S.rsa_pkcs1_sha384, bare, message, pkcs1Sig)).toBe(false);
  });

  it('RSA PKCS#1 v1.5: verifies certificate-style signatures; the hash must match', async () => {
    const sig = new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', rsa.pkcs1, message));
    expect(await verifyEverywhere(S.rsa_pkcs1_sha384, rsa.spki, message, sig)).toEqual(
      everywhere(true),
    );
    expect(await provider.verify(S.rsa_pkcs1_sha256, rsa.spki, message, sig)).toBe(false);
    expect(await provider.verify(S.rsa_pkcs1_sha384, rsa.spki, message, flip(sig, 255))).toBe(
      false,
    );
    // s >= n is invalid, not an exception.
    expect(
      await provider.verify(S.rsa_pkcs1_sha384, rsa.spki, message, new Uint8Array(256).fill(0xff)),
    ).toBe(false);
  });

  it('returns false when the scheme does not fit the key', async () => {
    const sig = await (await provider.signingKey({ pkcs8: p256.pkcs8 })).sign(
      S.ecdsa_secp256r1_sha256,
      message,
    );
    expect(await provider.verify(S.ed25519, p256.spki, message, sig)).toBe(false);
    expect(await provider.verify(S.rsa_pkcs1_sha256, p256.spki, message, sig)).toBe(false);
    expect(await provider.verify(S.ecdsa_secp256r1_sha256, rsa.spki, message, sig)).toBe(false);
  });

  it('throws UNSUPPORTED_CERTIFICATE for unknown schemes, BAD_CERTIFICATE for bad keys', async () => {
    const sig = new Uint8Array(64);
    expect(await rejectionCode(provider.verify(S.rsa_pkcs1_sha1, rsa.spki, message, sig))).toBe(
      'UNSUPPORTED_CERTIFICATE',
    );
    expect(await rejectionCode(provider.verify(S.ed448, rsa.spki, message, sig))).toBe(
      'UNSUPPORTED_CERTIFICATE',
    );
    expect(
      await rejectionCode(
        provider.verify(S.ecdsa_secp256r1_sha256, p256.spki.subarray(1), message, sig),
      ),
    ).toBe('BAD_CERTIFICATE');
    // A point off the curve.
    const offCurve = flip(p256.spki, p256.spki.length - 1);
    const der = ecdsaRawToDer(new Uint8Array(64).fill(1));
    expect(
      await rejectionCode(provider.verify(S.ecdsa_secp256r1_sha256, offCurve, message, der)),
    ).toBe('BAD_CERTIFICATE');
  });

  it('loads RSA keys for signing, or refuses them with CONFIG (noble)', async () => {
    if (name === 'noble') {
      expect(await rejectionCode(provider.signingKey({ pkcs8: rsa.pkcs8 }))).toBe('CONFIG');
      return;
    }
    const signer = await provider.signingKey({ pkcs8: rsa.pkcs8 });
    expect(signer.algorithm).toBe('rsa');
    // PKCS#1 v1.5 last: for TLS 1.2 peers that offer no PSS (RFC 5246 §7.4.1.4.1).
    expect(signer.schemes).toEqual([
      S.rsa_pss_rsae_sha256,
      S.rsa_pss_rsae_sha384,
      S.rsa_pss_rsae_sha512,
      S.rsa_pkcs1_sha256,
      S.rsa_pkcs1_sha384,
      S.rsa_pkcs1_sha512,
    ]);
    for (const scheme of signer.schemes) {
      const sig = await signer.sign(scheme, message);
      expect(await verifyEverywhere(scheme, rsa.spki, message, sig)).toEqual(everywhere(true));
    }
  });

  it('wraps a non-extractable WebCrypto key, or refuses it with CONFIG (noble)', async () => {
    const key = await subtle.importKey(
      'pkcs8',
      p256.pkcs8,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const source = { cryptoKey: key, schemes: [S.ecdsa_secp256r1_sha256] };
    if (name === 'noble') {
      expect(await rejectionCode(provider.signingKey(source))).toBe('CONFIG');
      return;
    }
    const signer = await provider.signingKey(source);
    const sig = await signer.sign(S.ecdsa_secp256r1_sha256, message);
    expect(await provider.verify(S.ecdsa_secp256r1_sha256, p256.spki, message, sig)).toBe(true);
    const wrong = { cryptoKey: key, schemes: [S.ecdsa_secp384r1_sha384] };
    expect(await rejectionCode(provider.signingKey(wrong))).toBe('CONFIG');
  });

  it('refuses malformed PKCS#8 with CONFIG', async () => {
    expect(await rejectionCode(provider.signingKey({ pkcs8: p256.pkcs8.subarray(0, 40) }))).toBe(
      'CONFIG',
    );
    expect(await rejectionCode(provider.signingKey({ pkcs8: fromHex('300100') }))).toBe('CONFIG');
  });
});
