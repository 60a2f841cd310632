/**
 * The `node` provider: every operation on node:crypto, synchronously. WebCrypto on Node hands
 * each call to a thread pool and back (tens of microseconds); an OpenSSL call made directly costs
 * a few. The interface's promises are returned already settled, and nothing here awaits.
 *
 * ML-KEM-768 (for X25519MLKEM768) is @noble/post-quantum: Node 20 has no ML-KEM.
 * Node only: import it from `webtls/node`.
 */

import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from '../../crypto/defaults.ts';
import type { CryptoProvider } from '../../crypto/provider.ts';
import { checkedRandom, platformRandom, type RandomSource } from '../../crypto/random.ts';
import { VERIFY_SCHEMES } from '../../crypto/schemes.ts';
import { nodeAead } from './aead.ts';
import { digestSync, hkdfExpandSync, hkdfExtractSync, hmacSync } from './hash.ts';
import { nodeGroups } from './kx.ts';
import { nodeSigningKey } from './sign.ts';
import { nodeVerifier } from './verify.ts';

/** Options for `nodeProvider`. */
export interface NodeProviderOptions {
  /**
   * The randomness source for `random()` and key-exchange keys: when given, private keys are
   * drawn from it and imported (tests pin them this way). Defaults to the platform CSPRNG with
   * OpenSSL's own key generation. Signing randomness (ECDSA, RSA-PSS) stays inside OpenSSL.
   */
  random?: (n: number) => Uint8Array;
}

/** Creates the node:crypto provider. */
export function nodeProvider(options: NodeProviderOptions = {}): CryptoProvider {
  const injected = options.random ? checkedRandom(options.random) : undefined;
  // crypto.getRandomValues is node:crypto's CSPRNG (OpenSSL's RAND_bytes), and synchronous.
  const random: RandomSource = injected ?? platformRandom;
  const groups = nodeGroups(random, injected);
  const verify = nodeVerifier();

  return {
    name: 'node',
    fips: false,
    cipherSuites: DEFAULT_CIPHER_SUITES,
    groups: DEFAULT_GROUPS,
    signatureSchemes: VERIFY_SCHEMES,

    random,

    async digest(alg, data) {
      return digestSync(alg, data);
    },
    async hmac(alg, key, data) {
      return hmacSync(alg, key, data);
    },
    async hkdfExtract(alg, salt, ikm) {
      return hkdfExtractSync(alg, salt, ikm);
    },
    async hkdfExpand(alg, prk, info, length) {
      return hkdfExpandSync(alg, prk, info, length);
    },

    async aead(alg, key) {
      return nodeAead(alg, key);
    },

    keyExchange(group) {
      return groups.get(group);
    },

    async verify(scheme, spki, data, signature) {
      return verify(scheme, spki, data, signature);
    },

    signingKey(source) {
      return nodeSigningKey(source);
    },
  };
}
