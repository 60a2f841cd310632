/** Byte conversions at the node:crypto boundary: the core sees plain Uint8Arrays, never Buffers. */

import { Buffer } from 'node:buffer';

/**
 * A plain Uint8Array view of a Buffer node:crypto returned, without copying. A Buffer's
 * `slice()` shares memory where Uint8Array's copies, and the core relies on the latter.
 */
export function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** RFC 7515 §2 base64url without padding, as JWK members are written (RFC 7517). */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** The bytes of a base64url JWK member. */
export function fromBase64Url(s: string | undefined): Uint8Array {
  if (s === undefined) throw new TypeError('JWK export lacks a member');
  return plain(Buffer.from(s, 'base64url'));
}
