import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';
import type { CertificateCompressionAlgorithm } from '../enums.ts';

/*
 * RFC 8879 §3:
 *
 *   enum {
 *       zlib(1),
 *       brotli(2),
 *       zstd(3),
 *       (65535)
 *   } CertificateCompressionAlgorithm;
 *
 *   struct {
 *       CertificateCompressionAlgorithm algorithms<2..2^8-2>;
 *   } CertificateCompressionAlgorithms;
 */

/**
 * Encodes the compress_certificate extension_data.
 *
 * @throws TlsError INTERNAL_ERROR for an empty list or more than 127 algorithms
 */
export function encodeCompressCertificate(
  algorithms: readonly CertificateCompressionAlgorithm[],
): Uint8Array {
  checkEncodeLength('algorithms', 2 * algorithms.length, 2, 254);
  return new Writer().u16List(1, algorithms).finish();
}

/**
 * Decodes the compress_certificate extension_data, keeping unknown algorithms in order.
 *
 * @throws TlsError DECODE_ERROR for an empty or odd-length list, or trailing bytes
 */
export function decodeCompressCertificate(data: Uint8Array): CertificateCompressionAlgorithm[] {
  const r = new Reader(data);
  const algorithms = r.u16List(1, 'algorithms', 2, 254);
  r.end('compress_certificate extension');
  return algorithms;
}
