/**
 * Cipher-suite parameters: which AEAD and which hash each suite uses (TLS 1.3: RFC 8446 §B.4;
 * TLS 1.2: RFC 5289, RFC 7905).
 */

import { CipherSuite } from '../msgs/enums.ts';
import type { AeadAlgorithm, HashAlgorithm } from './provider.ts';

/** A TLS 1.3 cipher suite: `CipherSuite TLS_AEAD_HASH = VALUE;` (RFC 8446 §B.4). */
export interface Tls13Suite {
  readonly code: number;
  readonly name: string;
  readonly aead: AeadAlgorithm;
  /** The HKDF and transcript hash (RFC 8446 §7.1). */
  readonly hash: HashAlgorithm;
  /** AEAD key length in bytes. */
  readonly keyLength: number;
  /** AEAD nonce (iv) length in bytes: 12 for all of these (RFC 8446 §5.3). */
  readonly ivLength: number;
}

/** The TLS 1.3 suites webtls implements. */
export const TLS13_SUITES: readonly Tls13Suite[] = [
  {
    code: CipherSuite.TLS_AES_128_GCM_SHA256,
    name: 'TLS_AES_128_GCM_SHA256',
    aead: 'AES-128-GCM',
    hash: 'SHA-256',
    keyLength: 16,
    ivLength: 12,
  },
  {
    code: CipherSuite.TLS_AES_256_GCM_SHA384,
    name: 'TLS_AES_256_GCM_SHA384',
    aead: 'AES-256-GCM',
    hash: 'SHA-384',
    keyLength: 32,
    ivLength: 12,
  },
  {
    code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    name: 'TLS_CHACHA20_POLY1305_SHA256',
    aead: 'CHACHA20-POLY1305',
    hash: 'SHA-256',
    keyLength: 32,
    ivLength: 12,
  },
];

/**
 * A TLS 1.2 ECDHE AEAD cipher suite: RFC 5289 (AES-GCM), RFC 7905 (ChaCha20-Poly1305). The
 * record nonce is `fixedIvLength` bytes from the key block followed by `explicitNonceLength`
 * bytes sent with each record (RFC 5288 §3), or, for ChaCha20, a 12-byte IV XORed with the
 * sequence number (RFC 7905 §2).
 */
export interface Tls12Suite {
  readonly code: number;
  /** IANA name. */
  readonly name: string;
  /** OpenSSL's name, as `-cipher` takes it. */
  readonly opensslName: string;
  /** The certificate key the suite authenticates with (RFC 8422 §2, RFC 5246 §7.4.2). */
  readonly auth: 'ECDSA' | 'RSA';
  readonly aead: AeadAlgorithm;
  /** The PRF hash (RFC 5246 §5), also the transcript hash. */
  readonly hash: HashAlgorithm;
  readonly keyLength: number;
  /** Bytes of IV taken from the key block: 4 for GCM (the salt), 12 for ChaCha20. */
  readonly fixedIvLength: number;
  /** Bytes of nonce sent in each record: 8 for GCM, 0 for ChaCha20. */
  readonly explicitNonceLength: number;
}

function tls12(
  code: number,
  name: string,
  opensslName: string,
  auth: 'ECDSA' | 'RSA',
  aead: AeadAlgorithm,
): Tls12Suite {
  const gcm = aead !== 'CHACHA20-POLY1305';
  return {
    code,
    name,
    opensslName,
    auth,
    aead,
    hash: aead === 'AES-256-GCM' ? 'SHA-384' : 'SHA-256',
    keyLength: aead === 'AES-128-GCM' ? 16 : 32,
    fixedIvLength: gcm ? 4 : 12,
    explicitNonceLength: gcm ? 8 : 0,
  };
}

const C = CipherSuite;

/**
 * The TLS 1.2 suites webtls implements, in its default preference order. Only ECDHE with AEAD:
 * no CBC, no static-RSA key exchange, no finite-field DH (see docs/architecture.md).
 */
export const TLS12_SUITES: readonly Tls12Suite[] = [
  tls12(
    C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDSA',
    'AES-128-GCM',
  ),
  tls12(
    C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDSA',
    'AES-256-GCM',
  ),
  tls12(
    C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDSA',
    'CHACHA20-POLY1305',
  ),
  tls12(
    C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'RSA',
    'AES-128-GCM',
  ),
  tls12(
    C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'RSA',
    'AES-256-GCM',
  ),
  tls12(
    C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    'ECDHE-RSA-CHACHA20-POLY1305',
    'RSA',
    'CHACHA20-POLY1305',
  ),
];

const BY_CODE_12 = new Map(TLS12_SUITES.map((s) => [s.code, s]));

/** The parameters of a TLS 1.2 cipher suite webtls implements, or undefined. */
export function tls12Suite(code: number): Tls12Suite | undefined {
  return BY_CODE_12.get(code);
}

const BY_CODE = new Map(TLS13_SUITES.map((s) => [s.code, s]));

/** The parameters of a TLS 1.3 cipher suite, or undefined for any other code. */
export function tls13Suite(code: number): Tls13Suite | undefined {
  return BY_CODE.get(code);
}
