/**
 * The pure-JavaScript provider: @noble/hashes, @noble/ciphers, @noble/curves and
 * @noble/post-quantum, with `crypto.getRandomValues` as its only platform dependency.
 *
 * Non-features: RSA signing (`signingKey` throws TlsError CONFIG for RSA keys, and for
 * WebCrypto keys). RSA verification is supported (rsa-verify.ts).
 */

import { NamedGroup } from '../msgs/enums.ts';
import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from './defaults.ts';
import { DhGroup } from './dh.ts';
import { nobleAead } from './noble-aead.ts';
import { nobleHashing } from './noble-hash.ts';
import { nobleEcdh, nobleMlKem768, nobleX25519 } from './noble-kx.ts';
import { nobleSigningKey, nobleVerify } from './noble-sign.ts';
import type { CryptoProvider, KeyExchangeGroup } from './provider.ts';
import { checkedRandom, platformRandom, type RandomSource } from './random.ts';
import { VERIFY_SCHEMES } from './schemes.ts';
import { x25519MlKem768 } from './x25519mlkem768.ts';

/** Options for `nobleProvider`. */
export interface NobleProviderOptions {
  /**
   * The randomness source for `random()` and all key generation and signing nonces.
   * Defaults to `crypto.getRandomValues`. Tests inject fixed bytes here.
   */
  random?: (n: number) => Uint8Array;
}

/**
 * A CryptoProvider in pure JavaScript. Slower than WebCrypto and not constant time to the
 * degree native code is, but identical everywhere JavaScript runs.
 */
export function nobleProvider(options: NobleProviderOptions = {}): CryptoProvider {
  const random: RandomSource = options.random ? checkedRandom(options.random) : platformRandom;
  const x25519 = nobleX25519(random);
  const groups = new Map<number, KeyExchangeGroup>([
    [NamedGroup.X25519MLKEM768, x25519MlKem768(x25519, nobleMlKem768(random))],
    [NamedGroup.x25519, new DhGroup(x25519)],
    [NamedGroup.secp256r1, new DhGroup(nobleEcdh(NamedGroup.secp256r1, random))],
    [NamedGroup.secp384r1, new DhGroup(nobleEcdh(NamedGroup.secp384r1, random))],
  ]);

  return {
    name: 'noble',
    fips: false,
    cipherSuites: DEFAULT_CIPHER_SUITES,
    groups: DEFAULT_GROUPS,
    signatureSchemes: VERIFY_SCHEMES,

    random,

    ...nobleHashing,

    async aead(alg, key) {
      return nobleAead(alg, key);
    },

    keyExchange(group) {
      return groups.get(group);
    },

    async verify(scheme, spki, data, signature) {
      return nobleVerify(scheme, spki, data, signature);
    },

    async signingKey(source) {
      return nobleSigningKey(source, random);
    },
  };
}
