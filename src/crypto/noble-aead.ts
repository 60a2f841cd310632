/** AEAD with @noble/ciphers: AES-GCM and ChaCha20-Poly1305, and the checks both providers share. */

import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { TlsError } from '../error.ts';
import type { AeadAlgorithm, AeadKey } from './provider.ts';
import { aeadKeyLength } from './provider.ts';

/** Nonce and tag sizes shared by all three AEADs (RFC 8446 §5.3, RFC 5116). */
export const AEAD_NONCE_LENGTH = 12;
export const AEAD_TAG_LENGTH = 16;

/** Validates an algorithm name and key length; returns an owned copy of the key. */
export function checkAeadKey(alg: AeadAlgorithm, key: Uint8Array): Uint8Array {
  const length = aeadKeyLength[alg];
  if (length === undefined) {
    throw new TlsError('CONFIG', `unsupported AEAD ${String(alg)}`, { layer: 'crypto' });
  }
  if (key.length !== length) {
    throw new TlsError('INTERNAL_ERROR', `${alg} key must be ${length} bytes, got ${key.length}`, {
      layer: 'crypto',
    });
  }
  return key.slice();
}

/** Validates a nonce (RFC 8446 §5.3: iv_length is 12 for every TLS 1.3 AEAD). */
export function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== AEAD_NONCE_LENGTH) {
    throw new TlsError('INTERNAL_ERROR', `AEAD nonce must be 12 bytes, got ${nonce.length}`, {
      layer: 'crypto',
    });
  }
}

/** The error every failed AEAD open becomes (RFC 8446 §5.2: bad_record_mac). */
export function badRecordMac(cause?: unknown): TlsError {
  return new TlsError('BAD_RECORD_MAC', 'bad record MAC', { layer: 'record', cause });
}

/**
 * An AeadKey over @noble/ciphers. ChaCha20-Poly1305 also works in place (noble's GCM takes no
 * output buffer): its tag is checked before anything is decrypted, so a failed open leaves the
 * buffer as it was.
 */
export function nobleAead(alg: AeadAlgorithm, key: Uint8Array): AeadKey {
  const k = checkAeadKey(alg, key);
  const cipher = alg === 'CHACHA20-POLY1305' ? chacha20poly1305 : gcm;
  const aead: AeadKey = {
    async seal(nonce, aad, plaintext) {
      checkNonce(nonce);
      return cipher(k, nonce, aad).encrypt(plaintext);
    },
    async open(nonce, aad, ciphertext) {
      checkNonce(nonce);
      if (ciphertext.length < AEAD_TAG_LENGTH) throw badRecordMac();
      try {
        return cipher(k, nonce, aad).decrypt(ciphertext);
      } catch (e) {
        throw badRecordMac(e);
      }
    },
  };
  if (alg !== 'CHACHA20-POLY1305') return aead;
  aead.sealInPlace = async (nonce, aad, data) => {
    checkNonce(nonce);
    chacha20poly1305(k, nonce, aad).encrypt(data.subarray(0, data.length - AEAD_TAG_LENGTH), data);
  };
  aead.openInPlace = async (nonce, aad, data) => {
    checkNonce(nonce);
    if (data.length < AEAD_TAG_LENGTH) throw badRecordMac();
    try {
      chacha20poly1305(k, nonce, aad).decrypt(
        data,
        data.subarray(0, data.length - AEAD_TAG_LENGTH),
      );
    } catch (e) {
      throw badRecordMac(e);
    }
  };
  return aead;
}
