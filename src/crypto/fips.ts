/**
 * The `fips` provider: the subtle provider (WebCrypto) restricted to FIPS 140-3 approved
 * algorithms (fips-policy.ts). Everything it does runs in the platform's WebCrypto; what the
 * subtle provider would take from @noble (ChaCha20-Poly1305, X25519, Ed25519, ML-KEM) is refused
 * before it is reached, so nothing falls back to pure JavaScript.
 *
 * webtls is not a validated module. FIPS mode is only as good as the WebCrypto underneath it,
 * e.g. Node built against a FIPS-validated OpenSSL (docs/crypto-providers.md, "FIPS mode").
 */

import { TlsError } from '../error.ts';
import { nameOf, SignatureScheme } from '../msgs/enums.ts';
import {
  FIPS_AEADS,
  FIPS_GROUPS,
  FIPS_HASHES,
  FIPS_SIGNATURE_SCHEMES,
  FIPS_TLS13_SUITES,
  fipsKeyRefusal,
  fipsSchemeAlgorithm,
} from './fips-policy.ts';
import { parsePkcs8 } from './pkcs8.ts';
import type { CryptoProvider, HashAlgorithm, PrivateKeySource } from './provider.ts';
import { parseSpki } from './spki.ts';
import { subtleProvider } from './subtle.ts';

/**
 * Creates the FIPS-mode provider: AES-128/256-GCM, ECDHE and ECDSA on P-256 and P-384, RSA-PSS
 * and RSA PKCS#1 v1.5 signatures with keys of at least 2048 bits, SHA-256/384/512, HMAC and
 * HKDF, all through WebCrypto. Its `fips` is true; configs using it refuse anything else
 * (src/conn/fips-config.ts). There are no options: injected randomness would bypass the
 * platform's DRBG.
 * @throws TlsError CONFIG where `crypto.subtle` is missing.
 */
export function fipsProvider(): CryptoProvider {
  const base = subtleProvider({ hashing: 'webcrypto' });
  return {
    name: 'fips',
    fips: true,
    cipherSuites: FIPS_TLS13_SUITES,
    groups: FIPS_GROUPS,
    signatureSchemes: FIPS_SIGNATURE_SCHEMES,

    random: (n) => base.random(n),

    async digest(alg, data) {
      checkHash(alg);
      return base.digest(alg, data);
    },
    async hmac(alg, key, data) {
      checkHash(alg);
      return base.hmac(alg, key, data);
    },
    async hkdfExtract(alg, salt, ikm) {
      checkHash(alg);
      return base.hkdfExtract(alg, salt, ikm);
    },
    async hkdfExpand(alg, prk, info, length) {
      checkHash(alg);
      return base.hkdfExpand(alg, prk, info, length);
    },

    async aead(alg, key) {
      if (!FIPS_AEADS.includes(alg)) throw refused('CONFIG', alg);
      return base.aead(alg, key);
    },

    keyExchange(group) {
      return FIPS_GROUPS.includes(group) ? base.keyExchange(group) : undefined;
    },

    async verify(scheme, spki, data, signature) {
      if (!fipsSchemeAlgorithm(scheme)) {
        throw refused('UNSUPPORTED_CERTIFICATE', `signature scheme ${schemeName(scheme)}`);
      }
      const why = fipsKeyRefusal(parseSpki(spki));
      if (why) throw refused('UNSUPPORTED_CERTIFICATE', `public ${why}`);
      return base.verify(scheme, spki, data, signature);
    },

    async signingKey(source) {
      checkPrivateKey(source);
      const key = await base.signingKey(source);
      const bad = key.schemes.find((s) => !fipsSchemeAlgorithm(s));
      if (bad !== undefined) throw refused('CONFIG', `signature scheme ${schemeName(bad)}`);
      return key;
    },
  };
}

/** Refuses a private key FIPS mode may not sign with, before WebCrypto sees it. */
function checkPrivateKey(source: PrivateKeySource): void {
  let why: string | undefined;
  if ('pkcs8' in source) {
    const key = parsePkcs8(source.pkcs8);
    switch (key.kind) {
      case 'ecdsa':
        why = fipsKeyRefusal({ algorithm: 'ecdsa', curve: key.curve });
        break;
      case 'rsa':
        why = fipsKeyRefusal({ algorithm: key.pss ? 'rsa-pss' : 'rsa', bits: key.bits });
        break;
      case 'ed25519':
        why = 'Ed25519 key';
        break;
    }
  } else {
    const alg = source.cryptoKey.algorithm as Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
    if (alg.name === 'ECDSA') {
      why = fipsKeyRefusal({ algorithm: 'ecdsa', curve: alg.namedCurve as 'P-256' });
    } else if (alg.name === 'RSA-PSS' || alg.name === 'RSASSA-PKCS1-v1_5') {
      why = fipsKeyRefusal({ algorithm: 'rsa', bits: alg.modulusLength ?? 0 });
    } else {
      why = `${alg.name} key`;
    }
    const bad = source.schemes.find((s) => !fipsSchemeAlgorithm(s));
    if (!why && bad !== undefined) why = `signature scheme ${schemeName(bad)}`;
  }
  if (why) throw refused('CONFIG', why);
}

function checkHash(alg: HashAlgorithm): void {
  if (!FIPS_HASHES.includes(alg)) throw refused('CONFIG', alg);
}

function schemeName(scheme: number): string {
  return nameOf(SignatureScheme, scheme);
}

/** A refusal; the message says FIPS mode refused it and names the item. */
function refused(code: 'CONFIG' | 'UNSUPPORTED_CERTIFICATE', what: string): TlsError {
  const layer = code === 'CONFIG' ? 'config' : 'crypto';
  return new TlsError(code, `tls: FIPS mode refuses ${what}`, { layer });
}
