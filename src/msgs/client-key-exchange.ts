import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';

/*
 * RFC 8422 §5.7 (ECDHE ClientKeyExchange, TLS 1.2):
 *
 *   struct {
 *       select (PublicValueEncoding) {
 *           case implicit: struct { };
 *           case explicit: ECPoint ecdh_Yc;
 *       } ecdh_public;
 *   } ClientECDiffieHellmanPublic;
 *
 * With ephemeral ECDH the encoding is always explicit: ECPoint is `opaque point <1..2^8-1>`.
 */

/**
 * Encodes a ClientKeyExchange body carrying the client's ephemeral public key.
 *
 * @throws TlsError INTERNAL_ERROR for a key outside 1..255 bytes
 */
export function encodeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  checkEncodeLength('ecdh_Yc', publicKey.length, 1, 255);
  return new Writer().vec8(publicKey).finish();
}

/**
 * Decodes a ClientKeyExchange body and returns the client's public key. Whether the point is
 * valid for the group is the key exchange's check (illegal_parameter).
 *
 * @throws TlsError DECODE_ERROR for an empty point, a bad length or trailing bytes
 */
export function decodeClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new Reader(body);
  const point = r.vec8('ecdh_Yc', 1);
  r.end('ClientKeyExchange');
  return point;
}
