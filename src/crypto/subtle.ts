/**
 * The default provider: WebCrypto (`globalThis.crypto.subtle`) for everything a runtime
 * implements, @noble for the rest. What a runtime lacks is found by trying the operation once
 * (subtle-probe.ts), never by sniffing: ChaCha20-Poly1305 (absent from most WebCrypto
 * implementations), X25519 and Ed25519 (absent from older engines), ML-KEM-768 (new).
 */

import { TlsError } from '../error.ts';
import { NamedGroup } from '../msgs/enums.ts';
import { bufferSource } from '../util/bytes.ts';
import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from './defaults.ts';
import { DhGroup } from './dh.ts';
import { extractSalt, hkdfExpandWith } from './hkdf.ts';
import { type Hashing, nobleHashing } from './noble-hash.ts';
import { nobleMlKem768, nobleX25519 } from './noble-kx.ts';
import type { CryptoProvider, HashAlgorithm, KeyExchangeGroup } from './provider.ts';
import { checkedRandom, platformRandom, type RandomSource } from './random.ts';
import { VERIFY_SCHEMES } from './schemes.ts';
import { subtleAead } from './subtle-aead.ts';
import { subtleEcdh, subtleMlKem768, subtleX25519 } from './subtle-kx.ts';
import { type NativeFeature, nativeSupport } from './subtle-probe.ts';
import { subtleSigningKey, subtleVerify } from './subtle-sign.ts';
import { x25519MlKem768 } from './x25519mlkem768.ts';

export type { NativeFeature } from './subtle-probe.ts';

/** Options for `subtleProvider`. */
export interface SubtleProviderOptions {
  /**
   * The randomness source for `random()` and for key generation: when given, key-exchange
   * private keys are derived from it and imported (ML-KEM then runs in @noble), so tests can
   * pin them. Defaults to `crypto.getRandomValues` with WebCrypto's own key generation.
   * ECDSA and RSA-PSS signing randomness stays inside WebCrypto.
   */
  random?: (n: number) => Uint8Array;
  /**
   * Use @noble for these even when the runtime implements them: for testing the fallbacks,
   * or to route around a runtime bug.
   */
  fallback?: readonly NativeFeature[];
  /**
   * Where digests, HMAC and HKDF run. `'javascript'` (the default): @noble/hashes, in the
   * calling thread. `'webcrypto'`: `crypto.subtle`, one asynchronous call per HMAC or digest.
   *
   * The key schedule and the transcript make about twenty HMACs and a dozen digests per side
   * of a TLS 1.3 handshake, each over a few hundred bytes at most, where a WebCrypto call costs
   * a round trip into the runtime (50–80 µs each on Node 20) that dwarfs the hashing itself.
   * The secrets are JavaScript byte arrays either way. The FIPS provider uses `'webcrypto'`,
   * so that every algorithm runs in the runtime's module.
   */
  hashing?: 'javascript' | 'webcrypto';
}

/**
 * Creates the WebCrypto-backed provider. Probing happens lazily, on first use.
 * @throws TlsError CONFIG where `crypto.subtle` is missing (e.g. an insecure browser context).
 */
export function subtleProvider(options: SubtleProviderOptions = {}): CryptoProvider {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    // Browsers hide WebCrypto outside secure contexts (plain http pages).
    throw new TlsError('CONFIG', 'WebCrypto is unavailable here; use nobleProvider()', {
      layer: 'config',
    });
  }
  const injected = options.random ? checkedRandom(options.random) : undefined;
  const random: RandomSource = injected ?? platformRandom;
  const forced = new Set(options.fallback ?? []);
  const native = (feature: NativeFeature) => () =>
    forced.has(feature) ? Promise.resolve(false) : nativeSupport(subtle, feature);

  const ctx = { subtle, random: injected };
  const x25519 = subtleX25519(ctx, native('X25519'), nobleX25519(random));
  const mlkem = subtleMlKem768(ctx, native('ML-KEM-768'), nobleMlKem768(random));
  const groups = new Map<number, KeyExchangeGroup>([
    [NamedGroup.X25519MLKEM768, x25519MlKem768(x25519, mlkem)],
    [NamedGroup.x25519, new DhGroup(x25519)],
    [NamedGroup.secp256r1, new DhGroup(subtleEcdh(ctx, NamedGroup.secp256r1))],
    [NamedGroup.secp384r1, new DhGroup(subtleEcdh(ctx, NamedGroup.secp384r1))],
  ]);

  const hashing = options.hashing === 'webcrypto' ? webCryptoHashing(subtle) : nobleHashing;

  return {
    name: 'subtle',
    fips: false,
    cipherSuites: DEFAULT_CIPHER_SUITES,
    groups: DEFAULT_GROUPS,
    signatureSchemes: VERIFY_SCHEMES,

    random,

    ...hashing,

    aead(alg, key) {
      return subtleAead(subtle, alg, key, native('ChaCha20-Poly1305'));
    },

    keyExchange(group) {
      return groups.get(group);
    },

    verify(scheme, spki, data, signature) {
      return subtleVerify(subtle, native('Ed25519'), scheme, spki, data, signature);
    },

    signingKey(source) {
      return subtleSigningKey(subtle, native('Ed25519'), source);
    },
  };
}

/** Digests, HMAC and HKDF through `crypto.subtle`, one call each. */
function webCryptoHashing(subtle: SubtleCrypto): Hashing {
  const hmacKey = (alg: HashAlgorithm, key: Uint8Array) =>
    // Some runtimes refuse zero-length HMAC keys. HMAC pads keys with zeros to the block
    // size (RFC 2104 §2), so one zero byte is the same key.
    subtle.importKey(
      'raw',
      bufferSource(key.length === 0 ? new Uint8Array(1) : key.slice()),
      { name: 'HMAC', hash: alg },
      false,
      ['sign'],
    );
  const hmac = async (alg: HashAlgorithm, key: Uint8Array, data: Uint8Array) => {
    const d = bufferSource(data.slice());
    return new Uint8Array(await subtle.sign('HMAC', await hmacKey(alg, key), d));
  };
  return {
    async digest(alg, data) {
      return new Uint8Array(await subtle.digest(alg, bufferSource(data.slice())));
    },
    hmac,
    async hkdfExtract(alg, salt, ikm) {
      // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM), an empty salt being HashLen zeros.
      return hmac(alg, extractSalt(alg, salt), ikm);
    },
    async hkdfExpand(alg, prk, info, length) {
      const ck = await hmacKey(alg, prk);
      const mac = async (data: Uint8Array) =>
        new Uint8Array(await subtle.sign('HMAC', ck, bufferSource(data.slice())));
      return hkdfExpandWith(alg, mac, info.slice(), length);
    },
  };
}
