/**
 * The part of signature verification that does not depend on a provider: decoding the scheme
 * and the key, and deciding whether the scheme can apply to the key at all.
 */

import { TlsError } from '../error.ts';
import { nameOf, SignatureScheme } from '../msgs/enums.ts';
import { hashLength } from './provider.ts';
import { type SchemeInfo, schemeInfo } from './schemes.ts';
import { type ParsedSpki, parseSpki } from './spki.ts';

/** A scheme and key ready to verify with, or a verdict already reached. */
export type Prepared =
  | { ok: true; info: SchemeInfo; key: ParsedSpki }
  | { ok: false /* the signature cannot be valid */ };

/**
 * Decodes scheme and key and checks they fit together.
 * @throws TlsError UNSUPPORTED_CERTIFICATE for an unknown scheme or unsupported key,
 *   BAD_CERTIFICATE for a malformed key.
 */
export function prepareVerify(scheme: number, spki: Uint8Array): Prepared {
  const info = schemeInfo(scheme);
  if (!info) {
    throw new TlsError(
      'UNSUPPORTED_CERTIFICATE',
      `unsupported signature scheme ${nameOf(SignatureScheme, scheme, 2)}`,
      { layer: 'crypto' },
    );
  }
  const key = parseSpki(spki);
  return schemeFitsKey(info, key) ? { ok: true, info, key } : { ok: false };
}

/**
 * Whether a scheme can verify under a key. A mismatch means the signature is invalid (the
 * verifier reports a bad signature), not that anything is unsupported.
 *
 * ECDSA: any curve, since certificate signatures are not curve-bound; TLS 1.3 CertificateVerify
 * binding (RFC 8446 §4.2.3) is enforced by the handshake with `spkiInfo`.
 * RSA-PSS: rsaEncryption and id-RSASSA-PSS keys both; the handshake binds rsae/pss codepoints.
 * An id-RSASSA-PSS key's parameters must allow the scheme's hash, MGF1 with the same hash, and
 * a salt of the hash length (RFC 4055 §3.1, RFC 8446 §4.2.3).
 * RSA PKCS#1 v1.5: rsaEncryption keys only (RFC 4055 §1.2 keeps PSS keys to PSS).
 */
export function schemeFitsKey(info: SchemeInfo, key: ParsedSpki): boolean {
  switch (info.kind) {
    case 'ecdsa':
      return key.algorithm === 'ecdsa';
    case 'ed25519':
      return key.algorithm === 'ed25519';
    case 'rsa-pkcs1':
      return key.algorithm === 'rsa';
    case 'rsa-pss': {
      if (key.algorithm === 'rsa') return true;
      if (key.algorithm !== 'rsa-pss') return false;
      const p = key.pss;
      if (!p) return true;
      return (
        p.hash === info.hash && p.mgfHash === info.hash && p.saltLength <= hashLength[info.hash]
      );
    }
  }
}
