import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';
import type { SignatureScheme } from '../enums.ts';

/*
 * RFC 8446 §4.2.3, the extension_data of both "signature_algorithms" and
 * "signature_algorithms_cert":
 *
 *   struct {
 *       SignatureScheme supported_signature_algorithms<2..2^16-2>;
 *   } SignatureSchemeList;
 */

/**
 * Encodes a SignatureSchemeList (signature_algorithms or signature_algorithms_cert).
 *
 * @throws TlsError INTERNAL_ERROR for an empty list
 */
export function encodeSignatureSchemes(schemes: readonly SignatureScheme[]): Uint8Array {
  checkEncodeLength('supported_signature_algorithms', 2 * schemes.length, 2, 0xfffe);
  return new Writer().u16List(2, schemes).finish();
}

/**
 * Decodes a SignatureSchemeList, keeping unknown and GREASE schemes in order.
 *
 * @throws TlsError DECODE_ERROR for an empty or odd-length list, or trailing bytes
 */
export function decodeSignatureSchemes(data: Uint8Array): SignatureScheme[] {
  const r = new Reader(data);
  const schemes = r.u16List(2, 'supported_signature_algorithms', 2, 0xfffe);
  r.end('signature_algorithms extension');
  return schemes;
}
