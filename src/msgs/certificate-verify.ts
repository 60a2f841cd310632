import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';
import type { SignatureScheme } from './enums.ts';

/*
 * RFC 8446 §4.4.3:
 *
 *   struct {
 *       SignatureScheme algorithm;
 *       opaque signature<0..2^16-1>;
 *   } CertificateVerify;
 */

/** A CertificateVerify message. */
export interface CertificateVerify {
  algorithm: SignatureScheme;
  signature: Uint8Array;
}

/**
 * Encodes a CertificateVerify body.
 *
 * @throws TlsError INTERNAL_ERROR for a signature over 65535 bytes
 */
export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  checkEncodeLength('signature', cv.signature.length, 0, 0xffff);
  return new Writer().u16(cv.algorithm).vec16(cv.signature).finish();
}

/**
 * Decodes a CertificateVerify body. Whether the algorithm was offered is the handshake's check
 * (§4.4.3).
 *
 * @throws TlsError DECODE_ERROR for a truncated body or trailing bytes
 */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body);
  const algorithm = r.u16('CertificateVerify.algorithm');
  const signature = r.vec16('CertificateVerify.signature');
  r.end('CertificateVerify');
  return { algorithm, signature };
}
