import type { AeadAlgorithm } from '../crypto/provider.ts';

/**
 * AEAD usage limits: how many records one traffic key may protect.
 *
 * RFC 8446 §5.5: "For AES-GCM, up to 2^24.5 full-size records (about 24 million) may be
 * encrypted on a given connection while keeping a safety margin of approximately 2^-57 for
 * Authenticated Encryption (AE) security. For ChaCha20/Poly1305, the record sequence number
 * would wrap before the safety limit is reached." The same bounds hold for TLS 1.2's AEAD
 * suites (RFC 5288, RFC 7905), which have no KeyUpdate.
 *
 * Integrity limits (forgery attempts, draft-irtf-cfrg-aead-limits) do not arise in TLS over a
 * reliable transport: the first record that fails to open ends the connection
 * (bad_record_mac); the only tolerated failures are the rejected 0-RTT records a server skips,
 * which are bounded by its skip budget (record/layer.ts).
 */
export function confidentialityLimit(algorithm: AeadAlgorithm | undefined): number {
  if (algorithm === 'AES-128-GCM' || algorithm === 'AES-256-GCM') return Math.floor(2 ** 24.5);
  return Number.MAX_SAFE_INTEGER;
}
