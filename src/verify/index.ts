/** Certificate verification: the public surface of src/verify. */

export { parseTrustAnchors, TrustAnchor } from './anchors.ts';
export { type CertificateIdentity, certificateIdentity } from './cert-layout.ts';
export { CrlReason, type ParsedCrl, parseCrl, parseCrls } from './crl.ts';
export {
  type CertificateDetails,
  certificateDetails,
  type NameAttribute,
  type NameDetails,
  peerCertificateDetails,
} from './details.ts';
export { type Pkcs8Info, pkcs8Info, privateKeyToPkcs8 } from './keys.ts';
export { formatIpAddress, isIpAddress, matchDnsName, parseIpAddress } from './names.ts';
export type { CrlRequest, CrlSource, RevocationOptions } from './revocation.ts';
export { mozillaRoots } from './roots/index.ts';
export type {
  ClientCertVerifier,
  ServerCertVerifier,
  ServerIdentity,
  VerifiedChain,
  VerifyOptions,
} from './types.ts';
export { type WebpkiVerifierOptions, webpkiVerifier } from './webpki.ts';
export { type WebpkiClientVerifierOptions, webpkiClientVerifier } from './webpki-client.ts';
export {
  certificateDnsNames,
  certificateIpAddresses,
  certificateSummary,
  type ParsedCertificate,
  parseCertificate,
} from './x509.ts';
