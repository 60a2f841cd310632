/** The algorithm preferences both built-in providers start from. */

import { CipherSuite, NamedGroup } from '../msgs/enums.ts';

/** TLS 1.3 cipher suites, in preference order (RFC 8446 §9.1 requires AES-128-GCM). */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
];

/**
 * Key-exchange groups, in preference order: the post-quantum hybrid first, then X25519 and
 * the NIST curves (RFC 8446 §9.1 requires secp256r1 and recommends X25519).
 */
export const DEFAULT_GROUPS: readonly number[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];
