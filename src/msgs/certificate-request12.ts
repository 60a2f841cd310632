import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';
import type { SignatureScheme } from './enums.ts';

/*
 * RFC 5246 §7.4.4 (TLS 1.2 CertificateRequest):
 *
 *   enum {
 *       rsa_sign(1), dss_sign(2), rsa_fixed_dh(3), dss_fixed_dh(4),
 *       rsa_ephemeral_dh_RESERVED(5), dss_ephemeral_dh_RESERVED(6),
 *       fortezza_dms_RESERVED(20), (255)
 *   } ClientCertificateType;
 *
 *   opaque DistinguishedName<1..2^16-1>;
 *
 *   struct {
 *       ClientCertificateType certificate_types<1..2^8-1>;
 *       SignatureAndHashAlgorithm
 *         supported_signature_algorithms<2^16-1>;
 *       DistinguishedName certificate_authorities<0..2^16-1>;
 *   } CertificateRequest;
 *
 * RFC 8422 §5.5 adds ecdsa_sign(64). The signature list is <2..2^16-2> in practice (RFC 5246
 * §7.4.1.4.1 uses that bound for the same type).
 */

/** ClientCertificateType values webtls uses. */
export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

/** A TLS 1.2 CertificateRequest. */
export interface CertificateRequest12 {
  certificateTypes: number[];
  schemes: SignatureScheme[];
  /** DER DistinguishedNames of acceptable CAs, possibly none. */
  authorities: Uint8Array[];
}

/** Encodes a TLS 1.2 CertificateRequest body. */
export function encodeCertificateRequest12(cr: CertificateRequest12): Uint8Array {
  checkEncodeLength('certificate_types', cr.certificateTypes.length, 1, 255);
  const w = new Writer();
  w.vec8(Uint8Array.from(cr.certificateTypes));
  w.u16List(2, cr.schemes);
  w.vec(2, (list) => {
    for (const dn of cr.authorities) list.vec16(dn);
  });
  return w.finish();
}

/**
 * Decodes a TLS 1.2 CertificateRequest body.
 *
 * @throws TlsError DECODE_ERROR for an empty type or signature list, an empty name, a
 * malformed vector or trailing bytes
 */
export function decodeCertificateRequest12(body: Uint8Array): CertificateRequest12 {
  const r = new Reader(body);
  const certificateTypes = Array.from(r.vec8('certificate_types', 1));
  const schemes = r.u16List(2, 'supported_signature_algorithms', 2, 0xfffe);
  const list = r.sub(2, 'certificate_authorities');
  r.end('CertificateRequest');
  const authorities: Uint8Array[] = [];
  while (!list.done) authorities.push(list.vec16('DistinguishedName', 1));
  return { certificateTypes, schemes, authorities };
}
