import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';
import type { CertificateCompressionAlgorithm } from './enums.ts';

/*
 * RFC 8879 §4:
 *
 *   struct {
 *        CertificateCompressionAlgorithm algorithm;
 *        uint24 uncompressed_length;
 *        opaque compressed_certificate_message<1..2^24-1>;
 *   } CompressedCertificate;
 */

/**
 * A CompressedCertificate, which replaces a Certificate message. Decompressing yields the
 * Certificate body (without handshake header).
 */
export interface CompressedCertificate {
  /** Must be one the receiver listed in compress_certificate (RFC 8879 §4). */
  algorithm: CertificateCompressionAlgorithm;
  /**
   * The Certificate body's length after decompression. The receiver caps it (as it would an
   * uncompressed Certificate) before decompressing, and a mismatch after decompression is
   * bad_certificate (RFC 8879 §4, §5).
   */
  uncompressedLength: number;
  compressed: Uint8Array;
}

/**
 * Encodes a CompressedCertificate body.
 *
 * @throws TlsError INTERNAL_ERROR when a field is outside its bounds
 */
export function encodeCompressedCertificate(cc: CompressedCertificate): Uint8Array {
  checkEncodeLength('uncompressed_length', cc.uncompressedLength, 0, 0xffffff);
  checkEncodeLength('compressed_certificate_message', cc.compressed.length, 1, 0xffffff);
  const w = new Writer(cc.compressed.length + 8);
  w.u16(cc.algorithm).u24(cc.uncompressedLength).vec24(cc.compressed);
  return w.finish();
}

/**
 * Decodes a CompressedCertificate body. Decompression and its limits belong to the layer that
 * knows the algorithms.
 *
 * @throws TlsError DECODE_ERROR for an empty compressed message, a bad length, or trailing bytes
 */
export function decodeCompressedCertificate(body: Uint8Array): CompressedCertificate {
  const r = new Reader(body);
  const algorithm = r.u16('CompressedCertificate.algorithm');
  const uncompressedLength = r.u24('uncompressed_length');
  const compressed = r.vec24('compressed_certificate_message', 1);
  r.end('CompressedCertificate');
  return { algorithm, uncompressedLength, compressed };
}
