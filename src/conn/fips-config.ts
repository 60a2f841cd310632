/**
 * FIPS mode at config build time: a config whose provider says `fips: true` may name only
 * approved algorithms (src/crypto/fips-policy.ts); anything else is refused with a TlsError
 * CONFIG naming it, before a connection exists. A config is in FIPS mode exactly when its
 * provider is FIPS-capable and this check passed.
 */

import type { CertifiedKey, ClientConfig, ServerConfig } from '../config.ts';
import {
  fipsGroup,
  fipsKeyRefusal,
  fipsSchemeAlgorithm,
  fipsSuite,
} from '../crypto/fips-policy.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { spkiInfo } from '../crypto/spki.ts';
import { TlsError } from '../error.ts';
import type { ClientCertResolver } from '../handshake/client/client-auth.ts';
import { CipherSuite, groupName, nameOf, SignatureScheme } from '../msgs/enums.ts';
import { parseCertificate } from '../verify/x509.ts';

/**
 * Whether the config runs in FIPS mode: false for a provider that is not FIPS-capable;
 * otherwise true, after checking every group, suite, signature scheme, certificate key and
 * feature the config names or leaves in effect. Runs before the provider filters the config's
 * lists, so a refused item is named rather than silently dropped. What ends up in effect is a
 * subset of what is checked here: the config's lists, or the provider's, and the TLS 1.2 suites
 * whose AEAD the provider's TLS 1.3 suites use (src/conn/resolve.ts).
 * @throws TlsError CONFIG naming the first item FIPS mode refuses.
 */
export function fipsMode(config: ClientConfig | ServerConfig, provider: CryptoProvider): boolean {
  if (!provider.fips) return false;

  // 1. Groups, suites and schemes: as configured, and the provider's own defaults.
  for (const g of [...(config.groups ?? []), ...provider.groups]) {
    if (!fipsGroup(g)) throw refused(`key-exchange group ${groupName(g)}`);
  }
  for (const s of [...(config.cipherSuites ?? []), ...provider.cipherSuites]) {
    if (!fipsSuite(s)) throw refused(`cipher suite ${nameOf(CipherSuite, s)}`);
  }
  for (const s of provider.signatureSchemes) {
    if (!fipsSchemeAlgorithm(s)) throw refused(`signature scheme ${nameOf(SignatureScheme, s)}`);
  }

  // 2. TLS 1.2's key derivation is approved only with the extended master secret: FIPS 140-3
  //    IG D.Q approves the SP 800-135 TLS 1.2 KDF only with RFC 7627's extended master secret.
  if (config.minVersion !== 'TLSv1.3' && config.requireExtendedMasterSecret === false) {
    throw refused('TLS 1.2 without the extended master secret (requireExtendedMasterSecret)');
  }

  // 3. Our own certificates: the leaf's public key and every scheme its key signs with.
  const own: CertifiedKey[] =
    'certificates' in config
      ? config.certificates
      : config.clientCertificate
        ? [config.clientCertificate]
        : [];
  for (const cert of own) checkCertifiedKey(cert);

  // 4. ECH's HPKE runs in @hpke/core, outside the provider.
  const ech = 'certificates' in config ? config.ech : config.ech?.configList;
  if (ech) throw refused('Encrypted Client Hello (its HPKE does not run through the provider)');
  return true;
}

/**
 * A client certificate resolver whose every answer passes the same check as a configured
 * certificate: its choice is only known during the handshake. A refused answer ends the
 * handshake (as any resolver failure does), with the refusal as the error's cause.
 */
export function fipsResolver(resolver: ClientCertResolver): ClientCertResolver {
  return async (request) => {
    const cert = await resolver(request);
    if (cert) checkCertifiedKey(cert);
    return cert;
  };
}

/**
 * Certificates already checked (a server builds a connection, and runs this, per client). One
 * whose chain or key is replaced after its first use is not checked again.
 */
const approved = new WeakSet<CertifiedKey>();

function checkCertifiedKey(cert: CertifiedKey): void {
  const leaf = cert.chain[0];
  if (!leaf || approved.has(cert)) return;
  const parsed = parseCertificate(leaf);
  const why = fipsKeyRefusal(spkiInfo(parsed.spki));
  if (why) throw refused(`the ${why} of certificate "${parsed.subject.text}"`);
  const bad = cert.key.schemes.find((s) => !fipsSchemeAlgorithm(s));
  if (bad !== undefined) {
    throw refused(
      `signature scheme ${nameOf(SignatureScheme, bad)} of the key of certificate ` +
        `"${parsed.subject.text}"`,
    );
  }
  approved.add(cert);
}

function refused(what: string): TlsError {
  return new TlsError('CONFIG', `tls: FIPS mode refuses ${what}`, { layer: 'config' });
}
