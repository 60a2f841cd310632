import { TlsError } from '../error.ts';

/**
 * Checks, before encoding, that a vector we are about to write respects the bounds its RFC
 * presentation struct gives it (RFC 8446 §3.4). Writing an out-of-range vector would be our own
 * bug, so this throws INTERNAL_ERROR rather than putting a malformed message on the wire.
 *
 * @param field the name of the vector, for the message
 * @param length its length in bytes
 * @param min the smallest length the struct allows
 * @param max the largest length the struct allows
 * @throws TlsError INTERNAL_ERROR when the length is out of range
 */
export function checkEncodeLength(field: string, length: number, min: number, max: number): void {
  if (length < min || length > max) {
    throw new TlsError(
      'INTERNAL_ERROR',
      `tls: cannot encode ${field}: length ${length} outside [${min}, ${max}]`,
      { layer: 'codec' },
    );
  }
}
