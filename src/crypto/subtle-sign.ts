/**
 * Signatures with WebCrypto: ECDSA, RSA-PSS and RSA PKCS#1 v1.5 everywhere, Ed25519 where the
 * runtime has it (else @noble/curves).
 */

import { TlsError } from '../error.ts';
import { nameOf, SignatureScheme } from '../msgs/enums.ts';
import { bufferSource, toHex } from '../util/bytes.ts';
import { Lru } from '../util/lru.ts';
import { ecdsaDerToRaw, ecdsaRawToDer } from './ecdsa-der.ts';
import { ed25519Sign, ed25519Verify } from './noble-ed25519.ts';
import { parsePkcs8, rsaEncryptionPkcs8 } from './pkcs8.ts';
import type { HashAlgorithm, PrivateKeySource, SigningKey } from './provider.ts';
import { hashLength } from './provider.ts';
import { checkScheme, type SchemeInfo, schemeInfo, schemesForKey } from './schemes.ts';
import { curveSize, type EcCurve, rsaEncryptionSpki } from './spki.ts';
import { prepareVerify } from './verify-common.ts';

/** `CryptoProvider.verify` over WebCrypto. */
type RsaAlgorithmName = 'RSA-PSS' | 'RSASSA-PKCS1-v1_5';

const PKCS1_SCHEMES = [
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

export async function subtleVerify(
  subtle: SubtleCrypto,
  ed25519Native: () => Promise<boolean>,
  scheme: number,
  spkiDer: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const spki = spkiDer.slice();
  const message = bufferSource(data.slice());
  const prepared = prepareVerify(scheme, spki);
  if (!prepared.ok) return false;
  const { info, key } = prepared;

  let algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  let params: RsaPssParams | EcdsaParams | Algorithm;
  let sig: Uint8Array;
  let importable: Uint8Array = spki;
  switch (info.kind) {
    case 'ecdsa': {
      // The curve comes from the key, the hash from the scheme.
      const curve = key.curve as EcCurve;
      const raw = ecdsaDerToRaw(signature, curveSize[curve]);
      if (!raw) return false;
      sig = raw;
      algorithm = { name: 'ECDSA', namedCurve: curve };
      params = { name: 'ECDSA', hash: info.hash };
      break;
    }
    case 'ed25519':
      if (!(await ed25519Native())) return ed25519Verify(key.key, data, signature);
      sig = signature.slice();
      algorithm = params = { name: 'Ed25519' };
      break;
    case 'rsa-pss':
    case 'rsa-pkcs1': {
      // RFC 8017 §8.1.2 / §8.2.2 step 1: the signature is exactly k octets.
      if (signature.length !== key.rsa!.size) return false;
      sig = signature.slice();
      // WebCrypto imports only rsaEncryption SPKIs; a PSS-OID key has the same RSAPublicKey.
      if (key.algorithm === 'rsa-pss') importable = rsaEncryptionSpki(key.key);
      const name = info.kind === 'rsa-pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
      algorithm = { name, hash: info.hash };
      // RFC 8446 §4.2.3: the PSS salt length equals the digest length.
      params = info.kind === 'rsa-pss' ? { name, saltLength: hashLength[info.hash] } : { name };
      break;
    }
  }

  const cryptoKey = await verifyKey(subtle, importable, algorithm);
  try {
    return await subtle.verify(params, cryptoKey, bufferSource(sig), message);
  } catch {
    return false;
  }
}

/** Imported verification keys, per SubtleCrypto, by import algorithm and SPKI. */
const verifyKeys = new WeakMap<SubtleCrypto, Lru<string, Promise<CryptoKey>>>();

/**
 * The CryptoKey for `spki` under `algorithm`, imported once and kept in a small LRU: a chain's
 * CA keys and a server's own key recur on every handshake, and each import is a WebCrypto round
 * trip. A failed import is not kept.
 */
function verifyKey(
  subtle: SubtleCrypto,
  spki: Uint8Array,
  algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm,
): Promise<CryptoKey> {
  let keys = verifyKeys.get(subtle);
  if (!keys) {
    keys = new Lru(64);
    verifyKeys.set(subtle, keys);
  }
  const id = `${JSON.stringify(algorithm)} ${toHex(spki)}`;
  const cached = keys.get(id);
  if (cached) return cached;
  const imported = subtle
    .importKey('spki', bufferSource(spki.slice()), algorithm, false, ['verify'])
    .catch((e) => {
      keys.delete(id);
      throw new TlsError('BAD_CERTIFICATE', 'public key rejected by WebCrypto', {
        layer: 'crypto',
        cause: e,
      });
    });
  keys.set(id, imported);
  return imported;
}

/** `CryptoProvider.signingKey` over WebCrypto. Throws TlsError CONFIG for unusable keys. */
export async function subtleSigningKey(
  subtle: SubtleCrypto,
  ed25519Native: () => Promise<boolean>,
  source: PrivateKeySource,
): Promise<SigningKey> {
  if ('cryptoKey' in source) return wrapCryptoKey(subtle, source.cryptoKey, source.schemes);
  const parsed = parsePkcs8(source.pkcs8);
  try {
    switch (parsed.kind) {
      case 'ecdsa': {
        const key = await subtle.importKey(
          'pkcs8',
          bufferSource(source.pkcs8.slice()),
          { name: 'ECDSA', namedCurve: parsed.curve },
          false,
          ['sign'],
        );
        return ecdsaKey(subtle, key, schemesForKey('ecdsa', parsed.curve));
      }
      case 'ed25519': {
        const schemes = schemesForKey('ed25519');
        if (!(await ed25519Native())) {
          const seed = parsed.seed;
          return {
            algorithm: 'ed25519',
            schemes,
            async sign(scheme, data) {
              checkScheme(schemes, scheme);
              return ed25519Sign(seed, data);
            },
          };
        }
        const key = await subtle.importKey(
          'pkcs8',
          bufferSource(source.pkcs8.slice()),
          { name: 'Ed25519' },
          false,
          ['sign'],
        );
        return plainKey(subtle, key, 'ed25519', schemes, { name: 'Ed25519' });
      }
      case 'rsa': {
        // A PSS-OID key may restrict itself to one hash (RFC 4055 §3.1).
        const restrict = parsed.pssParams;
        const schemes = schemesForKey(parsed.pss ? 'rsa-pss' : 'rsa').filter((s) => {
          const info = schemeInfo(s) as Extract<SchemeInfo, { kind: 'rsa-pss' }>;
          const hLen = hashLength[info.hash];
          return (
            !restrict ||
            (restrict.hash === info.hash &&
              restrict.mgfHash === info.hash &&
              restrict.saltLength <= hLen)
          );
        });
        if (schemes.length === 0) throw config('RSA-PSS key parameters allow no TLS scheme');
        // An rsaEncryption key also signs PKCS#1 v1.5, last in preference: TLS 1.2 peers that
        // offer no PSS need it (RFC 5246 §7.4.1.4.1); TLS 1.3 never picks it (RFC 8446 §4.2.3).
        if (!parsed.pss) schemes.push(...PKCS1_SCHEMES);
        // WebCrypto binds an RSA key to one algorithm and hash: import on first use of each.
        const pkcs8 = rsaEncryptionPkcs8(parsed.rsaPrivateKey);
        const imported = new Map<string, Promise<CryptoKey>>();
        const keyFor = (name: RsaAlgorithmName, hash: HashAlgorithm) => {
          let k = imported.get(`${name}/${hash}`);
          if (!k) {
            k = subtle.importKey('pkcs8', bufferSource(pkcs8), { name, hash }, false, ['sign']);
            imported.set(`${name}/${hash}`, k);
          }
          return k;
        };
        // Import once now so a bad key fails at load time, not mid-handshake.
        await keyFor('RSA-PSS', (schemeInfo(schemes[0]) as { hash: HashAlgorithm }).hash);
        return {
          algorithm: parsed.pss ? 'rsa-pss' : 'rsa',
          schemes,
          async sign(scheme, data) {
            checkScheme(schemes, scheme);
            const info = schemeInfo(scheme) as { kind: string; hash: HashAlgorithm };
            const msg = bufferSource(data.slice());
            if (info.kind === 'rsa-pkcs1') {
              const key = await keyFor('RSASSA-PKCS1-v1_5', info.hash);
              return new Uint8Array(await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, msg));
            }
            const key = await keyFor('RSA-PSS', info.hash);
            // RFC 8446 §4.2.3: salt length equals the digest length.
            const params = { name: 'RSA-PSS', saltLength: hashLength[info.hash] };
            return new Uint8Array(await subtle.sign(params, key, msg));
          },
        };
      }
    }
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw new TlsError('CONFIG', 'private key rejected by WebCrypto', {
      layer: 'config',
      cause: e,
    });
  }
}

/**
 * Wraps a (possibly non-extractable) WebCrypto key. The schemes must match the key: ECDSA
 * schemes naming the key's curve, Ed25519, or RSA-PSS / PKCS#1 schemes with the key's hash.
 */
function wrapCryptoKey(
  subtle: SubtleCrypto,
  key: CryptoKey,
  schemes: readonly number[],
): SigningKey {
  if (key.type !== 'private' || !key.usages.includes('sign')) {
    throw config('WebCrypto key is not a private key with the sign usage');
  }
  if (schemes.length === 0) throw config('WebCrypto key given with no schemes');
  const algorithm = key.algorithm as Algorithm & { namedCurve?: string; hash?: { name: string } };
  for (const scheme of schemes) {
    const info = schemeInfo(scheme);
    const fits =
      info !== undefined &&
      ((info.kind === 'ecdsa' &&
        algorithm.name === 'ECDSA' &&
        info.curve === algorithm.namedCurve) ||
        (info.kind === 'ed25519' && algorithm.name === 'Ed25519') ||
        (info.kind === 'rsa-pss' &&
          algorithm.name === 'RSA-PSS' &&
          info.hash === algorithm.hash?.name) ||
        (info.kind === 'rsa-pkcs1' &&
          algorithm.name === 'RSASSA-PKCS1-v1_5' &&
          info.hash === algorithm.hash?.name));
    if (!fits) {
      throw config(
        `scheme ${nameOf(SignatureScheme, scheme, 2)} does not fit a ${algorithm.name} key`,
      );
    }
  }
  switch (algorithm.name) {
    case 'ECDSA':
      return ecdsaKey(subtle, key, [...schemes]);
    case 'Ed25519':
      return plainKey(subtle, key, 'ed25519', [...schemes], { name: 'Ed25519' });
    case 'RSA-PSS': {
      const hash = algorithm.hash!.name as HashAlgorithm;
      return plainKey(subtle, key, 'rsa', [...schemes], {
        name: 'RSA-PSS',
        saltLength: hashLength[hash],
      } as RsaPssParams);
    }
    default:
      return plainKey(subtle, key, 'rsa', [...schemes], { name: 'RSASSA-PKCS1-v1_5' });
  }
}

/** ECDSA: WebCrypto signs r || s, TLS sends DER. */
function ecdsaKey(subtle: SubtleCrypto, key: CryptoKey, schemes: number[]): SigningKey {
  return {
    algorithm: 'ecdsa',
    schemes,
    async sign(scheme, data) {
      checkScheme(schemes, scheme);
      const { hash } = schemeInfo(scheme) as { hash: HashAlgorithm };
      const raw = await subtle.sign({ name: 'ECDSA', hash }, key, bufferSource(data.slice()));
      return ecdsaRawToDer(new Uint8Array(raw));
    },
  };
}

/** A key whose signature WebCrypto produces in wire form already. */
function plainKey(
  subtle: SubtleCrypto,
  key: CryptoKey,
  algorithm: string,
  schemes: number[],
  params: Algorithm,
): SigningKey {
  return {
    algorithm,
    schemes,
    async sign(scheme, data) {
      checkScheme(schemes, scheme);
      return new Uint8Array(await subtle.sign(params, key, bufferSource(data.slice())));
    },
  };
}

function config(message: string): TlsError {
  return new TlsError('CONFIG', message, { layer: 'config' });
}
