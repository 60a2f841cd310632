import type { ClientConfig, ServerConfig } from '../config.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { TLS12_SUITES, tls12Suite, tls13Suite } from '../crypto/suites.ts';
import { TlsError } from '../error.ts';
import { NamedGroup, ProtocolVersion } from '../msgs/enums.ts';
import {
  MAX_RECORD_SIZE_LIMIT,
  MIN_RECORD_SIZE_LIMIT,
} from '../msgs/extensions/record-size-limit.ts';
import { fipsMode } from './fips-config.ts';

/** The parts of a config both sides resolve the same way against their provider. */
export interface Negotiable {
  /** Key-exchange groups, in preference order (TLS 1.2 uses only the ECDH ones). */
  groups: number[];
  /** TLS 1.3 cipher suites, in preference order; empty when TLS 1.3 is off. */
  cipherSuites: number[];
  /** TLS 1.2 cipher suites, in preference order; empty when TLS 1.2 is off. */
  tls12Suites: number[];
  /** The lowest and highest ProtocolVersion to negotiate. */
  minVersion: number;
  maxVersion: number;
  /** TLS 1.2: refuse peers without the extended master secret (RFC 7627). */
  requireEms: boolean;
  /** The record_size_limit to advertise (RFC 8449); undefined: none. */
  recordSizeLimit: number | undefined;
  /** TLS 1.3 record padding block (RFC 8446 §5.4); 0: none. */
  recordPadding: number;
  /**
   * FIPS mode: the provider is FIPS-capable and everything the config names or leaves in
   * effect is approved (fips-config.ts); a config that names anything else was refused.
   */
  fips: boolean;
}

/** The groups TLS 1.2 ECDHE can use (RFC 8422 §5.1.1, RFC 8446 §4.2.7). */
export const TLS12_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];

/** Default preference order when the config names no suites: TLS 1.3 first, then TLS 1.2. */
function defaultSuites(provider: CryptoProvider): number[] {
  return [...provider.cipherSuites, ...TLS12_SUITES.map((s) => s.code)];
}

function version(name: 'TLSv1.2' | 'TLSv1.3' | undefined, fallback: number): number {
  if (name === undefined) return fallback;
  return name === 'TLSv1.2' ? ProtocolVersion.TLSv1_2 : ProtocolVersion.TLSv1_3;
}

function config(message: string): TlsError {
  return new TlsError('CONFIG', message, { layer: 'config' });
}

/**
 * Refuses a FIPS-mode config that names anything not approved (fips-config.ts), keeps the
 * configured groups and suites the provider implements, in the configured order,
 * resolves the version range, and refuses a config that leaves nothing to negotiate. A version
 * with no usable suite (or, for TLS 1.2, no ECDH group) drops out of the range.
 */
export function resolveNegotiable(
  config_: ClientConfig | ServerConfig,
  provider: CryptoProvider,
): Negotiable {
  let minVersion = version(config_.minVersion, ProtocolVersion.TLSv1_2);
  let maxVersion = version(config_.maxVersion, ProtocolVersion.TLSv1_3);
  if (minVersion > maxVersion) throw config('tls: minVersion is above maxVersion');
  const fips = fipsMode(config_, provider);

  const groups = (config_.groups ?? provider.groups).filter((g) => provider.keyExchange(g));
  if (groups.length === 0) throw config('tls: no usable key-exchange group');
  const suites = config_.cipherSuites ?? defaultSuites(provider);
  const tls13 = suites.filter((s) => provider.cipherSuites.includes(s));
  // A TLS 1.2 suite is usable when the provider offers a TLS 1.3 suite with the same AEAD.
  const aeads = new Set(provider.cipherSuites.map((s) => tls13Suite(s)?.aead));
  const tls12 = suites.filter((s) => aeads.has(tls12Suite(s)?.aead));

  if (tls13.length === 0) maxVersion = Math.min(maxVersion, ProtocolVersion.TLSv1_2);
  if (tls12.length === 0 || !groups.some((g) => TLS12_GROUPS.includes(g))) {
    minVersion = Math.max(minVersion, ProtocolVersion.TLSv1_3);
  }
  if (minVersion > maxVersion) throw config('tls: no usable cipher suite');
  return {
    groups,
    cipherSuites: maxVersion >= ProtocolVersion.TLSv1_3 ? tls13 : [],
    tls12Suites: minVersion <= ProtocolVersion.TLSv1_2 ? tls12 : [],
    minVersion,
    maxVersion,
    requireEms: config_.requireExtendedMasterSecret ?? true,
    recordSizeLimit: recordSizeLimit(config_.recordSizeLimit),
    recordPadding: recordPadding(config_.recordPadding),
    fips,
  };
}

/** A padding block that fits a record: 0 (none) to 2^14. */
function recordPadding(value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 14) {
    throw config('tls: recordPadding must be an integer from 0 to 16384');
  }
  return value;
}

/** RFC 8449 §4: at least 64, at most TLS 1.3's 2^14 + 1 ("MUST NOT send a value higher"). */
function recordSizeLimit(value: number | false | undefined): number | undefined {
  if (value === false) return undefined;
  if (value === undefined) return MAX_RECORD_SIZE_LIMIT;
  if (!Number.isInteger(value) || value < MIN_RECORD_SIZE_LIMIT || value > MAX_RECORD_SIZE_LIMIT) {
    throw config(
      `tls: recordSizeLimit must be an integer from ${MIN_RECORD_SIZE_LIMIT} to ` +
        `${MAX_RECORD_SIZE_LIMIT}, or false`,
    );
  }
  return value;
}
