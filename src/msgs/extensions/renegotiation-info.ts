import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 5746 §3.2:
 *
 *   struct {
 *       opaque renegotiated_connection<0..255>;
 *   } RenegotiationInfo;
 */

/**
 * Encodes the renegotiation_info extension_data. On an initial handshake the value is empty.
 *
 * @throws TlsError INTERNAL_ERROR for a value over 255 bytes
 */
export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array): Uint8Array {
  checkEncodeLength('renegotiated_connection', renegotiatedConnection.length, 0, 255);
  return new Writer().vec8(renegotiatedConnection).finish();
}

/**
 * Decodes the renegotiation_info extension_data and returns renegotiated_connection.
 *
 * @throws TlsError DECODE_ERROR for a bad length or trailing bytes
 */
export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  const r = new Reader(data);
  const value = r.vec8('renegotiated_connection');
  r.end('renegotiation_info extension');
  return value;
}
