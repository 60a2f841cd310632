/**
 * Distinguished names as text (RFC 4514), for messages and summaries. Comparisons between names
 * use the raw DER, never this text.
 */

import { children, DerError, decodeOid, readOnly, Tag } from '../codec/der.ts';
import { toHex } from '../util/bytes.ts';

/** RFC 4514 §3 short names, plus two that every tool prints by name. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a directory string value, or returns undefined for non-string types. */
function stringValue(tag: number, content: Uint8Array): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      return utf8.decode(content);
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x14: // TeletexString, read as Latin-1 as most software does
      return String.fromCharCode(...content);
    case 0x1e: {
      // BMPString: UCS-2 big-endian.
      if (content.length % 2) return undefined;
      let s = '';
      for (let i = 0; i < content.length; i += 2) {
        s += String.fromCharCode((content[i] << 8) | content[i + 1]);
      }
      return s;
    }
    case 0x1c: {
      // UniversalString: UCS-4 big-endian.
      if (content.length % 4) return undefined;
      let s = '';
      for (let i = 0; i < content.length; i += 4) {
        const cp =
          ((content[i] << 24) | (content[i + 1] << 16) | (content[i + 2] << 8) | content[i + 3]) >>>
          0;
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

/** RFC 4514 §2.4 escaping of a string value. */
function escapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (',+"\\<>;'.includes(c)) out += `\\${c}`;
    else if (c === '\0') out += '\\00';
    else if ((c === ' ' || c === '#') && i === 0) out += `\\${c}`;
    else if (c === ' ' && i === value.length - 1) out += '\\ ';
    else out += c;
  }
  return out;
}

/**
 * Renders a DER Name (RFC 5280 §4.1.2.4) as an RFC 4514 string: RDNs last-first, joined by
 * `,`, multi-valued RDNs joined by `+`. Unknown attribute types print as dotted OIDs with `#hex`
 * values. Throws DerError when the name is malformed.
 *
 *     Name ::= CHOICE { rdnSequence RDNSequence }
 *     RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *     RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 *     AttributeTypeAndValue ::= SEQUENCE { type AttributeType, value AttributeValue }
 */
export function nameToString(der: Uint8Array): string {
  const rdns = children(readOnly(der, Tag.SEQUENCE).content).map((rdn) => {
    if (rdn.tag !== Tag.SET) throw new DerError('RDN is not a SET');
    const atvs = children(rdn.content);
    if (atvs.length === 0) throw new DerError('empty RDN');
    return atvs
      .map((atv) => {
        if (atv.tag !== Tag.SEQUENCE) throw new DerError('attribute is not a SEQUENCE');
        const [type, value, extra] = children(atv.content);
        if (!type || type.tag !== Tag.OID || !value || extra) throw new DerError('bad attribute');
        const oid = decodeOid(type.content);
        const short = SHORT_NAMES[oid];
        let text: string | undefined;
        try {
          text = short ? stringValue(value.tag, value.content) : undefined;
        } catch {
          text = undefined;
        }
        const rendered = text === undefined ? `#${toHex(value.raw)}` : escapeValue(text);
        return `${short ?? oid}=${rendered}`;
      })
      .join('+');
  });
  return rdns.reverse().join(',');
}

/** The RDNs of a DER Name as raw SET encodings, in order (for subtree comparisons). */
export function nameRdns(der: Uint8Array): Uint8Array[] {
  return children(readOnly(der, Tag.SEQUENCE).content).map((rdn) => rdn.raw);
}

/** One attribute of a distinguished name, for applications. */
export interface NameAttribute {
  /** The short name RFC 4514 uses (`CN`, `O`, ...) or, for other types, the dotted OID. */
  type: string;
  oid: string;
  /** The value as text; `#hex` of its DER when it is not a string type webtls reads. */
  value: string;
}

/**
 * The attributes of a DER Name in encoding order (most significant RDN first; the RFC 4514
 * string lists them the other way round). Throws DerError when the name is malformed.
 */
export function nameAttributes(der: Uint8Array): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(readOnly(der, Tag.SEQUENCE).content)) {
    if (rdn.tag !== Tag.SET) throw new DerError('RDN is not a SET');
    for (const atv of children(rdn.content)) {
      if (atv.tag !== Tag.SEQUENCE) throw new DerError('attribute is not a SEQUENCE');
      const [type, value, extra] = children(atv.content);
      if (!type || type.tag !== Tag.OID || !value || extra) throw new DerError('bad attribute');
      const oid = decodeOid(type.content);
      let text: string | undefined;
      try {
        text = stringValue(value.tag, value.content);
      } catch {
        text = undefined;
      }
      out.push({ type: SHORT_NAMES[oid] ?? oid, oid, value: text ?? `#${toHex(value.raw)}` });
    }
  }
  return out;
}
