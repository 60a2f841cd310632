/**
 * Test helpers: providers whose key shares and random bytes are fixed, for reproducing recorded
 * traces such as RFC 8448's. Never use these outside tests: fixed keys and randomness void
 * every security property TLS has.
 */

import { TlsError } from '../error.ts';
import { NamedGroup, nameOf } from '../msgs/enums.ts';
import { DhGroup } from './dh.ts';
import type { CryptoProvider, KeyExchangeGroup } from './provider.ts';

/** A provider with every member delegated to `base`, except those in `overrides`. */
function derive(base: CryptoProvider, overrides: Partial<CryptoProvider>): CryptoProvider {
  return {
    name: base.name,
    fips: base.fips,
    cipherSuites: base.cipherSuites,
    groups: base.groups,
    signatureSchemes: base.signatureSchemes,
    random: (n) => base.random(n),
    digest: (alg, data) => base.digest(alg, data),
    hmac: (alg, key, data) => base.hmac(alg, key, data),
    hkdfExtract: (alg, salt, ikm) => base.hkdfExtract(alg, salt, ikm),
    hkdfExpand: (alg, prk, info, length) => base.hkdfExpand(alg, prk, info, length),
    aead: (alg, key) => base.aead(alg, key),
    keyExchange: (group) => base.keyExchange(group),
    verify: (scheme, spki, data, signature) => base.verify(scheme, spki, data, signature),
    signingKey: (source) => base.signingKey(source),
    ...overrides,
  };
}

/**
 * A provider whose X25519, secp256r1 and secp384r1 `generate()` and `encapsulate()` take their
 * private keys from `keys[group]`, in order, one per call across both methods; once a list is
 * used up, keys are fresh again. Keys are 32-byte X25519 scalars or big-endian EC scalars.
 * @throws TlsError CONFIG for a group the base provider does not implement with fixable keys.
 */
export function withFixedKeyShares(
  provider: CryptoProvider,
  keys: { [group: number]: Uint8Array[] },
): CryptoProvider {
  const queues = new Map<number, Uint8Array[]>();
  const wrapped = new Map<number, KeyExchangeGroup>();
  for (const [g, list] of Object.entries(keys)) {
    const group = Number(g);
    const inner = provider.keyExchange(group);
    if (!(inner instanceof DhGroup)) {
      throw new TlsError(
        'CONFIG',
        `withFixedKeyShares: ${nameOf(NamedGroup, group, 2)} of provider ${provider.name} ` +
          'does not accept fixed keys',
        { layer: 'config' },
      );
    }
    const queue = list.map((k) => k.slice());
    queues.set(group, queue);
    wrapped.set(group, {
      group: inner.group,
      name: inner.name,
      fips: inner.fips,
      generate: () => inner.generateWith(queue.shift()),
      encapsulate: (clientShare) => inner.encapsulateWith(clientShare, queue.shift()),
    });
  }
  return derive(provider, {
    keyExchange: (group) => wrapped.get(group) ?? provider.keyExchange(group),
  });
}

/**
 * A provider whose `random(n)` returns the first not-yet-used entry of `values` with length
 * `n`, and real randomness when there is none. Only `random()` itself is affected; for fixed
 * key shares use `withFixedKeyShares`, or give the factory a `random` option.
 */
export function withFixedRandom(provider: CryptoProvider, values: Uint8Array[]): CryptoProvider {
  const queue = values.map((v) => v.slice());
  return derive(provider, {
    random: (n) => {
      const i = queue.findIndex((v) => v.length === n);
      if (i < 0) return provider.random(n);
      const [v] = queue.splice(i, 1);
      return v;
    },
  });
}
