import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 8446 §4.2.4:
 *
 *   opaque DistinguishedName<1..2^16-1>;
 *
 *   struct {
 *       DistinguishedName authorities<3..2^16-1>;
 *   } CertificateAuthoritiesExtension;
 */

/**
 * Encodes the certificate_authorities extension_data from DER-encoded distinguished names.
 *
 * @throws TlsError INTERNAL_ERROR for an empty list, an empty name, or a list over 64 KiB
 */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const dn of names) {
    checkEncodeLength('DistinguishedName', dn.length, 1, 0xffff);
    total += 2 + dn.length;
  }
  checkEncodeLength('authorities', total, 3, 0xffff);
  const w = new Writer();
  w.vec(2, (list) => {
    for (const dn of names) list.vec16(dn);
  });
  return w.finish();
}

/**
 * Decodes the certificate_authorities extension_data into DER-encoded distinguished names (not
 * parsed here).
 *
 * @throws TlsError DECODE_ERROR for an empty list, an empty name, or trailing bytes
 */
export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data);
  const list = r.sub(2, 'authorities', 3);
  r.end('certificate_authorities extension');
  const out: Uint8Array[] = [];
  while (!list.done) out.push(list.vec16('DistinguishedName', 1));
  return out;
}
