/** Ed25519 (RFC 8032) with @noble/curves, shared by the noble provider and subtle's fallback. */

import { ed25519 } from '@noble/curves/ed25519.js';
import { TlsError } from '../error.ts';

/**
 * Verifies with RFC 8032 §5.1.7 strict decoding, as WebCrypto does (not ZIP-215).
 * @throws TlsError BAD_CERTIFICATE when the public key is not a valid point.
 */
export function ed25519Verify(
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    ed25519.Point.fromBytes(publicKey).assertValidity();
  } catch (e) {
    throw new TlsError('BAD_CERTIFICATE', 'Ed25519 public key is not a valid point', {
      layer: 'crypto',
      cause: e,
    });
  }
  try {
    return ed25519.verify(signature, data, publicKey, { zip215: false });
  } catch {
    // noble throws on some malformed signatures, where the answer is simply false.
    return false;
  }
}

/** Signs (RFC 8032 §5.1.6) with a 32-byte private key. */
export function ed25519Sign(seed: Uint8Array, data: Uint8Array): Uint8Array {
  return ed25519.sign(data, seed);
}
