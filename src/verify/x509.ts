/**
 * X.509 certificates (RFC 5280 §4) parsed into the small shape path validation needs.
 *
 * The parse uses the DER walker (src/codec/der.ts) rather than `@peculiar/asn1-x509`: the library takes
 * 3 to 20 ms per certificate (it builds and matches a schema tree on every call), which made
 * indexing the bundled roots cost over a second, and it turns iPAddress octets into text and
 * back. The walker also hands out the exact bytes signatures and name comparisons cover. The
 * interop tests check this parser against the library on every bundled root and test cert.
 */

import {
  children,
  DerError,
  decodeOid,
  decodeSmallInt,
  readOnly,
  Tag,
  type Tlv,
} from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { equalBytes } from '../util/bytes.ts';
import { type AlgorithmId, algorithmId } from './algorithms.ts';
import { nameToString } from './dn.ts';

/** A distinguished name: raw DER for comparison, RFC 4514 text for messages. */
export interface DistinguishedName {
  der: Uint8Array;
  text: string;
}

/** RFC 5280 §4.2.1.3 KeyUsage bit numbers. */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** Extended key usage purposes (RFC 5280 §4.2.1.12). */
export const EkuOid = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  any: '2.5.29.37.0',
} as const;

/** GeneralName forms of one name-constraints subtree list (RFC 5280 §4.2.1.10). */
export interface Subtrees {
  /** dNSName bases. */
  dns: string[];
  /** iPAddress bases: address then mask, 8 or 32 bytes. */
  ip: Uint8Array[];
  /** directoryName bases, as DER Names. */
  directory: Uint8Array[];
  /** Context tags (0..8) of the other GeneralName forms present, which webtls cannot check. */
  otherForms: number[];
}

/** RFC 5280 §4.2.1.10 NameConstraints. */
export interface NameConstraints {
  permitted: Subtrees | undefined;
  excluded: Subtrees | undefined;
}

/** The fields of a certificate that verification uses. */
export interface ParsedCertificate {
  /** The whole certificate, DER (a copy owned by this object). */
  der: Uint8Array;
  /** The TBSCertificate bytes the signature covers. */
  tbs: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  /** The serial number's content octets (two's complement, big-endian). */
  serial: Uint8Array;
  signatureAlgorithm: AlgorithmId;
  /** The signature BIT STRING's bytes. */
  signature: Uint8Array;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  /** The SubjectPublicKeyInfo, DER. */
  spki: Uint8Array;
  publicKeyAlgorithm: AlgorithmId;
  basicConstraints: { ca: boolean; pathLen: number | undefined } | undefined;
  /** KeyUsage as a bit set (`1 << KeyUsageBit.x`), undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** Extended key usage OIDs, undefined when the extension is absent. */
  extKeyUsage: string[] | undefined;
  /** subjectAltName dNSName entries as written (IA5String). */
  dnsNames: string[];
  /** subjectAltName iPAddress entries, 4 or 16 bytes each (others are rejected). */
  ipAddresses: Uint8Array[];
  /** Context tags of the other subjectAltName forms present (rfc822Name = 1, URI = 6, ...). */
  otherSanForms: number[];
  nameConstraints: NameConstraints | undefined;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: Uint8Array | undefined;
  /** OIDs of critical extensions webtls does not process. */
  unknownCritical: string[];
}

/** Extensions this parser understands; a critical one not listed here is reported. */
const Ext = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;
const KNOWN_EXTENSIONS = new Set<string>(Object.values(Ext));

function badCertificate(message: string, cause?: unknown): TlsError {
  return new TlsError('BAD_CERTIFICATE', message, { layer: 'verify', cause });
}

/**
 * Parses a DER certificate. Throws TlsError BAD_CERTIFICATE when it is malformed or breaks a
 * structural rule of RFC 5280 (mismatched signature algorithms, repeated extensions, extensions
 * in a v1 certificate, malformed SAN or name constraints).
 */
export function parseCertificate(input: Uint8Array): ParsedCertificate {
  const der = input.slice();
  let subjectText = '(unparsed)';
  try {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
    const outer = children(readOnly(der, Tag.SEQUENCE).content);
    if (outer.length !== 3 || outer[0].tag !== Tag.SEQUENCE) {
      throw new DerError('a certificate has three fields');
    }
    const [tbsTlv, sigAlgTlv, sigTlv] = outer;
    const tbs = tbsFields(tbsTlv);
    const subject = { der: tbs.subject.raw, text: nameToString(tbs.subject.raw) };
    subjectText = subject.text;
    // RFC 5280 §4.1.1.2: signatureAlgorithm MUST match TBSCertificate.signature.
    if (!equalBytes(sigAlgTlv.raw, tbs.signature.raw)) {
      throw badCertificate(
        `tls: certificate "${subject.text}" has mismatched signature algorithms`,
      );
    }
    if (sigTlv.tag !== Tag.BIT_STRING || sigTlv.content[0] !== 0) {
      throw new DerError('signature is not a whole-byte BIT STRING');
    }
    // RFC 5280 §4.1.2.9: extensions appear only in v3 certificates.
    if (tbs.extensions.length > 0 && tbs.version !== 3) {
      throw badCertificate(`tls: certificate "${subject.text}" is v${tbs.version} with extensions`);
    }
    const [validFrom, validTo, extraTime] = children(tbs.validity.content);
    if (!validTo || extraTime) throw new DerError('Validity needs two times');
    const [spkiAlg, spkiKey, spkiExtra] = children(tbs.spki.content);
    if (!spkiKey || spkiKey.tag !== Tag.BIT_STRING || spkiExtra) throw new DerError('bad SPKI');
    const out: ParsedCertificate = {
      der,
      tbs: tbsTlv.raw,
      version: tbs.version,
      serial: tbs.serial.content,
      signatureAlgorithm: algorithmId(sigAlgTlv.raw),
      signature: sigTlv.content.subarray(1),
      issuer: { der: tbs.issuer.raw, text: nameToString(tbs.issuer.raw) },
      subject,
      notBefore: readTime(validFrom),
      notAfter: readTime(validTo),
      spki: tbs.spki.raw,
      publicKeyAlgorithm: algorithmId(spkiAlg.raw),
      basicConstraints: undefined,
      keyUsage: undefined,
      extKeyUsage: undefined,
      dnsNames: [],
      ipAddresses: [],
      otherSanForms: [],
      nameConstraints: undefined,
      subjectKeyId: undefined,
      authorityKeyId: undefined,
      unknownCritical: [],
    };
    const seen = new Set<string>();
    for (const ext of tbs.extensions) {
      const { id, critical, value } = readExtension(ext);
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (seen.has(id)) {
        throw badCertificate(`tls: certificate "${subject.text}" repeats extension ${id}`);
      }
      seen.add(id);
      applyExtension(out, id, value);
      if (critical && !KNOWN_EXTENSIONS.has(id)) out.unknownCritical.push(id);
    }
    return out;
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw badCertificate(`tls: certificate "${subjectText}" is malformed`, e);
  }
}

/**
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
function tbsFields(tbs: Tlv) {
  const fields = children(tbs.content);
  let version = 1;
  let i = 0;
  if (fields[0]?.tag === 0xa0) {
    // Version ::= INTEGER { v1(0), v2(1), v3(2) }
    version = decodeSmallInt(readOnly(fields[0].content, Tag.INTEGER)) + 1;
    if (version > 3) throw new DerError(`unknown version ${version}`);
    i = 1;
  }
  const [serial, signature, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!spki || serial.tag !== Tag.INTEGER || spki.tag !== Tag.SEQUENCE) {
    throw new DerError('truncated TBSCertificate');
  }
  if (signature.tag !== Tag.SEQUENCE) throw new DerError('bad signature AlgorithmIdentifier');
  if (issuer.tag !== Tag.SEQUENCE || subject.tag !== Tag.SEQUENCE) throw new DerError('bad Name');
  if (validity.tag !== Tag.SEQUENCE) throw new DerError('bad Validity');
  let extensions: Tlv[] = [];
  let lastTag = 0;
  for (const f of fields.slice(i + 6)) {
    if (f.tag !== 0x81 && f.tag !== 0x82 && f.tag !== 0xa3) throw new DerError('unknown field');
    if (f.tag <= lastTag) throw new DerError('fields out of order');
    lastTag = f.tag;
    if (f.tag === 0xa3) {
      // Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
      extensions = children(readOnly(f.content, Tag.SEQUENCE).content);
      if (extensions.length === 0) throw new DerError('empty Extensions');
    }
  }
  return { version, serial, signature, issuer, validity, subject, spki, extensions };
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtension(ext: Tlv): { id: string; critical: boolean; value: Uint8Array } {
  if (ext.tag !== Tag.SEQUENCE) throw new DerError('Extension is not a SEQUENCE');
  const parts = children(ext.content);
  const [oid] = parts;
  let critical = false;
  let valueTlv = parts[1];
  if (parts.length === 3) {
    if (parts[1].tag !== Tag.BOOLEAN || parts[1].content.length !== 1) {
      throw new DerError('bad critical flag');
    }
    critical = parts[1].content[0] !== 0;
    valueTlv = parts[2];
  } else if (parts.length !== 2) {
    throw new DerError('bad Extension');
  }
  if (oid.tag !== Tag.OID || valueTlv.tag !== Tag.OCTET_STRING) throw new DerError('bad Extension');
  return { id: decodeOid(oid.content), critical, value: valueTlv.content };
}

/**
 * RFC 5280 §4.1.2.5: UTCTime `YYMMDDHHMMSSZ` (years 1950-2049) or GeneralizedTime
 * `YYYYMMDDHHMMSSZ`, always in UTC with seconds and without fractions.
 */
function readTime(tlv: Tlv): Date {
  const text = String.fromCharCode(...tlv.content);
  const utc = tlv.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text) : null;
  const gen = tlv.tag === 0x18 ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text) : null;
  const m = utc ?? gen;
  if (!m) throw new DerError(`bad time ${JSON.stringify(text)}`);
  const [y, mon, day, h, min, sec] = m.slice(1).map(Number);
  // RFC 5280 §4.1.2.5.1: two-digit years 50..99 are 19xx, 00..49 are 20xx.
  const year = utc ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const d = new Date(Date.UTC(year, mon - 1, day, h, min, sec));
  // Reject out-of-range fields that Date.UTC would silently carry over (e.g. month 13).
  if (d.getUTCMonth() !== mon - 1 || d.getUTCDate() !== day || h > 23 || min > 59 || sec > 59) {
    throw new DerError(`bad time ${JSON.stringify(text)}`);
  }
  return d;
}

function applyExtension(out: ParsedCertificate, oid: string, value: Uint8Array): void {
  switch (oid) {
    case Ext.basicConstraints:
      out.basicConstraints = readBasicConstraints(value);
      break;
    case Ext.keyUsage:
      out.keyUsage = keyUsageBits(readOnly(value, Tag.BIT_STRING).content);
      break;
    case Ext.extKeyUsage: {
      // ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
      const ids = children(readOnly(value, Tag.SEQUENCE).content);
      if (ids.length === 0) throw new DerError('empty ExtKeyUsage');
      out.extKeyUsage = ids.map((id) => {
        if (id.tag !== Tag.OID) throw new DerError('KeyPurposeId is not an OID');
        return decodeOid(id.content);
      });
      break;
    }
    case Ext.subjectKeyIdentifier:
      // SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING)
      out.subjectKeyId = readOnly(value, Tag.OCTET_STRING).content;
      break;
    case Ext.authorityKeyIdentifier: {
      // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL, ... }
      const fields = children(readOnly(value, Tag.SEQUENCE).content);
      out.authorityKeyId = fields.find((f) => f.tag === 0x80)?.content;
      break;
    }
    case Ext.subjectAltName:
      readSubjectAltName(out, value);
      break;
    case Ext.nameConstraints:
      out.nameConstraints = readNameConstraints(value);
      break;
  }
}

/**
 *     BasicConstraints ::= SEQUENCE {
 *       cA                BOOLEAN DEFAULT FALSE,
 *       pathLenConstraint INTEGER (0..MAX) OPTIONAL }
 */
function readBasicConstraints(value: Uint8Array): { ca: boolean; pathLen: number | undefined } {
  const fields = children(readOnly(value, Tag.SEQUENCE).content);
  let ca = false;
  let pathLen: number | undefined;
  let i = 0;
  if (fields[i]?.tag === Tag.BOOLEAN) {
    if (fields[i].content.length !== 1) throw new DerError('bad cA flag');
    ca = fields[i].content[0] !== 0;
    i++;
  }
  if (fields[i]?.tag === Tag.INTEGER) {
    pathLen = decodeSmallInt(fields[i]);
    i++;
  }
  if (i !== fields.length) throw new DerError('bad BasicConstraints');
  return { ca, pathLen };
}

/** RFC 5280 §4.2.1.3: KeyUsage ::= BIT STRING; bit 0 is the most significant bit. */
function keyUsageBits(content: Uint8Array): number {
  if (content.length < 1 || content[0] > 7) throw new DerError('bad KeyUsage');
  let bits = 0;
  for (let n = 0; n < 9 && 1 + (n >> 3) < content.length; n++) {
    if (content[1 + (n >> 3)] & (0x80 >> (n & 7))) bits |= 1 << n;
  }
  return bits;
}

/**
 *     GeneralName ::= CHOICE {
 *       otherName [0], rfc822Name [1] IA5String, dNSName [2] IA5String, x400Address [3],
 *       directoryName [4] Name, ediPartyName [5], uniformResourceIdentifier [6] IA5String,
 *       iPAddress [7] OCTET STRING, registeredID [8] OBJECT IDENTIFIER }
 */
function generalNameForm(tlv: Tlv): number {
  if ((tlv.tag & 0xc0) !== 0x80) throw new DerError('GeneralName is not context-tagged');
  const form = tlv.tag & 0x1f;
  if (form > 8) throw new DerError('unknown GeneralName form');
  return form;
}

function ia5(content: Uint8Array): string {
  for (const b of content) if (b > 0x7f) throw new DerError('IA5String has non-ASCII octets');
  return String.fromCharCode(...content);
}

/** RFC 5280 §4.2.1.6: SubjectAltName ::= GeneralNames (SEQUENCE SIZE (1..MAX) OF GeneralName) */
function readSubjectAltName(out: ParsedCertificate, value: Uint8Array): void {
  const names = children(readOnly(value, Tag.SEQUENCE).content);
  if (names.length === 0) throw new DerError('empty subjectAltName');
  for (const name of names) {
    const form = generalNameForm(name);
    if (form === 2) {
      out.dnsNames.push(ia5(name.content));
    } else if (form === 7) {
      // RFC 5280 §4.2.1.6: four octets for IPv4, sixteen for IPv6.
      if (name.content.length !== 4 && name.content.length !== 16) {
        throw new DerError('iPAddress SAN must be 4 or 16 octets');
      }
      out.ipAddresses.push(name.content);
    } else if (!out.otherSanForms.includes(form)) {
      out.otherSanForms.push(form);
    }
  }
}

/**
 *     NameConstraints ::= SEQUENCE {
 *       permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *       excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
 *     GeneralSubtree ::= SEQUENCE {
 *       base GeneralName, minimum [0] BaseDistance DEFAULT 0, maximum [1] BaseDistance OPTIONAL }
 */
function readNameConstraints(value: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: undefined, excluded: undefined };
  const parts = children(readOnly(value, Tag.SEQUENCE).content);
  // RFC 5280 §4.2.1.10: conforming CAs MUST NOT issue an empty name constraints extension.
  if (parts.length === 0) throw new DerError('empty NameConstraints');
  for (const part of parts) {
    if (part.tag !== 0xa0 && part.tag !== 0xa1) throw new DerError('bad NameConstraints field');
    const subtrees: Subtrees = { dns: [], ip: [], directory: [], otherForms: [] };
    const list = children(part.content);
    if (list.length === 0) throw new DerError('empty GeneralSubtrees');
    for (const subtree of list) {
      if (subtree.tag !== Tag.SEQUENCE) throw new DerError('GeneralSubtree is not a SEQUENCE');
      const [base, ...rest] = children(subtree.content);
      // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
      for (const r of rest) {
        if (r.tag !== 0x80 || decodeSmallInt(r) !== 0) {
          throw new DerError('GeneralSubtree minimum/maximum are not supported');
        }
      }
      const form = generalNameForm(base);
      if (form === 2) subtrees.dns.push(ia5(base.content));
      else if (form === 7) subtrees.ip.push(base.content);
      else if (form === 4) subtrees.directory.push(readOnly(base.content, Tag.SEQUENCE).raw);
      else if (!subtrees.otherForms.includes(form)) subtrees.otherForms.push(form);
    }
    if (part.tag === 0xa0) out.permitted = subtrees;
    else out.excluded = subtrees;
  }
  return out;
}

/** True when the certificate's subject and issuer names are byte-identical (self-issued). */
export function isSelfIssued(cert: ParsedCertificate): boolean {
  return equalBytes(cert.subject.der, cert.issuer.der);
}

/** The names and key of a certificate, read without a full parse. */
export interface CertificateIdentity {
  /** The subject Name, DER (a view into the input). */
  subject: Uint8Array;
  /** The issuer Name, DER (a view into the input). */
  issuer: Uint8Array;
  /** The SubjectPublicKeyInfo, DER (a view into the input). */
  spki: Uint8Array;
}

/**
 * Reads a certificate's subject, issuer and public key with the DER walker alone, about a
 * hundred times faster than `parseCertificate`; for indexing trust anchors and for summaries.
 * Throws TlsError BAD_CERTIFICATE when the outer structure is malformed.
 */
export function certificateIdentity(der: Uint8Array): CertificateIdentity {
  try {
    const outer = children(readOnly(der, Tag.SEQUENCE).content);
    if (outer.length !== 3 || outer[0].tag !== Tag.SEQUENCE)
      throw new DerError('not a certificate');
    const tbs = tbsFields(outer[0]);
    return { subject: tbs.subject.raw, issuer: tbs.issuer.raw, spki: tbs.spki.raw };
  } catch (e) {
    throw badCertificate('tls: certificate is not valid DER X.509', e);
  }
}

/** The subject of a DER certificate as RFC 4514 text, for `Peer certificate: <subject>`. */
export function certificateSummary(der: Uint8Array): string {
  const { subject } = certificateIdentity(der);
  try {
    return nameToString(subject);
  } catch (e) {
    throw badCertificate('tls: certificate subject is malformed', e);
  }
}

/** The dNSName SANs of a DER certificate (a server uses them to pick a certificate by SNI). */
export function certificateDnsNames(der: Uint8Array): string[] {
  return parseCertificate(der).dnsNames;
}

/** The iPAddress SANs of a DER certificate, 4 or 16 bytes each. */
export function certificateIpAddresses(der: Uint8Array): Uint8Array[] {
  return parseCertificate(der).ipAddresses;
}
