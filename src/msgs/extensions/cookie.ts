import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 8446 §4.2.2:
 *
 *   struct {
 *       opaque cookie<1..2^16-1>;
 *   } Cookie;
 */

/**
 * Encodes the cookie extension_data (HelloRetryRequest, and echoed in the second ClientHello).
 *
 * @throws TlsError INTERNAL_ERROR for an empty cookie
 */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  checkEncodeLength('cookie', cookie.length, 1, 0xffff - 2);
  return new Writer().vec16(cookie).finish();
}

/**
 * Decodes the cookie extension_data.
 *
 * @throws TlsError DECODE_ERROR for an empty cookie, a bad length, or trailing bytes
 */
export function decodeCookie(data: Uint8Array): Uint8Array {
  const r = new Reader(data);
  const cookie = r.vec16('cookie', 1);
  r.end('cookie extension');
  return cookie;
}
