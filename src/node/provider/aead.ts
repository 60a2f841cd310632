/**
 * AEAD on node:crypto: AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 (RFC 8439), which OpenSSL
 * has natively. Each record gets its own cipher context from a KeyObject made once per traffic
 * key; every call is synchronous, so caller buffers are read before the returned promise exists
 * and need no defensive copies.
 *
 * Copies: node:crypto always returns its output in a buffer of its own. `open` hands that buffer
 * on as it is, with no copy; `seal` copies the ciphertext once to append the tag, and
 * `sealInPlace` copies it once into the caller's buffer, which saves the record layer a copy and
 * an allocation. There is no `openInPlace`: it would add a copy to what `open` does.
 */

import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import {
  AEAD_TAG_LENGTH,
  badRecordMac,
  checkAeadKey,
  checkNonce,
} from '../../crypto/noble-aead.ts';
import type { AeadAlgorithm, AeadKey } from '../../crypto/provider.ts';
import { plain } from './bytes.ts';

type NodeAeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

const CIPHERS: Record<AeadAlgorithm, NodeAeadName> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};

/** A keyed AEAD over node:crypto. Throws as the interface says for bad keys. */
export function nodeAead(alg: AeadAlgorithm, key: Uint8Array): AeadKey {
  const k = checkAeadKey(alg, key);
  const secret: KeyObject = createSecretKey(k);
  k.fill(0);
  const cipher = CIPHERS[alg];
  // RFC 8446 §5.3 / RFC 5116: 12-byte nonces and 16-byte tags for all three.
  const options = { authTagLength: AEAD_TAG_LENGTH };
  // node's typings have one overload per AEAD family, with the same methods; the casts below
  // pick one so a union of names type-checks.

  /** Encrypts `plaintext`; returns OpenSSL's ciphertext buffer and the tag. */
  const encrypt = (nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => {
    checkNonce(nonce);
    const c = createCipheriv(cipher as 'aes-128-gcm', secret, nonce, options);
    c.setAAD(aad);
    const body = c.update(plaintext);
    c.final();
    return { body, tag: c.getAuthTag() };
  };

  /**
   * Decrypts `ciphertext || tag` into a buffer of OpenSSL's. RFC 8446 §5.2: a failed tag is
   * bad_record_mac, and the unauthenticated plaintext is wiped, never returned.
   */
  const decrypt = (nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => {
    checkNonce(nonce);
    if (sealed.length < AEAD_TAG_LENGTH) throw badRecordMac();
    const split = sealed.length - AEAD_TAG_LENGTH;
    const d = createDecipheriv(cipher as 'aes-128-gcm', secret, nonce, options);
    d.setAuthTag(sealed.subarray(split));
    d.setAAD(aad);
    const body = d.update(sealed.subarray(0, split));
    try {
      d.final();
    } catch (e) {
      body.fill(0);
      throw badRecordMac(e);
    }
    return body;
  };

  return {
    async seal(nonce, aad, plaintext) {
      const { body, tag } = encrypt(nonce, aad, plaintext);
      const out = new Uint8Array(body.length + AEAD_TAG_LENGTH);
      out.set(body);
      out.set(tag, body.length);
      return out;
    },

    async open(nonce, aad, ciphertext) {
      return plain(decrypt(nonce, aad, ciphertext));
    },

    async sealInPlace(nonce, aad, data) {
      if (data.length < AEAD_TAG_LENGTH) throw new RangeError('no room for the AEAD tag');
      const split = data.length - AEAD_TAG_LENGTH;
      const { body, tag } = encrypt(nonce, aad, data.subarray(0, split));
      data.set(body);
      data.set(tag, split);
    },
  };
}
