/**
 * Where the fields of a DER certificate lie, found with the DER reader alone: the exact bytes
 * that signatures and name comparisons cover, and the shape of each structure webtls uses.
 *
 * x509.ts reads the fields from these TLVs; the checks here keep it as strict as RFC 5280's
 * ASN.1 (no elements past the end of a SEQUENCE, no mis-tagged fields, optional fields in
 * order). The same walk, stopped early, is the trust-anchor index (`certificateIdentity`).
 */
import { children, DerError, inOrder, readOnly, Tag, type Tlv } from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { type Extension, readExtensions } from './x509-fields.ts';

/** Raw spans of a certificate, as views into the input. */
export interface CertificateLayout {
  /** The TBSCertificate TLV: the bytes the signature covers. */
  tbs: Uint8Array;
  /** The outer signatureAlgorithm AlgorithmIdentifier TLV. */
  signatureAlgorithm: Uint8Array;
  /** The signatureValue BIT STRING. */
  signature: Tlv;
  /** The explicitly tagged version's INTEGER TLV; absent for v1 (the DEFAULT). */
  version: Tlv | undefined;
  /** The serialNumber INTEGER's content octets. */
  serial: Uint8Array;
  /** TBSCertificate.signature, the AlgorithmIdentifier TLV inside the signed part. */
  tbsSignature: Uint8Array;
  /** The issuer Name TLV. */
  issuer: Uint8Array;
  /** notBefore and notAfter, each a UTCTime or GeneralizedTime TLV. */
  validity: [Tlv, Tlv];
  /** The subject Name TLV. */
  subject: Uint8Array;
  /** The SubjectPublicKeyInfo TLV. */
  spki: Uint8Array;
  /** The AlgorithmIdentifier TLV inside the SubjectPublicKeyInfo. */
  spkiAlgorithm: Uint8Array;
  /** The extensions, in order (empty when the certificate has none). */
  extensions: Extension[];
}

/** The TLVs of the two outer levels, with their tags checked. */
interface OuterFields {
  tbs: Tlv;
  signatureAlgorithm: Tlv;
  signature: Tlv;
  version: Tlv | undefined;
  serial: Tlv;
  tbsSignature: Tlv;
  issuer: Tlv;
  validity: Tlv;
  subject: Tlv;
  spki: Tlv;
  /** issuerUniqueID, subjectUniqueID and extensions, whichever are present. */
  optional: Tlv[];
}

/**
 * Splits a DER certificate into the fields of its two outer levels (RFC 5280 §4.1), checking
 * their tags and nothing inside them. Throws DerError.
 *
 *     Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 *     TBSCertificate ::= SEQUENCE {
 *       version         [0] EXPLICIT Version DEFAULT v1,
 *       serialNumber         CertificateSerialNumber,
 *       signature            AlgorithmIdentifier,
 *       issuer               Name,
 *       validity             Validity,
 *       subject              Name,
 *       subjectPublicKeyInfo SubjectPublicKeyInfo,
 *       issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
 *       subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
 *       extensions      [3]  EXPLICIT Extensions OPTIONAL }
 */
function outerFields(der: Uint8Array): OuterFields {
  const outer = children(readOnly(der, Tag.SEQUENCE).content);
  if (outer.length !== 3) throw new DerError('a certificate has three fields');
  const [tbs, signatureAlgorithm, signature] = outer;
  if (tbs.tag !== Tag.SEQUENCE || signatureAlgorithm.tag !== Tag.SEQUENCE) {
    throw new DerError('bad Certificate');
  }
  if (signature.tag !== Tag.BIT_STRING) throw new DerError('signatureValue is not a BIT STRING');
  const fields = children(tbs.content);
  const version = fields[0]?.tag === Tag.context(0) ? fields[0] : undefined;
  const i = version ? 1 : 0;
  const [serial, tbsSignature, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!spki || serial.tag !== Tag.INTEGER || spki.tag !== Tag.SEQUENCE) {
    throw new DerError('truncated TBSCertificate');
  }
  if (tbsSignature.tag !== Tag.SEQUENCE) throw new DerError('bad signature AlgorithmIdentifier');
  if (issuer.tag !== Tag.SEQUENCE || subject.tag !== Tag.SEQUENCE) throw new DerError('bad Name');
  if (validity.tag !== Tag.SEQUENCE) throw new DerError('bad Validity');
  const optional = fields.slice(i + 6);
  inOrder(optional, [0x81, 0x82, Tag.context(3)], 'TBSCertificate');
  return {
    tbs,
    signatureAlgorithm,
    signature,
    version,
    serial,
    tbsSignature,
    issuer,
    validity,
    subject,
    spki,
    optional,
  };
}

/**
 * Splits a DER certificate into its fields and checks the shape of the structures around them
 * (version, validity, key, extensions), decoding nothing. Throws DerError.
 */
export function certificateLayout(der: Uint8Array): CertificateLayout {
  const f = outerFields(der);
  // Version ::= INTEGER, explicitly tagged [0].
  const version = f.version && readOnly(f.version.content, Tag.INTEGER);
  // Validity ::= SEQUENCE { notBefore Time, notAfter Time }
  const times = children(f.validity.content);
  if (times.length !== 2) throw new DerError('Validity needs two times');
  // SubjectPublicKeyInfo ::= SEQUENCE {
  //   algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  const key = children(f.spki.content);
  if (key.length !== 2 || key[0].tag !== Tag.SEQUENCE || key[1].tag !== Tag.BIT_STRING) {
    throw new DerError('bad SubjectPublicKeyInfo');
  }
  // Extensions, explicitly tagged [3] (x509-fields.ts checks each Extension's shape).
  const field = f.optional.find((t) => t.tag === Tag.context(3));
  const extensions = field ? readExtensions(readOnly(field.content)) : [];
  return {
    tbs: f.tbs.raw,
    signatureAlgorithm: f.signatureAlgorithm.raw,
    signature: f.signature,
    version,
    serial: f.serial.content,
    tbsSignature: f.tbsSignature.raw,
    issuer: f.issuer.raw,
    validity: [times[0], times[1]],
    subject: f.subject.raw,
    spki: f.spki.raw,
    spkiAlgorithm: key[0].raw,
    extensions,
  };
}

/** The names and key of a certificate, read without decoding it. */
export interface CertificateIdentity {
  /** The subject Name, DER (a view into the input). */
  subject: Uint8Array;
  /** The issuer Name, DER (a view into the input). */
  issuer: Uint8Array;
  /** The SubjectPublicKeyInfo, DER (a view into the input). */
  spki: Uint8Array;
}

/**
 * The index-only path: a certificate's subject, issuer and public key as raw DER, from a walk
 * of the two outer levels alone (no schema decoding; no extension, name, key or time checks),
 * a few microseconds each. Trust anchors are indexed with it so that a store of a hundred-odd roots
 * costs almost nothing until path building reaches one, which `parseCertificate` then decodes.
 * Nothing is validated beyond the outer shape: never use it to judge a certificate.
 * Throws TlsError BAD_CERTIFICATE when the outer structure is malformed.
 */
export function certificateIdentity(der: Uint8Array): CertificateIdentity {
  try {
    const { subject, issuer, spki } = outerFields(der);
    return { subject: subject.raw, issuer: issuer.raw, spki: spki.raw };
  } catch (e) {
    throw new TlsError('BAD_CERTIFICATE', 'tls: certificate is not valid DER X.509', {
      layer: 'verify',
      cause: e,
    });
  }
}
