/**
 * The GeneralName-valued extensions, subjectAltName and nameConstraints, and the URIs of
 * distribution points, read octet for octet with the DER reader: iPAddress values stay octets
 * (an address with its mask, even a non-contiguous one, in nameConstraints), and directoryName
 * values stay DER for name constraints to compare.
 */
import { children, DerError, decodeSmallInt, readOnly, Tag, type Tlv } from '../codec/der.ts';
import type { NameConstraints, Subtrees } from './x509.ts';

/**
 * The GeneralName form of a TLV: its context tag number.
 *
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

/** The subjectAltName entries webtls uses. */
export interface SubjectAltNames {
  /** dNSName entries as written. */
  dnsNames: string[];
  /** iPAddress entries, 4 or 16 octets each. */
  ipAddresses: Uint8Array[];
  /** Context tags of the other forms present, each once. */
  otherForms: number[];
}

/**
 * Reads a subjectAltName extension value. Throws DerError when it is malformed, empty, or
 * holds an iPAddress that is neither 4 nor 16 octets.
 *
 *     SubjectAltName ::= GeneralNames
 *     GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 */
export function readSubjectAltName(value: Uint8Array): SubjectAltNames {
  const out: SubjectAltNames = { dnsNames: [], ipAddresses: [], otherForms: [] };
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
    } else if (!out.otherForms.includes(form)) {
      out.otherForms.push(form);
    }
  }
  return out;
}

/**
 * Reads a nameConstraints extension value. Throws DerError when it is malformed or empty, or
 * a subtree has a minimum other than zero or a maximum (RFC 5280 §4.2.1.10).
 *
 *     NameConstraints ::= SEQUENCE {
 *       permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *       excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
 *     GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
 *     GeneralSubtree ::= SEQUENCE {
 *       base GeneralName, minimum [0] BaseDistance DEFAULT 0, maximum [1] BaseDistance OPTIONAL }
 */
export function readNameConstraints(value: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: undefined, excluded: undefined };
  const parts = children(readOnly(value, Tag.SEQUENCE).content);
  // RFC 5280 §4.2.1.10: conforming CAs MUST NOT issue an empty name constraints extension.
  if (parts.length === 0) throw new DerError('empty NameConstraints');
  let lastTag = 0;
  for (const part of parts) {
    if (part.tag !== Tag.context(0) && part.tag !== Tag.context(1)) {
      throw new DerError('bad NameConstraints field');
    }
    if (part.tag <= lastTag) throw new DerError('NameConstraints fields out of order');
    lastTag = part.tag;
    const subtrees: Subtrees = { dns: [], ip: [], directory: [], otherForms: [] };
    const list = children(part.content);
    if (list.length === 0) throw new DerError('empty GeneralSubtrees');
    for (const subtree of list) {
      if (subtree.tag !== Tag.SEQUENCE) throw new DerError('GeneralSubtree is not a SEQUENCE');
      const [base, ...rest] = children(subtree.content);
      if (!base) throw new DerError('empty GeneralSubtree');
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
    if (part.tag === Tag.context(0)) out.permitted = subtrees;
    else out.excluded = subtrees;
  }
  return out;
}

/**
 * The uniformResourceIdentifier entries of a GeneralNames value, given its content octets (the
 * distribution points of RFC 5280 §4.2.1.13 and §5.2.5); the other forms are checked and
 * skipped. Throws DerError when the list is empty or a name is malformed.
 *
 *     GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 */
export function generalNameUris(content: Uint8Array): string[] {
  const names = children(content);
  if (names.length === 0) throw new DerError('empty GeneralNames');
  const uris: string[] = [];
  for (const name of names) {
    if (generalNameForm(name) !== 6) continue;
    // uniformResourceIdentifier [6] IMPLICIT IA5String: a string, so primitive (X.690 §10.2).
    if (name.tag !== 0x86) throw new DerError('uniformResourceIdentifier is constructed');
    uris.push(ia5(name.content));
  }
  return uris;
}
