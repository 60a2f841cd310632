/**
 * The field types that certificates and CRLs share (RFC 5280 §4.1, §5.1), read from DER TLVs:
 * BOOLEAN, Time and Extensions. Each throws DerError on anything but the profile's encoding.
 */
import { children, DerError, decodeOid, inOrder, Tag, type Tlv } from '../codec/der.ts';

/**
 * A BOOLEAN, or an implicitly tagged one (the tag is the caller's to check). X.690 §11.1: DER
 * encodes TRUE as 0xff and FALSE as 0x00, nothing else.
 */
export function readBoolean(tlv: Tlv): boolean {
  const b = tlv.content[0];
  if (tlv.content.length !== 1 || (b !== 0 && b !== 0xff)) throw new DerError('bad BOOLEAN');
  return b === 0xff;
}

/** Whether `tlv` is a Time: `Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }`. */
export function isTime(tlv: Tlv | undefined): tlv is Tlv {
  return tlv?.tag === Tag.UTC_TIME || tlv?.tag === Tag.GENERALIZED_TIME;
}

/**
 * A Time as RFC 5280 profiles it for certificates (§4.1.2.5) and CRLs (§5.1.2.4, §5.1.2.6):
 * UTCTime `YYMMDDHHMMSSZ` (years 1950-2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`, always in UTC
 * with seconds and without fractions.
 */
export function readTime(tlv: Tlv): Date {
  const text = String.fromCharCode(...tlv.content);
  const utc =
    tlv.tag === Tag.UTC_TIME ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text) : null;
  const gen =
    tlv.tag === Tag.GENERALIZED_TIME ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text) : null;
  const m = utc ?? gen;
  if (!m) throw new DerError(`bad time ${JSON.stringify(text)}`);
  const [y, mon, day, h, min, sec] = m.slice(1).map(Number);
  // RFC 5280 §4.1.2.5.1: two-digit years 50..99 are 19xx, 00..49 are 20xx.
  const year = utc ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const d = new Date(Date.UTC(year, mon - 1, day, h, min, sec));
  // Out-of-range fields that Date.UTC would silently carry over (month 13, 31 April).
  if (d.getUTCMonth() !== mon - 1 || d.getUTCDate() !== day || h > 23 || min > 59 || sec > 59) {
    throw new DerError(`bad time ${JSON.stringify(text)}`);
  }
  return d;
}

/** One Extension: its extnID, its criticality, and the contents of its extnValue. */
export interface Extension {
  id: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content: the DER of the extension's own type. */
  value: Uint8Array;
}

/**
 * Reads an Extensions TLV (RFC 5280 §4.1, §5.1). The list is not empty and each element has
 * the Extension shape. An explicit `critical FALSE` is read as FALSE: DER omits a DEFAULT value
 * (X.690 §11.5), but issuers write it often enough that refusing it only loses certificates.
 * Repeats are the caller's to refuse (its error names the certificate or CRL).
 *
 *     Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 *     Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
 *                              critical BOOLEAN DEFAULT FALSE,
 *                              extnValue OCTET STRING }
 */
export function readExtensions(tlv: Tlv): Extension[] {
  if (tlv.tag !== Tag.SEQUENCE) throw new DerError('Extensions is not a SEQUENCE');
  const list = children(tlv.content);
  if (list.length === 0) throw new DerError('empty Extensions');
  return list.map((ext) => {
    if (ext.tag !== Tag.SEQUENCE) throw new DerError('Extension is not a SEQUENCE');
    const parts = children(ext.content);
    inOrder(parts, [Tag.OID, Tag.BOOLEAN, Tag.OCTET_STRING], 'Extension');
    const value = parts[parts.length - 1];
    if (parts[0]?.tag !== Tag.OID || value.tag !== Tag.OCTET_STRING) {
      throw new DerError('bad Extension');
    }
    return {
      id: decodeOid(parts[0].content),
      critical: parts.length === 3 && readBoolean(parts[1]),
      value: value.content,
    };
  });
}
