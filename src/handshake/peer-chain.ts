import type { ConnectionInfo } from '../conn/types.ts';
import { TlsError } from '../error.ts';
import { certificateSummary } from '../verify/x509.ts';

/**
 * Records the peer's chain in `info`, runs its verifier, and records the outcome: `OK` and the
 * leaf's subject, or the failing code (then the error propagates). Shared by both sides and
 * both versions.
 */
export async function verifyPeerChain(
  info: ConnectionInfo,
  chain: Uint8Array[],
  verify: () => Promise<unknown>,
): Promise<void> {
  info.peerCertificates = chain;
  try {
    await verify();
    info.verification = 'OK';
  } catch (error) {
    info.verification = error instanceof TlsError ? error.code : 'failed';
    throw error;
  }
  info.peerSubject = certificateSummary(chain[0]);
}

/** A client verifier that threw something other than a TlsError refused the certificate. */
export function asClientVerifierError(error: unknown): never {
  if (error instanceof TlsError) throw error;
  throw new TlsError('CERT_UNKNOWN', 'tls: the client certificate verifier failed', {
    layer: 'verify',
    cause: error,
  });
}
