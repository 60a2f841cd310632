/**
 * `platformVerifier()` for browsers and workers. Their own trust stores are out of reach from
 * JavaScript, so it verifies against Mozilla's roots bundled with webtls. On Node, Deno and
 * Bun, `platformVerifier` from `webtls/node` reads the operating system's store instead.
 */
import type { ServerCertVerifier } from './types.ts';
import { type WebpkiVerifierOptions, webpkiVerifier } from './webpki.ts';

/** Options of `platformVerifier`: those of `webpkiVerifier` except the roots. */
export type PlatformVerifierOptions = Omit<WebpkiVerifierOptions, 'roots' | 'parseRootsNow'>;

/**
 * The verifier a browser or worker should use: webpki rules (webpki.ts) over the bundled
 * Mozilla roots.
 */
export function platformVerifier(options: PlatformVerifierOptions = {}): ServerCertVerifier {
  return webpkiVerifier(options);
}
