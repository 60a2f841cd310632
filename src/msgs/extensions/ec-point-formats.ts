import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 8422 §5.1.2 (TLS 1.2 and earlier; a TLS 1.3 ClientHello that also offers TLS 1.2 sends
 * it):
 *
 *   enum {
 *       uncompressed (0),
 *       deprecated (1..2),
 *       reserved (248..255)
 *   } ECPointFormat;
 *
 *   struct {
 *       ECPointFormat ec_point_format_list<1..2^8-1>
 *   } ECPointFormatList;
 */

/** ECPointFormat uncompressed(0), the only format still defined (RFC 8422 §5.1.2). */
export const EC_POINT_FORMAT_UNCOMPRESSED = 0;

/**
 * Encodes the ec_point_formats extension_data.
 *
 * @throws TlsError INTERNAL_ERROR for an empty list or more than 255 formats
 */
export function encodeEcPointFormats(formats: readonly number[]): Uint8Array {
  checkEncodeLength('ec_point_format_list', formats.length, 1, 255);
  return new Writer().vec8(Uint8Array.from(formats)).finish();
}

/**
 * Decodes the ec_point_formats extension_data.
 *
 * @throws TlsError DECODE_ERROR for an empty list or trailing bytes
 */
export function decodeEcPointFormats(data: Uint8Array): number[] {
  const r = new Reader(data);
  const formats = r.vec8('ec_point_format_list', 1);
  r.end('ec_point_formats extension');
  return Array.from(formats);
}
