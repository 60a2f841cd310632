/**
 * Certificate details for applications: what a peer's certificate says, parsed on demand so
 * that ConnectionInfo stays cheap (it carries only the DER).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { children, readOnly, Tag } from '../codec/der.ts';
import type { ConnectionInfo } from '../conn/types.ts';
import { spkiInfo } from '../crypto/spki.ts';
import { TlsError } from '../error.ts';
import { equalBytes, toHex } from '../util/bytes.ts';
import { certificateLayout } from './cert-layout.ts';
import { type NameAttribute, nameAttributes } from './dn.ts';
import { formatIpAddress } from './names.ts';
import { EkuOid, KeyUsageBit, parseCertificate } from './x509.ts';
import type { Extension } from './x509-fields.ts';

export type { NameAttribute } from './dn.ts';

/** A distinguished name as text and as attributes. */
export interface NameDetails {
  /** RFC 4514 string, e.g. `CN=client,O=Example`. */
  text: string;
  /** The attributes in encoding order (most significant first). */
  attributes: NameAttribute[];
}

/** The parts of a certificate an application may want to show or decide on. */
export interface CertificateDetails {
  subject: NameDetails;
  issuer: NameDetails;
  /** subjectAltName entries by type. */
  subjectAltNames: { dns: string[]; ip: string[]; email: string[]; uri: string[] };
  /** The serial number, lowercase hex of its DER content octets. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** 'ecdsa' | 'rsa' | 'rsa-pss' | 'ed25519', or the algorithm OID for other keys. */
  publicKeyAlgorithm: string;
  /** For ECDSA keys: 'P-256', 'P-384' or 'P-521'. */
  publicKeyCurve?: string;
  /** Key size in bits (RSA modulus, curve size, 256 for Ed25519); undefined when unknown. */
  publicKeyBits?: number;
  /** SHA-256 over the DER, lowercase hex. */
  fingerprintSha256: string;
  /** KeyUsage bit names (`digitalSignature`, ...); undefined when the extension is absent. */
  keyUsage?: string[];
  /** Extended key usages by name (`serverAuth`, ...) or OID; undefined when absent. */
  extendedKeyUsage?: string[];
  /** Whether basicConstraints marks it a CA. */
  isCA: boolean;
  /** The certificate, DER (a copy). */
  der: Uint8Array;
}

const EKU_NAMES: Record<string, string> = {
  [EkuOid.serverAuth]: 'serverAuth',
  [EkuOid.clientAuth]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  [EkuOid.any]: 'anyExtendedKeyUsage',
};

const SUBJECT_ALT_NAME = '2.5.29.17';
const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/**
 * The subjectAltName by type (RFC 5280 §4.2.1.6): rfc822Name [1], dNSName [2],
 * uniformResourceIdentifier [6] (IA5Strings) and iPAddress [7]; other forms are left out.
 */
function subjectAltNames(extensions: readonly Extension[]) {
  const out = {
    dns: [] as string[],
    ip: [] as string[],
    email: [] as string[],
    uri: [] as string[],
  };
  for (const ext of extensions) {
    if (ext.id !== SUBJECT_ALT_NAME) continue;
    for (const name of children(readOnly(ext.value, Tag.SEQUENCE).content)) {
      const form = name.tag & 0x1f;
      if (form === 1) out.email.push(ascii(name.content));
      else if (form === 2) out.dns.push(ascii(name.content));
      else if (form === 6) out.uri.push(ascii(name.content));
      else if (form === 7) out.ip.push(formatIpAddress(name.content));
    }
  }
  return out;
}

function keyUsageNames(bits: number | undefined): string[] | undefined {
  if (bits === undefined) return undefined;
  return Object.entries(KeyUsageBit)
    .filter(([, bit]) => (bits & (1 << bit)) !== 0)
    .map(([name]) => name);
}

/** Parsed details, once per certificate array (weakly). */
const cache = new WeakMap<Uint8Array, { bytes: Uint8Array; details: CertificateDetails }>();

/**
 * The details of one DER certificate. Parses it (`parseCertificate`, cached) the first time;
 * later calls with the same array (holding the same bytes) return the same object, which must
 * not be modified.
 *
 * @throws TlsError BAD_CERTIFICATE when it does not parse.
 */
export function certificateDetails(der: Uint8Array): CertificateDetails {
  const hit = cache.get(der);
  if (hit && equalBytes(hit.bytes, der)) return hit.details;
  const cert = parseCertificate(der);
  let sans: CertificateDetails['subjectAltNames'];
  try {
    sans = subjectAltNames(certificateLayout(cert.der).extensions);
  } catch (cause) {
    throw new TlsError('BAD_CERTIFICATE', 'tls: subjectAltName is malformed', {
      layer: 'verify',
      cause,
    });
  }
  let key: { algorithm: string; curve?: string; bits?: number };
  try {
    key = spkiInfo(cert.spki);
  } catch {
    key = { algorithm: cert.publicKeyAlgorithm.oid };
  }
  const details: CertificateDetails = {
    subject: { text: cert.subject.text, attributes: nameAttributes(cert.subject.der) },
    issuer: { text: cert.issuer.text, attributes: nameAttributes(cert.issuer.der) },
    subjectAltNames: sans,
    serialNumber: toHex(cert.serial),
    notBefore: new Date(cert.notBefore.getTime()),
    notAfter: new Date(cert.notAfter.getTime()),
    publicKeyAlgorithm: key.algorithm,
    publicKeyCurve: key.curve,
    publicKeyBits: key.bits,
    fingerprintSha256: toHex(sha256(cert.der)),
    keyUsage: keyUsageNames(cert.keyUsage),
    extendedKeyUsage: cert.extKeyUsage?.map((oid) => EKU_NAMES[oid] ?? oid),
    isCA: cert.basicConstraints?.ca === true,
    der: cert.der.slice(),
  };
  cache.set(der, { bytes: cert.der, details });
  return details;
}

/**
 * The peer's chain as sent (end-entity first) with each certificate's details, parsed now, on
 * request: the handshake itself keeps only DER in `info.peerCertificates`. Empty when the peer
 * sent no certificate.
 *
 * @throws TlsError BAD_CERTIFICATE when a certificate does not parse (an unverified peer's
 *   extra certificates may not).
 */
export function peerCertificateDetails(info: ConnectionInfo): CertificateDetails[] {
  return info.peerCertificates.map(certificateDetails);
}
