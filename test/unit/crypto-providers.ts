/** The providers every crypto unit test runs against. */

import type { CryptoProvider } from '../../src/crypto/index.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';

type Factory = (options?: { random?: (n: number) => Uint8Array }) => CryptoProvider;

/**
 * [label, factory]: WebCrypto as the runtime offers it (hashing in JavaScript, the default),
 * the same with hashing through WebCrypto too (the FIPS provider's way), WebCrypto with every
 * @noble fallback forced on (so the fallbacks run even where the runtime has the native
 * algorithm), and the pure-JavaScript provider.
 */
export const PROVIDERS: [string, Factory][] = [
  ['subtle', (o) => subtleProvider(o)],
  ['subtle+webcrypto hashing', (o) => subtleProvider({ ...o, hashing: 'webcrypto' })],
  [
    'subtle+fallbacks',
    (o) =>
      subtleProvider({ ...o, fallback: ['X25519', 'Ed25519', 'ChaCha20-Poly1305', 'ML-KEM-768'] }),
  ],
  ['noble', (o) => nobleProvider(o)],
];

/** A deterministic byte source for reproducible tests (not random in any sense). */
export function counterRandom(seed = 1): (n: number) => Uint8Array {
  let state = seed;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
}

/** The TlsError code a promise rejects with, or 'resolved'. */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? `not a TlsError: ${String(e)}`;
  }
}
