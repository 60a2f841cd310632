/** The crypto layer's public surface: the provider interface, the providers, and helpers. */

import type { CryptoProvider } from './provider.ts';
import { subtleProvider } from './subtle.ts';

export { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from './defaults.ts';
export { ecdsaDerToRaw, ecdsaRawToDer } from './ecdsa-der.ts';
export { fipsProvider } from './fips.ts';
export { type NobleProviderOptions, nobleProvider } from './noble.ts';
export type {
  AeadAlgorithm,
  AeadKey,
  CryptoProvider,
  HashAlgorithm,
  KeyExchangeGroup,
  KeyShare,
  PrivateKeySource,
  SigningKey,
} from './provider.ts';
export { aeadKeyLength, hashLength } from './provider.ts';
export { VERIFY_SCHEMES } from './schemes.ts';
export { type EcCurve, type SpkiAlgorithm, type SpkiInfo, spkiInfo } from './spki.ts';
export { type NativeFeature, type SubtleProviderOptions, subtleProvider } from './subtle.ts';
export {
  TLS12_SUITES,
  TLS13_SUITES,
  type Tls12Suite,
  type Tls13Suite,
  tls12Suite,
  tls13Suite,
} from './suites.ts';

let shared: CryptoProvider | undefined;

/** The shared default provider: a `subtleProvider()` created on first call. */
export function defaultProvider(): CryptoProvider {
  shared ??= subtleProvider();
  return shared;
}
