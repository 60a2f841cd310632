/** Cipher-suite parameters (RFC 8446 §B.4): which AEAD and which hash each suite uses. */

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

// TODO(TLS 1.2): the ECDHE AEAD suites (RFC 5289 GCM, RFC 7905 ChaCha20) belong in a second
// table with their PRF hash and the explicit/implicit nonce split (RFC 5288 §3).

const BY_CODE = new Map(TLS13_SUITES.map((s) => [s.code, s]));

/** The parameters of a TLS 1.3 cipher suite, or undefined for any other code. */
export function tls13Suite(code: number): Tls13Suite | undefined {
  return BY_CODE.get(code);
}
