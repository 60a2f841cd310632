/**
 * The part of signature verification that does not depend on a provider: decoding the scheme
 * and the key, and deciding whether the scheme can apply to the key at all.
 */

import { TlsError } from '../error.ts';
import { nameOf, SignatureScheme } from '../msgs/enums.ts';
import { toHex } from '../util/bytes.ts';
import { Lru } from '../util/lru.ts';
import { hashLength } from './provider.ts';
import { type SchemeInfo, schemeInfo } from './schemes.ts';
import { type ParsedSpki, parseSpki } from './spki.ts';

/**
 * Parsed keys by their DER (hex). Parsing checks an EC point is on its curve with BigInt
 * arithmetic, a tenth of a millisecond each, for keys (a chain's CAs, a server's own) that
 * recur on every handshake. Entries are never modified: `parseSpki` results are read-only.
 */
const parsedKeys = new Lru<string, ParsedSpki>(64);

/** `parseSpki`, through the cache of recently parsed keys. */
function parsedSpki(spki: Uint8Array): ParsedSpki {
  const id = toHex(spki);
  let parsed = parsedKeys.get(id);
  if (!parsed) {
    // A private copy: the result's views must not see later changes to the caller's array.
    parsed = parseSpki(spki.slice());
    parsedKeys.set(id, parsed);
  }
  return parsed;
}

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
  const key = parsedSpki(spki);
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
