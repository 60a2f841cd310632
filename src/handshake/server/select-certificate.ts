import type { CertifiedKey } from '../../config.ts';
import { TlsError } from '../../error.ts';
import { matchDnsName } from '../../verify/names.ts';
import { certificateDnsNames } from '../../verify/x509.ts';
import { isTls13SignatureScheme } from '../certificate-verify.ts';

const namesCache = new WeakMap<Uint8Array, string[]>();

function namesOf(cert: CertifiedKey): string[] {
  const leaf = cert.chain[0];
  let names = namesCache.get(leaf);
  if (!names) {
    names = certificateDnsNames(leaf);
    namesCache.set(leaf, names);
  }
  return names;
}

/**
 * Picks the certificate to serve and the scheme to sign with (RFC 8446 §4.4.2.2): among the
 * certificates whose key can sign with a scheme the client offered, the first whose names cover
 * the SNI name, else the first usable one. No usable key → handshake_failure.
 */
export function selectCertificate(
  certificates: readonly CertifiedKey[],
  serverName: string | undefined,
  clientSchemes: readonly number[],
): { cert: CertifiedKey; scheme: number } {
  const usable: { cert: CertifiedKey; scheme: number }[] = [];
  for (const cert of certificates) {
    const scheme = cert.key.schemes.find(
      (s) => isTls13SignatureScheme(s) && clientSchemes.includes(s),
    );
    if (scheme !== undefined) usable.push({ cert, scheme });
  }
  if (usable.length === 0) {
    throw new TlsError(
      'HANDSHAKE_FAILURE',
      'tls: no certificate fits the client signature schemes',
    );
  }
  if (serverName) {
    const byName = usable.find((u) => namesOf(u.cert).some((n) => matchDnsName(n, serverName)));
    if (byName) return byName;
  }
  return usable[0];
}
