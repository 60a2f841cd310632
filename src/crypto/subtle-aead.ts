/**
 * AEAD with WebCrypto: AES-GCM everywhere, ChaCha20-Poly1305 where the runtime has it (the
 * "modern algorithms" extension), else @noble/ciphers. The key is imported once per AeadKey.
 */

import { bufferSource } from '../util/bytes.ts';
import {
  AEAD_TAG_LENGTH,
  badRecordMac,
  checkAeadKey,
  checkNonce,
  nobleAead,
} from './noble-aead.ts';
import type { AeadAlgorithm, AeadKey } from './provider.ts';
import type { ModernSubtle } from './subtle-probe.ts';

/** A keyed AEAD over WebCrypto; `chachaNative` says whether to use the runtime's ChaCha20. */
export async function subtleAead(
  subtle: SubtleCrypto,
  alg: AeadAlgorithm,
  key: Uint8Array,
  chachaNative: () => Promise<boolean>,
): Promise<AeadKey> {
  const k = checkAeadKey(alg, key);
  let name: string;
  let cryptoKey: CryptoKey;
  if (alg === 'CHACHA20-POLY1305') {
    if (!(await chachaNative())) return nobleAead(alg, k);
    name = 'ChaCha20-Poly1305';
    cryptoKey = await (subtle as unknown as ModernSubtle).importKey(
      'raw-secret',
      bufferSource(k),
      { name },
      false,
      ['encrypt', 'decrypt'],
    );
  } else {
    name = 'AES-GCM';
    cryptoKey = await subtle.importKey('raw', bufferSource(k), { name }, false, [
      'encrypt',
      'decrypt',
    ]);
  }
  k.fill(0);

  // WebCrypto takes a copy of its data when encrypt() or decrypt() is called (W3C Web
  // Cryptography API, the first steps of both methods), so the caller's plaintext or ciphertext
  // is passed as it is: one more 16 KiB copy per record, a fresh ArrayBuffer each, roughly
  // halved Chromium's pipelined AES-GCM throughput (bench/chromium.ts). The nonce and AAD are
  // a few bytes and are still copied.
  const params = (nonce: Uint8Array, aad: Uint8Array) =>
    name === 'AES-GCM'
      ? {
          name,
          iv: bufferSource(nonce.slice()),
          additionalData: bufferSource(aad.slice()),
          tagLength: 128,
        }
      : { name, iv: bufferSource(nonce.slice()), additionalData: bufferSource(aad.slice()) };

  return {
    async seal(nonce, aad, plaintext) {
      checkNonce(nonce);
      const out = await subtle.encrypt(params(nonce, aad), cryptoKey, bufferSource(plaintext));
      return new Uint8Array(out);
    },
    async open(nonce, aad, ciphertext) {
      checkNonce(nonce);
      if (ciphertext.length < AEAD_TAG_LENGTH) throw badRecordMac();
      try {
        const out = await subtle.decrypt(params(nonce, aad), cryptoKey, bufferSource(ciphertext));
        return new Uint8Array(out);
      } catch (e) {
        // RFC 8446 §5.2: a failed deprotection is bad_record_mac.
        throw badRecordMac(e);
      }
    },
  };
}
