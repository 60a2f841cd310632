/**
 * X.509 certificates (RFC 5280 §4) parsed into the small shape path validation needs.
 *
 * Every certificate that is evaluated (presented chains, and each trust anchor a path reaches)
 * is decoded here with webtls's own DER reader (codec/der.ts): the input must be DER
 * (X.690 §10), each structure webtls uses must have its RFC 5280 shape (cert-layout.ts,
 * general-names.ts), and the fields are read straight from the TLVs, so the bytes a signature
 * covers and the names compared are exactly the ones received. Results are cached per input
 * array (see `parseCertificate`).
 */
import {
  checkDer,
  children,
  DerError,
  decodeOid,
  decodeSmallInt,
  readOnly,
  sequenceOf,
  Tag,
} from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { equalBytes } from '../util/bytes.ts';
import type { AlgorithmId } from './algorithms.ts';
import { algorithmId } from './algorithms.ts';
import { type CertificateLayout, certificateLayout } from './cert-layout.ts';
import { nameToString } from './dn.ts';
import { readNameConstraints, readSubjectAltName } from './general-names.ts';
import { readBoolean, readTime } from './x509-fields.ts';

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

/**
 * The fields of a certificate that verification uses. Objects returned by `parseCertificate`
 * may be shared between callers: they are frozen, and their byte arrays must not be modified.
 */
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

/** Parses already seen, by input array; a hit counts only if the bytes are still the same. */
const cache = new WeakMap<Uint8Array, ParsedCertificate>();

/**
 * Parses a DER certificate. Throws TlsError BAD_CERTIFICATE when it is not DER, does not
 * decode as an X.509 Certificate, or breaks a structural rule of RFC 5280 (mismatched signature
 * algorithms, repeated extensions, extensions in a v1 certificate, malformed SAN or name
 * constraints, times not in the RFC 5280 form).
 *
 * The result is cached against the `input` array itself (weakly) and returned again while that
 * array holds the same bytes, so the handshake and the verifier parse a certificate once.
 */
export function parseCertificate(input: Uint8Array): ParsedCertificate {
  const cached = cache.get(input);
  if (cached !== undefined && equalBytes(cached.der, input)) return cached;
  const parsed = freeze(decode(input.slice()));
  cache.set(input, parsed);
  return parsed;
}

/** Decodes `der` (owned by the caller's copy) into a ParsedCertificate. */
function decode(der: Uint8Array): ParsedCertificate {
  // 1. DER only (X.690 §10), then the fields of RFC 5280 §4.1 with their tags checked.
  let layout: CertificateLayout;
  try {
    checkDer(der);
    layout = certificateLayout(der);
  } catch (e) {
    throw badCertificate('tls: certificate is not valid DER X.509', e);
  }
  let subjectText = '(unparsed)';
  try {
    const subject = { der: layout.subject, text: nameToString(layout.subject) };
    subjectText = subject.text;
    const fail = (what: string) => badCertificate(`tls: certificate "${subject.text}" ${what}`);

    // 2. RFC 5280 §4.1.1.2: signatureAlgorithm MUST match TBSCertificate.signature.
    if (!equalBytes(layout.signatureAlgorithm, layout.tbsSignature)) {
      throw fail('has mismatched signature algorithms');
    }
    // The signature is a whole number of octets: no unused bits.
    if (layout.signature.content.length === 0 || layout.signature.content[0] !== 0) {
      throw new DerError('signature is not a whole-byte BIT STRING');
    }

    // 3. Version ::= INTEGER { v1(0), v2(1), v3(2) }; extensions only in v3 (§4.1.2.9).
    const encodedVersion = layout.version ? decodeSmallInt(layout.version) : 0;
    if (encodedVersion > 2) throw new DerError(`unknown version ${encodedVersion}`);
    const version = encodedVersion + 1;
    const { extensions } = layout;
    if (extensions.length > 0 && version !== 3) {
      throw fail(`is v${version} with extensions`);
    }

    const out: ParsedCertificate = {
      der,
      tbs: layout.tbs,
      version,
      serial: layout.serial,
      signatureAlgorithm: algorithmId(layout.signatureAlgorithm),
      signature: layout.signature.content.subarray(1),
      issuer: { der: layout.issuer, text: nameToString(layout.issuer) },
      subject,
      notBefore: readTime(layout.validity[0]),
      notAfter: readTime(layout.validity[1]),
      spki: layout.spki,
      publicKeyAlgorithm: algorithmId(layout.spkiAlgorithm),
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

    // 4. Extensions.
    const seen = new Set<string>();
    for (const ext of extensions) {
      const { id, critical, value } = ext;
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (seen.has(id)) throw fail(`repeats extension ${id}`);
      seen.add(id);
      if (KNOWN_EXTENSIONS.has(id)) applyExtension(out, id, value);
      else if (critical) out.unknownCritical.push(id);
    }
    return out;
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw badCertificate(`tls: certificate "${subjectText}" is malformed`, e);
  }
}

/**
 * Decodes one known extension value into `out`. The value must be exactly one DER value of the
 * extension's shape.
 */
function applyExtension(out: ParsedCertificate, oid: string, value: Uint8Array): void {
  checkDer(value);
  switch (oid) {
    case Ext.basicConstraints: {
      // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
      //                                 pathLenConstraint INTEGER (0..MAX) OPTIONAL }
      const fields = sequenceOf(value, [Tag.BOOLEAN, Tag.INTEGER], 'BasicConstraints');
      const ca = fields.find((f) => f.tag === Tag.BOOLEAN);
      const pathLen = fields.find((f) => f.tag === Tag.INTEGER);
      out.basicConstraints = {
        ca: ca !== undefined && readBoolean(ca),
        pathLen: pathLen && decodeSmallInt(pathLen),
      };
      break;
    }
    case Ext.keyUsage: {
      // RFC 5280 §4.2.1.3: KeyUsage ::= BIT STRING
      const bits = readOnly(value, Tag.BIT_STRING).content;
      if (bits.length === 0) throw new DerError('bad KeyUsage');
      out.keyUsage = keyUsageBits(bits.subarray(1), bits[0]);
      break;
    }
    case Ext.extKeyUsage: {
      // ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (an OID)
      const purposes = children(readOnly(value, Tag.SEQUENCE).content);
      if (purposes.some((p) => p.tag !== Tag.OID)) throw new DerError('KeyPurposeId is not an OID');
      if (purposes.length === 0) throw new DerError('empty ExtKeyUsage');
      out.extKeyUsage = purposes.map((p) => decodeOid(p.content));
      break;
    }
    case Ext.subjectKeyIdentifier:
      // SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING)
      out.subjectKeyId = readOnly(value, Tag.OCTET_STRING).content;
      break;
    case Ext.authorityKeyIdentifier: {
      // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL,
      //   authorityCertIssuer [1] GeneralNames OPTIONAL,
      //   authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }
      const fields = sequenceOf(value, [0x80, Tag.context(1), 0x82], 'AuthorityKeyIdentifier');
      out.authorityKeyId = fields.find((f) => f.tag === 0x80)?.content;
      break;
    }
    case Ext.subjectAltName: {
      const san = readSubjectAltName(value);
      out.dnsNames = san.dnsNames;
      out.ipAddresses = san.ipAddresses;
      out.otherSanForms = san.otherForms;
      break;
    }
    case Ext.nameConstraints:
      out.nameConstraints = readNameConstraints(value);
      break;
  }
}

/** RFC 5280 §4.2.1.3: bit 0 (digitalSignature) is the most significant bit of the first octet. */
function keyUsageBits(bytes: Uint8Array, unusedBits: number): number {
  if (unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0))
    throw new DerError('bad KeyUsage');
  let bits = 0;
  for (let n = 0; n < 9 && n >> 3 < bytes.length; n++) {
    if (bytes[n >> 3] & (0x80 >> (n & 7))) bits |= 1 << n;
  }
  return bits;
}

/** Freezes a parse result so that sharing it through the cache is safe. */
function freeze(c: ParsedCertificate): ParsedCertificate {
  const nc = c.nameConstraints;
  for (const subtrees of [nc?.permitted, nc?.excluded]) {
    if (subtrees === undefined) continue;
    for (const list of [subtrees.dns, subtrees.ip, subtrees.directory, subtrees.otherForms]) {
      Object.freeze(list);
    }
    Object.freeze(subtrees);
  }
  for (const part of [
    nc,
    c.issuer,
    c.subject,
    c.signatureAlgorithm,
    c.publicKeyAlgorithm,
    c.basicConstraints,
    c.extKeyUsage,
    c.dnsNames,
    c.ipAddresses,
    c.otherSanForms,
    c.unknownCritical,
  ]) {
    if (part !== undefined) Object.freeze(part);
  }
  return Object.freeze(c);
}

/** True when the certificate's subject and issuer names are byte-identical (self-issued). */
export function isSelfIssued(cert: ParsedCertificate): boolean {
  return equalBytes(cert.subject.der, cert.issuer.der);
}

/**
 * The subject of a DER certificate as RFC 4514 text, for `Peer certificate: <subject>`. Parses
 * the certificate (a cache hit when it was just verified). Throws TlsError BAD_CERTIFICATE.
 */
export function certificateSummary(der: Uint8Array): string {
  return parseCertificate(der).subject.text;
}

/** The dNSName SANs of a DER certificate (a server uses them to pick a certificate by SNI). */
export function certificateDnsNames(der: Uint8Array): string[] {
  return [...parseCertificate(der).dnsNames];
}

/** The iPAddress SANs of a DER certificate, 4 or 16 bytes each (copies). */
export function certificateIpAddresses(der: Uint8Array): Uint8Array[] {
  return parseCertificate(der).ipAddresses.map((a) => a.slice());
}
