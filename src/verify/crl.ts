/**
 * Certificate revocation lists (RFC 5280 §5), decoded by `@peculiar/asn1-x509`
 * (`CertificateList`) after the DER reader has checked the encoding and found the exact bytes
 * the signature covers, as for certificates (x509.ts).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  CertificateList,
  CRLReason,
  IssuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { checkDer, children, DerError, readOnly, Tag, type Tlv } from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { equalBytes, toHex } from '../util/bytes.ts';
import { isPem, pemBlocks } from '../util/pem.ts';
import { type AlgorithmId, algorithmId } from './algorithms.ts';
import { nameToString } from './dn.ts';
import type { DistinguishedName } from './x509.ts';

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
  invalidityDate: '2.5.29.24',
} as const;

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

function badCrl(message: string, cause?: unknown): TlsError {
  return new TlsError('BAD_CERTIFICATE', message, { layer: 'verify', cause });
}

/**
 * The raw spans of a CRL (RFC 5280 §5.1):
 *
 *     CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
 *     TBSCertList ::= SEQUENCE { version Version OPTIONAL, signature AlgorithmIdentifier,
 *       issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
 *       revokedCertificates SEQUENCE OF SEQUENCE {...} OPTIONAL,
 *       crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
function layout(der: Uint8Array): { tbs: Tlv; sigAlg: Tlv; sig: Tlv; tbsSig: Tlv; issuer: Tlv } {
  const [tbs, sigAlg, sig, extra] = children(readOnly(der, Tag.SEQUENCE).content);
  if (!tbs || !sigAlg || !sig || extra || tbs.tag !== Tag.SEQUENCE) {
    throw new DerError('CertificateList is not three fields');
  }
  if (sigAlg.tag !== Tag.SEQUENCE || sig.tag !== Tag.BIT_STRING || sig.content[0] !== 0) {
    throw new DerError('bad CertificateList signature fields');
  }
  const fields = children(tbs.content);
  const start = fields[0]?.tag === Tag.INTEGER ? 1 : 0;
  const [tbsSig, issuer] = fields.slice(start, start + 2);
  if (tbsSig?.tag !== Tag.SEQUENCE || issuer?.tag !== Tag.SEQUENCE) {
    throw new DerError('bad TBSCertList');
  }
  return { tbs, sigAlg, sig, tbsSig, issuer };
}

/**
 * Decodes one DER CRL. Throws TlsError BAD_CERTIFICATE when it is not DER, does not decode as
 * a CertificateList, or breaks a rule of RFC 5280 §5 this checks (matching signature
 * algorithms, v2 when extensions are present, no repeated extensions).
 */
export function parseCrl(input: Uint8Array): ParsedCrl {
  const der = input.slice();
  let raw: ReturnType<typeof layout>;
  let crl: CertificateList;
  try {
    checkDer(der);
    raw = layout(der);
    crl = AsnConvert.parse(der, CertificateList);
  } catch (e) {
    throw badCrl('tls: CRL is not valid DER', e);
  }
  const issuerText = (() => {
    try {
      return nameToString(raw.issuer.raw);
    } catch (e) {
      throw badCrl('tls: CRL issuer name is malformed', e);
    }
  })();
  const fail = (what: string, cause?: unknown) =>
    badCrl(`tls: CRL of "${issuerText}" ${what}`, cause);
  try {
    const tbs = crl.tbsCertList;
    const tbsRaw = crl.tbsCertListRaw;
    if (tbsRaw === undefined || !equalBytes(bytesOf(tbsRaw), raw.tbs.raw)) {
      throw new DerError('TBSCertList spans disagree');
    }
    // §5.1.1.2: signatureAlgorithm MUST match TBSCertList.signature.
    if (!equalBytes(raw.sigAlg.raw, raw.tbsSig.raw)) throw fail('has mismatched algorithms');
    // §5.1.2.1: version is v2 (1) when present; extensions require it.
    const extensions = tbs.crlExtensions ?? [];
    const anyEntryExtensions = (tbs.revokedCertificates ?? []).some(
      (r) => (r.crlEntryExtensions ?? []).length > 0,
    );
    if (tbs.version !== undefined && tbs.version !== 1) throw fail(`has version ${tbs.version}`);
    if ((extensions.length > 0 || anyEntryExtensions) && tbs.version !== 1) {
      throw fail('has extensions but is not v2');
    }
    const out: ParsedCrl = {
      der,
      tbs: raw.tbs.raw,
      signatureAlgorithm: algorithmId(raw.sigAlg.raw),
      signature: raw.sig.content.subarray(1),
      issuer: { der: raw.issuer.raw, text: issuerText },
      thisUpdate: tbs.thisUpdate.getTime(),
      nextUpdate: tbs.nextUpdate?.getTime(),
      revoked: new Map(),
      scope: undefined,
      authorityKeyId: undefined,
      unsupportedCritical: [],
    };
    const seen = new Set<string>();
    for (const ext of extensions) {
      if (seen.has(ext.extnID)) throw fail(`repeats extension ${ext.extnID}`);
      seen.add(ext.extnID);
      const value = bytesOf(ext.extnValue.buffer);
      switch (ext.extnID) {
        case Ext.authorityKeyIdentifier: {
          const id = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
          out.authorityKeyId = id === undefined ? undefined : bytesOf(id.buffer).slice();
          break;
        }
        case Ext.issuingDistributionPoint:
          out.scope = scopeOf(AsnConvert.parse(value, IssuingDistributionPoint));
          break;
        case Ext.cRLNumber:
        case Ext.freshestCRL:
          break;
        default:
          // Delta CRL indicator (2.5.29.27) and anything else critical: not processed.
          if (ext.critical) out.unsupportedCritical.push(ext.extnID);
      }
    }
    for (const entry of tbs.revokedCertificates ?? []) {
      let reason: number | undefined;
      for (const ext of entry.crlEntryExtensions ?? []) {
        if (ext.extnID === Ext.reasonCode) {
          reason = AsnConvert.parse(bytesOf(ext.extnValue.buffer), CRLReason).reason;
        } else if (ext.critical && !out.unsupportedCritical.includes(ext.extnID)) {
          // certificateIssuer (2.5.29.29, indirect CRLs) and other critical entry extensions.
          out.unsupportedCritical.push(ext.extnID);
        }
      }
      out.revoked.set(toHex(bytesOf(entry.userCertificate)), {
        revocationDate: entry.revocationDate.getTime(),
        reason,
      });
    }
    return out;
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw fail('is malformed', e);
  }
}

function scopeOf(idp: IssuingDistributionPoint): CrlScope {
  const uris = (idp.distributionPoint?.fullName ?? [])
    .map((n) => n.uniformResourceIdentifier)
    .filter((u): u is string => u !== undefined);
  return {
    onlyUserCerts: idp.onlyContainsUserCerts,
    onlyCaCerts: idp.onlyContainsCACerts,
    onlyAttributeCerts: idp.onlyContainsAttributeCerts,
    onlySomeReasons: idp.onlySomeReasons !== undefined,
    indirect: idp.indirectCRL,
    uris,
  };
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
