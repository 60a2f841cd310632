import { decodeError } from '../error.ts';

/*
 * RFC 8446 §4.4.4:
 *
 *   struct {
 *       opaque verify_data[Hash.length];
 *   } Finished;
 */

/** Encodes a Finished body: verify_data itself. */
export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return verifyData.slice();
}

/**
 * Decodes a Finished body. Comparing verify_data with the expected value (in constant time) is
 * the handshake's job (§4.4.4, decrypt_error).
 *
 * @param hashLength Hash.length of the negotiated cipher suite (32 or 48)
 * @throws TlsError DECODE_ERROR when the body is not exactly `hashLength` bytes
 */
export function decodeFinished(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength) {
    throw decodeError(`tls: Finished of ${body.length} bytes, expected ${hashLength}`);
  }
  return body;
}
