import { nestsDeeperThan } from '../codec/der.ts';
import type { Limits } from '../config.ts';
import type { ConnectionInfo } from '../conn/types.ts';
import { TlsError } from '../error.ts';
import { certificateSummary } from '../verify/x509.ts';

/**
 * Records the peer's chain in `info`, runs its verifier, and records the outcome: `OK` and the
 * leaf's subject, or the failing code (then the error propagates). Shared by both sides and
 * both versions.
 *
 * `info` keeps copies: the arrays the verifier parsed may be views into the whole handshake
 * message, and they key the parse cache (x509.ts), so keeping them would keep the message and
 * every parsed certificate alive for as long as the connection is open.
 */
export async function verifyPeerChain(
  info: ConnectionInfo,
  chain: Uint8Array[],
  verify: () => Promise<unknown>,
): Promise<void> {
  info.peerCertificates = chain.map((der) => der.slice());
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

/**
 * Holds the peer's chain to the configured bounds before any certificate in it is parsed:
 * `maxCertificateChainLength` certificates, `maxCertificateChainBytes` of DER together, and
 * constructed values at most `maxAsn1Depth` deep. RFC 8446 §4.4.2.4 and RFC 5246 §7.4.2 leave
 * a chain's size to the receiver; a chain over these is refused with bad_certificate.
 */
export function checkPeerChainLimits(
  limits: Readonly<Required<Limits>>,
  chain: Uint8Array[],
): void {
  if (chain.length > limits.maxCertificateChainLength) {
    throw chainLimitError(
      `${chain.length} certificates, over the limit of ${limits.maxCertificateChainLength}`,
    );
  }
  let bytes = 0;
  for (const der of chain) bytes += der.length;
  if (bytes > limits.maxCertificateChainBytes) {
    throw chainLimitError(`${bytes} bytes, over the limit of ${limits.maxCertificateChainBytes}`);
  }
  for (const der of chain) {
    if (nestsDeeperThan(der, limits.maxAsn1Depth)) {
      throw chainLimitError(`a certificate nested deeper than ${limits.maxAsn1Depth}`);
    }
  }
}

function chainLimitError(detail: string): TlsError {
  return new TlsError('BAD_CERTIFICATE', `tls: peer certificate chain refused: ${detail}`, {
    layer: 'verify',
  });
}
