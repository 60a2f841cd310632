/**
 * PEM (RFC 7468): the textual encoding of DER with `-----BEGIN <label>-----` boundaries.
 * Decoding is lax in the ways RFC 7468 §3 allows (explanatory text between blocks, any line
 * length, CRLF or LF) and strict about boundaries: a BEGIN needs a matching END.
 */
import { fromBase64, toBase64 } from './bytes.ts';

/** One decoded PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`. */
  label: string;
  der: Uint8Array;
}

const BEGIN = /-----BEGIN ([^\r\n]*?)-----/g;

/**
 * Every PEM block in `text`, in order. Throws TypeError when a block has no END line, its END
 * label differs, or its body is not base64.
 */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    const label = m[1];
    const bodyStart = m.index + m[0].length;
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, bodyStart);
    const nextBegin = text.indexOf('-----BEGIN ', bodyStart);
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) {
      throw new TypeError(`pem: no matching END line for ${label}`);
    }
    const body = text.slice(bodyStart, end);
    // RFC 7468 §5.2 allows no headers in new data, but old "Proc-Type:" style encrypted
    // keys carry them; such a block cannot be used here, so say so plainly.
    if (body.includes(':')) throw new TypeError(`pem: ${label} block has headers (encrypted?)`);
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new TypeError(`pem: ${label} block is not valid base64`);
    }
    out.push({ label, der: fromBase64(b64) });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return out;
}

/** The DER of every block with `label` (default `CERTIFICATE`), in order. */
export function pemDecode(text: string, label = 'CERTIFICATE'): Uint8Array[] {
  return pemBlocks(text)
    .filter((b) => b.label === label)
    .map((b) => b.der);
}

/** Every certificate in `text` (blocks labelled `CERTIFICATE`). */
export function pemCertificates(text: string): Uint8Array[] {
  return pemDecode(text, 'CERTIFICATE');
}

/** Encodes DER as one PEM block with 64-character lines (RFC 7468 §2). */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** True when `text` looks like PEM rather than raw bytes decoded as text. */
export function isPem(text: string): boolean {
  return text.includes('-----BEGIN ');
}
