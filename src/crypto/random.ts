/** The platform CSPRNG, and the `random` option both providers accept. */

import { TlsError } from '../error.ts';

/** A source of cryptographically secure random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** WebCrypto's getRandomValues caps one call at 65536 bytes. */
const MAX_CHUNK = 65536;

/** `n` bytes from `crypto.getRandomValues`. */
export function platformRandom(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`bad random length ${n}`);
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + MAX_CHUNK)));
  }
  return out;
}

/** Wraps a caller's source so a short or wrong-typed answer is caught, not used. */
export function checkedRandom(source: RandomSource): RandomSource {
  return (n) => {
    const bytes = source(n);
    if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
      throw new TlsError('INTERNAL_ERROR', `random source returned the wrong length for ${n}`, {
        layer: 'crypto',
      });
    }
    return bytes;
  };
}
