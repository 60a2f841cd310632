/**
 * `createSecureContext(options)`: node:tls's bundle of certificate, key, CA and cipher
 * settings, to pass as `secureContext` or to return from a server's `SNICallback`. Its
 * certificates and keys are loaded once, on first use.
 */
import type { CertifiedKey } from '../../config.ts';
import { defaultProvider } from '../../crypto/index.ts';
import {
  type CommonTlsOptions,
  certifiedKeysFrom,
  cipherSuitesFrom,
  groupsFrom,
  versionsFrom,
} from './options.ts';

/** Options prepared for reuse by many connections. */
export class SecureContext {
  /** The options this context was made from (a copy). */
  readonly options: CommonTlsOptions;
  #keys: Promise<CertifiedKey[]> | undefined;

  /**
   * @throws Error when a cipher list, group list or version is invalid (checked now, as
   *   node:tls does)
   */
  constructor(options: CommonTlsOptions = {}) {
    cipherSuitesFrom(options.ciphers);
    groupsFrom(options.ecdhCurve);
    versionsFrom(options);
    this.options = { ...options };
  }

  /** `cert` and `key` loaded (once) through the options' provider. */
  certifiedKeys(): Promise<CertifiedKey[]> {
    this.#keys ??= certifiedKeysFrom(this.options, this.options.provider ?? defaultProvider());
    return this.#keys;
  }

  /** node:tls exposes the native context here; webtls has none. */
  get context(): this {
    return this;
  }
}

/** Makes a SecureContext, as node:tls's `createSecureContext`. */
export function createSecureContext(options: CommonTlsOptions = {}): SecureContext {
  return new SecureContext(options);
}
