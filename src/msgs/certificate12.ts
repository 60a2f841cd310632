import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';

/*
 * RFC 5246 §7.4.2 (TLS 1.2 Certificate; TLS 1.3 adds a context and per-entry extensions):
 *
 *   opaque ASN.1Cert<1..2^24-1>;
 *
 *   struct {
 *       ASN.1Cert certificate_list<0..2^24-1>;
 *   } Certificate;
 */

/**
 * Encodes a TLS 1.2 Certificate body from DER certificates, sender's certificate first.
 *
 * @throws TlsError INTERNAL_ERROR for an empty certificate or one over 2^24-1 bytes
 */
export function encodeCertificate12(chain: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(4096);
  w.vec(3, (list) => {
    for (const cert of chain) {
      checkEncodeLength('ASN.1Cert', cert.length, 1, 0xffffff);
      list.vec24(cert);
    }
  });
  return w.finish();
}

/**
 * Decodes a TLS 1.2 Certificate body into DER certificates. An empty list decodes; whether it
 * is acceptable is the handshake's decision.
 *
 * @throws TlsError DECODE_ERROR for an empty certificate, a malformed list or trailing bytes
 */
export function decodeCertificate12(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body);
  const list = r.sub(3, 'certificate_list');
  r.end('Certificate');
  const chain: Uint8Array[] = [];
  while (!list.done) chain.push(list.vec24('ASN.1Cert', 1));
  return chain;
}
