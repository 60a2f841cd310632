import type { CertifiedKey } from '../../config.ts';
import { type SpkiAlgorithm, spkiInfo } from '../../crypto/spki.ts';
import type { Tls12Suite } from '../../crypto/suites.ts';
import { matchDnsName } from '../../verify/names.ts';
import { certificateDnsNames, parseCertificate } from '../../verify/x509.ts';
import { keyFitsSuite, schemeFitsKey12 } from '../tls12-auth.ts';

interface LeafFacts {
  names: string[];
  algorithm: SpkiAlgorithm;
}

const cache = new WeakMap<Uint8Array, LeafFacts>();

function factsOf(cert: CertifiedKey): LeafFacts {
  const leaf = cert.chain[0];
  let facts = cache.get(leaf);
  if (!facts) {
    facts = {
      names: certificateDnsNames(leaf),
      algorithm: spkiInfo(parseCertificate(leaf).spki).algorithm,
    };
    cache.set(leaf, facts);
  }
  return facts;
}

/**
 * TLS 1.2: the certificate to serve with `suite` and the scheme to sign ServerKeyExchange with.
 * Among certificates whose key fits the suite (RFC 5246 §7.4.2) and can sign with a scheme the
 * client listed (RFC 5246 §7.4.1.4.1), the first whose names cover the SNI name, else the first.
 * Returns undefined when none fits, so the caller can try its next suite.
 */
export function selectCertificate12(
  certificates: readonly CertifiedKey[],
  serverName: string | undefined,
  clientSchemes: readonly number[],
  suite: Tls12Suite,
): { cert: CertifiedKey; scheme: number } | undefined {
  const usable: { cert: CertifiedKey; scheme: number; names: string[] }[] = [];
  for (const cert of certificates) {
    const { names, algorithm } = factsOf(cert);
    if (!keyFitsSuite(algorithm, suite)) continue;
    const scheme = cert.key.schemes.find(
      (s) => clientSchemes.includes(s) && schemeFitsKey12(s, algorithm),
    );
    if (scheme !== undefined) usable.push({ cert, scheme, names });
  }
  if (usable.length === 0) return undefined;
  const byName = serverName
    ? usable.find((u) => u.names.some((n) => matchDnsName(n, serverName)))
    : undefined;
  const chosen = byName ?? usable[0];
  return { cert: chosen.cert, scheme: chosen.scheme };
}
