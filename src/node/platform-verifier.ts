/**
 * `platformVerifier()` for Node, Deno and Bun: webpki rules over the operating system's trust
 * store (system-roots.ts), falling back to the bundled Mozilla roots when no store is found.
 */

import type { PlatformVerifierOptions } from '../verify/platform.ts';
import type { ServerCertVerifier } from '../verify/types.ts';
import { webpkiVerifier } from '../verify/webpki.ts';
import { type SystemStore, systemRoots } from './system-roots.ts';

let cached: { key: string; roots: Uint8Array[] } | undefined;

/**
 * A verifier trusting what the operating system trusts. The store is read once per process
 * (again if `SSL_CERT_FILE` or `SSL_CERT_DIR` change); its roots are indexed, and each is
 * parsed only when a path reaches it. With no system store, Mozilla's bundled roots are used.
 */
export function platformVerifier(
  options: PlatformVerifierOptions = {},
  store?: SystemStore,
): ServerCertVerifier {
  let roots: Uint8Array[];
  if (store) {
    roots = systemRoots(store);
  } else {
    const key = `${process.env.SSL_CERT_FILE ?? ''}\0${process.env.SSL_CERT_DIR ?? ''}`;
    if (cached?.key !== key) cached = { key, roots: systemRoots() };
    roots = cached.roots;
  }
  if (roots.length === 0) return webpkiVerifier(options);
  return webpkiVerifier({ ...options, roots, parseRootsNow: false });
}
