/**
 * Distribution points, where CRLs are published (RFC 5280 §4.2.1.13) and which part of them a
 * CRL covers (§5.2.5), read with the DER reader. webtls uses the fullName URIs and the scope
 * flags; the other fields have their shape checked and are otherwise unused.
 */
import { children, DerError, inOrder, readOnly, sequenceOf, Tag, type Tlv } from '../codec/der.ts';
import type { CrlScope } from './crl.ts';
import { generalNameUris } from './general-names.ts';
import { readBoolean } from './x509-fields.ts';

/**
 * Reads a cRLDistributionPoints extension value and returns every fullName URI in it, in
 * order. Throws DerError when it is malformed.
 *
 *     CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 *     DistributionPoint ::= SEQUENCE {
 *       distributionPoint [0] DistributionPointName OPTIONAL,
 *       reasons           [1] ReasonFlags OPTIONAL,
 *       cRLIssuer         [2] GeneralNames OPTIONAL }
 */
export function readCrlDistributionPoints(value: Uint8Array): string[] {
  const points = children(readOnly(value, Tag.SEQUENCE).content);
  if (points.length === 0) throw new DerError('empty CRLDistributionPoints');
  const uris: string[] = [];
  for (const point of points) {
    if (point.tag !== Tag.SEQUENCE) throw new DerError('DistributionPoint is not a SEQUENCE');
    const fields = children(point.content);
    inOrder(fields, [Tag.context(0), 0x81, Tag.context(2)], 'DistributionPoint');
    const name = fields.find((f) => f.tag === Tag.context(0));
    const reasons = fields.find((f) => f.tag === 0x81);
    const crlIssuer = fields.find((f) => f.tag === Tag.context(2));
    // §4.2.1.13: a DistributionPoint MUST NOT consist of the reasons field alone.
    if (!name && !crlIssuer) throw new DerError('DistributionPoint without a name or issuer');
    if (reasons) checkReasonFlags(reasons);
    if (crlIssuer) generalNameUris(crlIssuer.content);
    if (name) uris.push(...distributionPointUris(name));
  }
  return uris;
}

/**
 * Reads an issuingDistributionPoint CRL extension value. Throws DerError when it is malformed,
 * empty, or claims more than one kind of certificate.
 *
 *     IssuingDistributionPoint ::= SEQUENCE {
 *       distributionPoint          [0] DistributionPointName OPTIONAL,
 *       onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
 *       onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
 *       onlySomeReasons            [3] ReasonFlags OPTIONAL,
 *       indirectCRL                [4] BOOLEAN DEFAULT FALSE,
 *       onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 */
export function readIssuingDistributionPoint(value: Uint8Array): CrlScope {
  // The module has IMPLICIT TAGS: the BOOLEANs and the BIT STRING are primitive [n]; the
  // DistributionPointName CHOICE keeps its own tag inside a constructed [0].
  const fields = sequenceOf(
    value,
    [Tag.context(0), 0x81, 0x82, 0x83, 0x84, 0x85],
    'IssuingDistributionPoint',
  );
  // §5.2.5: the DER encoding of this extension is never an empty sequence.
  if (fields.length === 0) throw new DerError('empty IssuingDistributionPoint');
  const field = (tag: number) => fields.find((f) => f.tag === tag);
  const flag = (tag: number) => {
    const f = field(tag);
    return f !== undefined && readBoolean(f);
  };
  const name = field(Tag.context(0));
  const reasons = field(0x83);
  if (reasons) checkReasonFlags(reasons);
  const scope: CrlScope = {
    onlyUserCerts: flag(0x81),
    onlyCaCerts: flag(0x82),
    onlyAttributeCerts: flag(0x85),
    onlySomeReasons: reasons !== undefined,
    indirect: flag(0x84),
    uris: name ? distributionPointUris(name) : [],
  };
  // §5.2.5: at most one of the three onlyContains... fields is TRUE.
  const kinds = [scope.onlyUserCerts, scope.onlyCaCerts, scope.onlyAttributeCerts];
  if (kinds.filter(Boolean).length > 1) throw new DerError('IDP limits to two kinds of cert');
  return scope;
}

/**
 * The fullName URIs of a `[0] DistributionPointName` field (none for a name relative to the
 * CRL issuer, which is checked for shape only).
 *
 *     DistributionPointName ::= CHOICE {
 *       fullName                [0] GeneralNames,
 *       nameRelativeToCRLIssuer [1] RelativeDistinguishedName }
 *     RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 */
function distributionPointUris(field: Tlv): string[] {
  const name = readOnly(field.content);
  if (name.tag === Tag.context(0)) return generalNameUris(name.content);
  if (name.tag !== Tag.context(1)) throw new DerError('bad DistributionPointName');
  const attributes = children(name.content);
  if (attributes.length === 0 || attributes.some((a) => a.tag !== Tag.SEQUENCE)) {
    throw new DerError('bad nameRelativeToCRLIssuer');
  }
  return [];
}

/**
 * Checks the encoding of a `[n] IMPLICIT ReasonFlags` field (webtls does not use the bits).
 * X.690 §11.2: unused bits are zero and, this being a named bit list, trailing zero bits are
 * left out.
 *
 *     ReasonFlags ::= BIT STRING { unused (0), keyCompromise (1), cACompromise (2),
 *       affiliationChanged (3), superseded (4), cessationOfOperation (5),
 *       certificateHold (6), privilegeWithdrawn (7), aACompromise (8) }
 */
function checkReasonFlags(field: Tlv): void {
  const [unused, ...octets] = field.content;
  if (unused === undefined || unused > 7 || octets.length > 2)
    throw new DerError('bad ReasonFlags');
  if (octets.length === 0) {
    if (unused !== 0) throw new DerError('bad ReasonFlags');
    return;
  }
  const last = octets[octets.length - 1];
  // The last octet's unused bits are zero and the bit just before them is set.
  if ((last & ((1 << unused) - 1)) !== 0 || ((last >> unused) & 1) === 0) {
    throw new DerError('ReasonFlags is not DER');
  }
}
