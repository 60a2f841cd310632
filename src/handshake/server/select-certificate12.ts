import type { CertifiedKey } from '../../config.ts';
import { type EcCurve, type SpkiAlgorithm, spkiInfo } from '../../crypto/spki.ts';
import type { Tls12Suite } from '../../crypto/suites.ts';
import { NamedGroup } from '../../msgs/enums.ts';
import { matchDnsName } from '../../verify/names.ts';
import { certificateDnsNames, parseCertificate } from '../../verify/x509.ts';
import { keyFitsSuite, schemeFitsKey12 } from '../tls12-auth.ts';

interface LeafFacts {
  names: string[];
  algorithm: SpkiAlgorithm;
  /** The NamedGroup of an ECDSA key's curve. */
  curveGroup?: number;
}

const CURVE_GROUP: Record<EcCurve, number> = {
  'P-256': NamedGroup.secp256r1,
  'P-384': NamedGroup.secp384r1,
  'P-521': NamedGroup.secp521r1,
};

const cache = new WeakMap<Uint8Array, LeafFacts>();

function factsOf(cert: CertifiedKey): LeafFacts {
  const leaf = cert.chain[0];
  let facts = cache.get(leaf);
  if (!facts) {
    const info = spkiInfo(parseCertificate(leaf).spki);
    facts = {
      names: certificateDnsNames(leaf),
      algorithm: info.algorithm,
      curveGroup: info.curve ? CURVE_GROUP[info.curve] : undefined,
    };
    cache.set(leaf, facts);
  }
  return facts;
}

/**
 * TLS 1.2: the certificate to serve with `suite` and the scheme to sign ServerKeyExchange with.
 * Among certificates whose key fits the suite (RFC 5246 §7.4.2) and can sign with a scheme the
 * client listed (RFC 5246 §7.4.1.4.1), and, for ECDSA, whose curve the client listed in
 * supported_groups (RFC 8422 §4: no ECC suite "unless they can complete the handshake while
 * respecting the choice of curves specified by the client"; `clientGroups` undefined when the
 * client sent none), the first whose names cover the SNI name, else the first.
 * Returns undefined when none fits, so the caller can try its next suite.
 */
export function selectCertificate12(
  certificates: readonly CertifiedKey[],
  serverName: string | undefined,
  clientSchemes: readonly number[],
  clientGroups: readonly number[] | undefined,
  suite: Tls12Suite,
): { cert: CertifiedKey; scheme: number } | undefined {
  const usable: { cert: CertifiedKey; scheme: number; names: string[] }[] = [];
  for (const cert of certificates) {
    const { names, algorithm, curveGroup } = factsOf(cert);
    if (!keyFitsSuite(algorithm, suite)) continue;
    if (curveGroup !== undefined && clientGroups && !clientGroups.includes(curveGroup)) continue;
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
