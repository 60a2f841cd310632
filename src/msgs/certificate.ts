import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';
import { type Extension, readExtensions, writeExtensions } from './extensions/extension.ts';

/*
 * RFC 8446 §4.4.2:
 *
 *   struct {
 *       select (certificate_type) {
 *           case RawPublicKey:
 *             // From RFC 7250 ASN.1_subjectPublicKeyInfo
 *             opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;
 *
 *           case X509:
 *             opaque cert_data<1..2^24-1>;
 *       };
 *       Extension extensions<0..2^16-1>;
 *   } CertificateEntry;
 *
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       CertificateEntry certificate_list<0..2^24-1>;
 *   } Certificate;
 *
 * Both certificate types have the same wire shape, so `data` holds either.
 */

/** One certificate with its per-entry extensions (status_request, SCTs, §4.4.2.1). */
export interface CertificateEntry {
  /** cert_data (DER X.509) or ASN1_subjectPublicKeyInfo for raw public keys. */
  data: Uint8Array;
  extensions: Extension[];
}

/** A Certificate message. The sender's end-entity certificate comes first (§4.4.2). */
export interface Certificate {
  /** certificate_request_context: empty in the main handshake's server Certificate. */
  context: Uint8Array;
  entries: CertificateEntry[];
}

/**
 * Encodes a Certificate body.
 *
 * @throws TlsError INTERNAL_ERROR when a field is outside its bounds
 */
export function encodeCertificate(cert: Certificate): Uint8Array {
  checkEncodeLength('certificate_request_context', cert.context.length, 0, 0xff);
  const w = new Writer(4096);
  w.vec8(cert.context);
  w.vec(3, (list) => {
    for (const entry of cert.entries) {
      checkEncodeLength('cert_data', entry.data.length, 1, 0xffffff);
      list.vec24(entry.data);
      writeExtensions(list, entry.extensions);
    }
  });
  return w.finish();
}

/**
 * Decodes a Certificate body. An empty certificate_list decodes; whether it is acceptable is
 * the handshake's decision (§4.4.2.4).
 *
 * @throws TlsError DECODE_ERROR for an empty cert_data, a malformed list, or trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER for a duplicate extension in one entry (§4.2)
 */
export function decodeCertificate(body: Uint8Array): Certificate {
  const r = new Reader(body);
  const context = r.vec8('certificate_request_context');
  const list = r.sub(3, 'certificate_list');
  r.end('Certificate');
  const entries: CertificateEntry[] = [];
  while (!list.done) {
    const data = list.vec24('cert_data', 1);
    const extensions = readExtensions(list, 'CertificateEntry.extensions');
    entries.push({ data, extensions });
  }
  return { context, entries };
}
