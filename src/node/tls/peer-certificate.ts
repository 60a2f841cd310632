/**
 * Certificates in the shape node:tls's `getPeerCertificate()` returns them (subject and issuer
 * objects, `subjectaltname`, `valid_from`, fingerprints, `raw`, ...). The fields come from
 * node's own X509Certificate, so they are formatted exactly as node:tls formats them.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';

export type { DetailedPeerCertificate, PeerCertificate };

/** One certificate, DER, as node:tls describes it. */
export function peerCertificate(der: Uint8Array): PeerCertificate {
  return new X509Certificate(der).toLegacyObject();
}

/**
 * The leaf of `chain` (DER, leaf first), with `issuerCertificate` links through the rest when
 * `detailed`. As in node:tls, a self-issued certificate at the top links to itself.
 */
export function describeChain(
  chain: readonly Uint8Array[],
  detailed: boolean,
): PeerCertificate | DetailedPeerCertificate {
  if (chain.length === 0) return {} as PeerCertificate;
  if (!detailed) return peerCertificate(chain[0]);
  const certs = chain.map((der) => peerCertificate(der) as DetailedPeerCertificate);
  for (let i = 0; i < certs.length; i++) {
    const next = certs[i + 1];
    if (next) {
      certs[i].issuerCertificate = next;
    } else if (new X509Certificate(chain[i]).checkIssued(new X509Certificate(chain[i]))) {
      certs[i].issuerCertificate = certs[i];
    }
  }
  return certs[0];
}
