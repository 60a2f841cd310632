import { decodeError } from '../error.ts';

/*
 * RFC 8446 §4.5:
 *
 *   struct {} EndOfEarlyData;
 */

/** Encodes an EndOfEarlyData body (empty). */
export function encodeEndOfEarlyData(): Uint8Array {
  return new Uint8Array(0);
}

/**
 * Decodes an EndOfEarlyData body.
 *
 * @throws TlsError DECODE_ERROR when the body is not empty
 */
export function decodeEndOfEarlyData(body: Uint8Array): void {
  if (body.length !== 0)
    throw decodeError(`tls: ${body.length} trailing bytes after EndOfEarlyData`);
}
