import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { TlsError } from '../error.ts';
import { checkEncodeLength } from './encode-check.ts';
import { ExtensionType } from './enums.ts';
import {
  type Extension,
  hasExtension,
  readExtensions,
  writeExtensions,
} from './extensions/extension.ts';

/*
 * RFC 8446 §4.3.2:
 *
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       Extension extensions<2..2^16-1>;
 *   } CertificateRequest;
 */

/** A TLS 1.3 CertificateRequest. */
export interface CertificateRequest {
  /** Empty in the main handshake; unique and unpredictable post-handshake (§4.3.2). */
  context: Uint8Array;
  /** Must include signature_algorithms. */
  extensions: Extension[];
}

/**
 * Encodes a CertificateRequest body.
 *
 * @throws TlsError INTERNAL_ERROR for a context over 255 bytes or no extensions
 */
export function encodeCertificateRequest(cr: CertificateRequest): Uint8Array {
  checkEncodeLength('certificate_request_context', cr.context.length, 0, 0xff);
  checkEncodeLength('CertificateRequest.extensions', cr.extensions.length, 1, 0xffff);
  const w = new Writer();
  w.vec8(cr.context);
  writeExtensions(w, cr.extensions);
  return w.finish();
}

/**
 * Decodes a CertificateRequest body.
 *
 * @throws TlsError DECODE_ERROR for a malformed body, an extensions block under 2 bytes, or
 * trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER for a duplicate extension (§4.2)
 * @throws TlsError MISSING_EXTENSION without signature_algorithms (§4.3.2, §9.2)
 */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body);
  const context = r.vec8('certificate_request_context');
  const extensions = readExtensions(r, 'CertificateRequest.extensions', 2);
  r.end('CertificateRequest');
  // §4.3.2: "The "signature_algorithms" extension MUST be specified"; §9.2: a missing mandatory
  // extension ends the handshake with "missing_extension".
  if (!hasExtension(extensions, ExtensionType.signature_algorithms)) {
    throw new TlsError('MISSING_EXTENSION', 'tls: CertificateRequest without signature_algorithms');
  }
  return { context, extensions };
}
