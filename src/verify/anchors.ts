/**
 * Trust anchors (RFC 5280 §6.1.1 (d)): a subject name and a public key, here carried by a
 * certificate. Anchors are indexed by subject and key with the minimal DER walk
 * (`certificateIdentity`), and decoded in full by `parseCertificate` only when path building
 * reaches them, so a store of a hundred-odd roots costs almost nothing until used.
 */
import { TlsError } from '../error.ts';
import { isPem, pemCertificates } from '../util/pem.ts';
import { certificateIdentity } from './cert-layout.ts';
import { type ParsedCertificate, parseCertificate } from './x509.ts';

/** A trust anchor: its certificate, indexed by subject and key. */
export class TrustAnchor {
  /** The certificate, DER (owned by this object). */
  readonly der: Uint8Array;
  /** The subject Name, DER. */
  readonly subject: Uint8Array;
  /** The SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  private full: ParsedCertificate | undefined;

  /** Throws TlsError BAD_CERTIFICATE when `der` is not a certificate. */
  constructor(der: Uint8Array) {
    this.der = der.slice();
    const id = certificateIdentity(this.der);
    this.subject = id.subject;
    this.spki = id.spki;
  }

  /**
   * The certificate decoded in full by `parseCertificate`, on first call (path building calls
   * it when the anchor's subject is a certificate's issuer). Throws BAD_CERTIFICATE.
   */
  parsed(): ParsedCertificate {
    this.full ??= parseCertificate(this.der);
    return this.full;
  }
}

/**
 * Reads trust anchors given as PEM text (each string may hold several certificates) or DER.
 * Throws TlsError CONFIG when one is malformed or none is given.
 */
export function parseTrustAnchors(roots: readonly (string | Uint8Array)[]): TrustAnchor[] {
  const ders: Uint8Array[] = [];
  for (const root of roots) {
    if (typeof root !== 'string') {
      ders.push(root);
      continue;
    }
    if (!isPem(root)) {
      throw new TlsError('CONFIG', 'tls: a root given as text must be PEM', { layer: 'config' });
    }
    try {
      ders.push(...pemCertificates(root));
    } catch (e) {
      throw new TlsError('CONFIG', 'tls: root PEM is malformed', { layer: 'config', cause: e });
    }
  }
  if (ders.length === 0) {
    throw new TlsError('CONFIG', 'tls: no root certificates given', { layer: 'config' });
  }
  return ders.map((der, i) => {
    try {
      return new TrustAnchor(der);
    } catch (e) {
      throw new TlsError('CONFIG', `tls: root certificate #${i} cannot be parsed`, {
        layer: 'config',
        cause: e,
      });
    }
  });
}
