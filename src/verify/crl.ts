/**
 * Certificate revocation lists (RFC 5280 §5) decoded with webtls's own DER reader
 * (codec/der.ts), as certificates are (x509.ts): the input must be DER (X.690 §10), every
 * structure read must have its RFC 5280 shape, and the signature covers exactly the bytes
 * received.
 */
import {
  checkDer,
  children,
  DerError,
  decodeSmallInt,
  inOrder,
  readOnly,
  sequenceOf,
  Tag,
  type Tlv,
  unsignedIntegerBytes,
} from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { equalBytes, toHex } from '../util/bytes.ts';
import { isPem, pemBlocks } from '../util/pem.ts';
import { type AlgorithmId, algorithmId } from './algorithms.ts';
import { readIssuingDistributionPoint } from './distribution-points.ts';
import { nameToString } from './dn.ts';
import type { DistinguishedName } from './x509.ts';
import { type Extension, isTime, readExtensions, readTime } from './x509-fields.ts';

/** RFC 5280 §5.3.1 CRLReason values. */
export const CrlReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

/** The name of a CRLReason value, or its number. */
export function crlReasonName(reason: number | undefined): string {
  if (reason === undefined) return 'no reason given';
  const entry = Object.entries(CrlReason).find(([, v]) => v === reason);
  return entry ? entry[0] : `reason ${reason}`;
}

/** One revokedCertificates entry. */
export interface RevokedEntry {
  revocationDate: Date;
  /** The reasonCode extension (RFC 5280 §5.3.1), when present. */
  reason: number | undefined;
}

/** RFC 5280 §5.2.5 issuingDistributionPoint: which certificates the CRL covers. */
export interface CrlScope {
  onlyUserCerts: boolean;
  onlyCaCerts: boolean;
  onlyAttributeCerts: boolean;
  /** The CRL covers only some revocation reasons: it can revoke, never vouch. */
  onlySomeReasons: boolean;
  indirect: boolean;
  /** distributionPoint fullName URIs, if any. */
  uris: string[];
}

/** A decoded CRL. Shared between checks: do not modify. */
export interface ParsedCrl {
  der: Uint8Array;
  /** The TBSCertList bytes the signature covers. */
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmId;
  signature: Uint8Array;
  issuer: DistinguishedName;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  /** Revoked certificates by serial number (hex of the INTEGER's content octets). */
  revoked: Map<string, RevokedEntry>;
  scope: CrlScope | undefined;
  authorityKeyId: Uint8Array | undefined;
  /**
   * Critical CRL or entry extensions webtls does not process (delta CRLs, indirect entries,
   * others): RFC 5280 §5.2, §5.3: such a CRL must not be used.
   */
  unsupportedCritical: string[];
}

const Ext = {
  authorityKeyIdentifier: '2.5.29.35',
  cRLNumber: '2.5.29.20',
  issuingDistributionPoint: '2.5.29.28',
  freshestCRL: '2.5.29.46',
  reasonCode: '2.5.29.21',
} as const;

function badCrl(message: string, cause?: unknown): TlsError {
  return new TlsError('BAD_CERTIFICATE', message, { layer: 'verify', cause });
}

/** The TLVs of a CRL's two outer levels, with their tags checked. */
interface CrlFields {
  tbs: Tlv;
  signatureAlgorithm: Tlv;
  signature: Tlv;
  version: Tlv | undefined;
  tbsSignature: Tlv;
  issuer: Tlv;
  thisUpdate: Tlv;
  nextUpdate: Tlv | undefined;
  /** The revokedCertificates entries (empty when the list is absent). */
  entries: Tlv[];
  /** The `[0]` around crlExtensions, when present. */
  extensions: Tlv | undefined;
}

/**
 * Splits a DER CRL into the fields of its two outer levels (RFC 5280 §5.1), checking their
 * tags and order and nothing inside them. Throws DerError.
 *
 *     CertificateList ::= SEQUENCE {
 *       tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier,
 *       signatureValue BIT STRING }
 *     TBSCertList ::= SEQUENCE {
 *       version             Version OPTIONAL,  -- if present, MUST be v2
 *       signature           AlgorithmIdentifier,
 *       issuer              Name,
 *       thisUpdate          Time,
 *       nextUpdate          Time OPTIONAL,
 *       revokedCertificates SEQUENCE OF SEQUENCE {
 *         userCertificate    CertificateSerialNumber,
 *         revocationDate     Time,
 *         crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *       crlExtensions       [0] EXPLICIT Extensions OPTIONAL }
 */
function crlFields(der: Uint8Array): CrlFields {
  const outer = children(readOnly(der, Tag.SEQUENCE).content);
  if (outer.length !== 3) throw new DerError('a CertificateList has three fields');
  const [tbs, signatureAlgorithm, signature] = outer;
  if (tbs.tag !== Tag.SEQUENCE || signatureAlgorithm.tag !== Tag.SEQUENCE) {
    throw new DerError('bad CertificateList');
  }
  // The signature is a whole number of octets: no unused bits.
  if (signature.tag !== Tag.BIT_STRING || signature.content[0] !== 0) {
    throw new DerError('signatureValue is not a whole-byte BIT STRING');
  }
  const fields = children(tbs.content);
  const version = fields[0]?.tag === Tag.INTEGER ? fields[0] : undefined;
  const i = version ? 1 : 0;
  const [tbsSignature, issuer, thisUpdate, next] = fields.slice(i, i + 4);
  if (tbsSignature?.tag !== Tag.SEQUENCE) throw new DerError('bad AlgorithmIdentifier');
  if (issuer?.tag !== Tag.SEQUENCE) throw new DerError('bad Name');
  if (!isTime(thisUpdate)) throw new DerError('bad thisUpdate');
  const nextUpdate = isTime(next) ? next : undefined;
  const rest = fields.slice(i + (nextUpdate ? 4 : 3));
  inOrder(rest, [Tag.SEQUENCE, Tag.context(0)], 'TBSCertList');
  const list = rest.find((f) => f.tag === Tag.SEQUENCE);
  // §5.1.2.6 asks issuers to leave out an empty list; the ASN.1 allows it, and it lists nothing.
  const entries = list ? children(list.content) : [];
  return {
    tbs,
    signatureAlgorithm,
    signature,
    version,
    tbsSignature,
    issuer,
    thisUpdate,
    nextUpdate,
    entries,
    extensions: rest.find((f) => f.tag === Tag.context(0)),
  };
}

/** One revokedCertificates entry, its fields read and its extensions' shape checked. */
interface EntryFields {
  /** The userCertificate INTEGER's content octets. */
  serial: Uint8Array;
  revocationDate: Date;
  extensions: Extension[];
}

function entryFields(entry: Tlv): EntryFields {
  if (entry.tag !== Tag.SEQUENCE) throw new DerError('revoked entry is not a SEQUENCE');
  const [serial, date, extensions, extra] = children(entry.content);
  if (serial?.tag !== Tag.INTEGER || !isTime(date) || extra !== undefined) {
    throw new DerError('bad revoked entry');
  }
  // CertificateSerialNumber ::= INTEGER, in DER's minimal form (X.690 §8.3.2): its octets are
  // compared with the certificate's. §4.1.2.2 asks users to cope with negative ones.
  const v = serial.content;
  const ninth = (v[1] ?? 0) & 0x80;
  if (v.length === 0 || (v.length > 1 && (v[0] === 0 ? !ninth : v[0] === 0xff && ninth))) {
    throw new DerError('non-minimal userCertificate INTEGER');
  }
  return {
    serial: v,
    revocationDate: readTime(date),
    extensions: extensions ? readExtensions(extensions) : [],
  };
}

/**
 * Decodes one DER CRL. Throws TlsError BAD_CERTIFICATE when it is not DER, does not have the
 * shape of a CertificateList, or breaks a rule of RFC 5280 §5 this checks (matching signature
 * algorithms, v2 when extensions are present, no repeated extensions, known reason codes, the
 * shape of the extensions webtls reads).
 */
export function parseCrl(input: Uint8Array): ParsedCrl {
  // 1. DER only (X.690 §10), then the fields of RFC 5280 §5.1 with their tags checked.
  const der = input.slice();
  let f: CrlFields;
  try {
    checkDer(der);
    f = crlFields(der);
  } catch (e) {
    throw badCrl('tls: CRL is not valid DER', e);
  }
  const issuerText = (() => {
    try {
      return nameToString(f.issuer.raw);
    } catch (e) {
      throw badCrl('tls: CRL issuer name is malformed', e);
    }
  })();
  const fail = (what: string, cause?: unknown) =>
    badCrl(`tls: CRL of "${issuerText}" ${what}`, cause);
  try {
    // 2. §5.1.1.2: signatureAlgorithm MUST match TBSCertList.signature.
    if (!equalBytes(f.signatureAlgorithm.raw, f.tbsSignature.raw)) {
      throw fail('has mismatched algorithms');
    }

    // 3. §5.1.2.1: Version ::= INTEGER { v1(0), v2(1), v3(2) }; when present it is v2, and
    // any extension, of the CRL or of an entry, requires it.
    const version = f.version && decodeSmallInt(f.version);
    if (version !== undefined && version !== 1) throw fail(`has version ${version}`);
    const extensions = f.extensions ? readExtensions(readOnly(f.extensions.content)) : [];
    const entries = f.entries.map(entryFields);
    const anyEntryExtensions = entries.some((e) => e.extensions.length > 0);
    if ((extensions.length > 0 || anyEntryExtensions) && version !== 1) {
      throw fail('has extensions but is not v2');
    }

    const out: ParsedCrl = {
      der,
      tbs: f.tbs.raw,
      signatureAlgorithm: algorithmId(f.signatureAlgorithm.raw),
      signature: f.signature.content.subarray(1),
      issuer: { der: f.issuer.raw, text: issuerText },
      // §5.1.2.4, §5.1.2.5: the time forms of §4.1.2.5.
      thisUpdate: readTime(f.thisUpdate),
      nextUpdate: f.nextUpdate && readTime(f.nextUpdate),
      revoked: new Map(),
      scope: undefined,
      authorityKeyId: undefined,
      unsupportedCritical: [],
    };
    const unsupported = (id: string) => {
      if (!out.unsupportedCritical.includes(id)) out.unsupportedCritical.push(id);
    };

    // 4. CRL extensions (§5.2).
    for (const ext of unique(extensions, (id) => fail(`repeats extension ${id}`))) {
      switch (ext.id) {
        case Ext.authorityKeyIdentifier: {
          // §5.2.1, §4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE {
          //   keyIdentifier [0] KeyIdentifier OPTIONAL, authorityCertIssuer [1] GeneralNames
          //   OPTIONAL, authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }
          checkDer(ext.value);
          const fields = sequenceOf(ext.value, [0x80, Tag.context(1), 0x82], 'AKI');
          out.authorityKeyId = fields.find((t) => t.tag === 0x80)?.content;
          break;
        }
        case Ext.issuingDistributionPoint:
          // §5.2.5.
          checkDer(ext.value);
          out.scope = readIssuingDistributionPoint(ext.value);
          break;
        case Ext.cRLNumber:
          // §5.2.3: CRLNumber ::= INTEGER (0..MAX). Read for its shape; webtls does not
          // order CRLs.
          unsignedIntegerBytes(readOnly(ext.value, Tag.INTEGER).content);
          break;
        case Ext.freshestCRL:
          // §5.2.6: where delta CRLs are; they are not used.
          break;
        default:
          // Delta CRL indicator (2.5.29.27) and anything else critical: not processed.
          if (ext.critical) unsupported(ext.id);
      }
    }

    // 5. Entries and their extensions (§5.3).
    for (const entry of entries) {
      let reason: number | undefined;
      const serial = toHex(entry.serial);
      const repeated = (id: string) => fail(`repeats extension ${id} of serial ${serial}`);
      for (const ext of unique(entry.extensions, repeated)) {
        if (ext.id === Ext.reasonCode) reason = readReasonCode(ext.value);
        // certificateIssuer (2.5.29.29, indirect CRLs) and other critical entry extensions.
        else if (ext.critical) unsupported(ext.id);
      }
      out.revoked.set(serial, { revocationDate: entry.revocationDate, reason });
    }
    return out;
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw fail('is malformed', e);
  }
}

/**
 * `extensions`, after checking that no extension type appears twice: X.509 allows one instance
 * of each in an Extensions list, as RFC 5280 §4.2 repeats for certificates.
 */
function unique(extensions: Extension[], repeated: (id: string) => TlsError): Extension[] {
  const seen = new Set<string>();
  for (const { id } of extensions) {
    if (seen.has(id)) throw repeated(id);
    seen.add(id);
  }
  return extensions;
}

/**
 * The reasonCode entry extension (§5.3.1). Values outside the enumeration, 7 included, are
 * refused.
 *
 *     CRLReason ::= ENUMERATED { unspecified (0), keyCompromise (1), cACompromise (2),
 *       affiliationChanged (3), superseded (4), cessationOfOperation (5), certificateHold (6),
 *       -- value 7 is not used
 *       removeFromCRL (8), privilegeWithdrawn (9), aACompromise (10) }
 */
function readReasonCode(value: Uint8Array): number {
  // An ENUMERATED is encoded as an INTEGER (X.690 §8.4): minimal, and here non-negative.
  const reason = decodeSmallInt(readOnly(value, Tag.ENUMERATED));
  if (!Object.values(CrlReason).some((r) => r === reason)) {
    throw new DerError(`unknown CRLReason ${reason}`);
  }
  return reason;
}

/**
 * Decodes CRLs given as PEM text (`X509 CRL` blocks, several per string allowed) or DER.
 * Throws TlsError BAD_CERTIFICATE for a malformed one, and for text without a CRL block.
 */
export function parseCrls(inputs: readonly (string | Uint8Array)[]): ParsedCrl[] {
  const out: ParsedCrl[] = [];
  for (const input of inputs) {
    if (typeof input !== 'string') {
      out.push(parseCrl(input));
      continue;
    }
    let blocks: Uint8Array[];
    try {
      blocks = isPem(input)
        ? pemBlocks(input)
            .filter((b) => b.label === 'X509 CRL')
            .map((b) => b.der)
        : [];
    } catch (e) {
      throw badCrl('tls: CRL PEM is malformed', e);
    }
    if (blocks.length === 0) throw badCrl('tls: no X509 CRL block in the text');
    out.push(...blocks.map(parseCrl));
  }
  return out;
}
