/**
 * Finds out what a runtime's WebCrypto can do by trying each operation once, never by sniffing
 * the runtime. Each probe runs the operation on fixed inputs and compares the result with
 * @noble's, so a present-but-wrong implementation counts as absent. Results are cached per
 * SubtleCrypto object as promises, so concurrent callers share one probe.
 */

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { bufferSource as buf, equalBytes } from '../util/bytes.ts';
import { ed25519Pkcs8, x25519Pkcs8 } from './pkcs8.ts';

/** Operations some WebCrypto implementations lack, with a @noble fallback each. */
export type NativeFeature = 'X25519' | 'Ed25519' | 'ChaCha20-Poly1305' | 'ML-KEM-768';

/**
 * The parts of WebCrypto's "modern algorithms" extension (ChaCha20-Poly1305, ML-KEM) that
 * TypeScript's DOM library does not declare yet.
 */
export interface ModernSubtle {
  importKey(
    format: string,
    keyData: BufferSource,
    algorithm: AlgorithmIdentifier,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  exportKey(format: string, key: CryptoKey): Promise<ArrayBuffer>;
  generateKey(
    algorithm: AlgorithmIdentifier,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKeyPair>;
  encrypt(algorithm: object, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  decrypt(algorithm: object, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  encapsulateBits(
    algorithm: AlgorithmIdentifier,
    encapsulationKey: CryptoKey,
  ): Promise<{ sharedKey: ArrayBuffer; ciphertext: ArrayBuffer }>;
  decapsulateBits(
    algorithm: AlgorithmIdentifier,
    decapsulationKey: CryptoKey,
    ciphertext: BufferSource,
  ): Promise<ArrayBuffer>;
}

const cache = new WeakMap<SubtleCrypto, Map<NativeFeature, Promise<boolean>>>();

/** Whether `subtle` implements `feature` correctly. Never rejects. */
export function nativeSupport(subtle: SubtleCrypto, feature: NativeFeature): Promise<boolean> {
  let perSubtle = cache.get(subtle);
  if (!perSubtle) {
    perSubtle = new Map();
    cache.set(subtle, perSubtle);
  }
  let result = perSubtle.get(feature);
  if (!result) {
    result = PROBES[feature](subtle).then(
      (ok) => ok,
      () => false,
    );
    perSubtle.set(feature, result);
  }
  return result;
}

/** Fixed, public probe inputs: nothing secret is at stake. */
function pattern(n: number, start: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, (_, i) => (start + 7 * i) & 0xff);
}

const PROBES: Record<NativeFeature, (subtle: SubtleCrypto) => Promise<boolean>> = {
  async X25519(subtle) {
    const a = pattern(32, 1);
    const bPublic = x25519.getPublicKey(pattern(32, 2));
    const priv = await subtle.importKey('pkcs8', buf(x25519Pkcs8(a)), { name: 'X25519' }, false, [
      'deriveBits',
    ]);
    const pub = await subtle.importKey('raw', buf(bPublic), { name: 'X25519' }, true, []);
    const bits = await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256);
    // generateKey and raw public export are the other operations the provider uses.
    const pair = (await subtle.generateKey({ name: 'X25519' }, false, [
      'deriveBits',
    ])) as CryptoKeyPair;
    const exported = await subtle.exportKey('raw', pair.publicKey);
    return (
      exported.byteLength === 32 &&
      equalBytes(new Uint8Array(bits), x25519.getSharedSecret(a, bPublic))
    );
  },

  async Ed25519(subtle) {
    const seed = pattern(32, 3);
    const message = pattern(40, 4);
    const priv = await subtle.importKey(
      'pkcs8',
      buf(ed25519Pkcs8(seed)),
      { name: 'Ed25519' },
      false,
      ['sign'],
    );
    const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, priv, message));
    const pub = await subtle.importKey(
      'raw',
      buf(ed25519.getPublicKey(seed)),
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    const ok = await subtle.verify({ name: 'Ed25519' }, pub, sig, message);
    // Ed25519 is deterministic (RFC 8032 §5.1.6): both must produce the same bytes.
    return ok && equalBytes(sig, ed25519.sign(message, seed));
  },

  async 'ChaCha20-Poly1305'(subtle) {
    const modern = subtle as unknown as ModernSubtle;
    const key = pattern(32, 5);
    const iv = pattern(12, 6);
    const aad = pattern(13, 7);
    const plaintext = pattern(50, 8);
    const k = await modern.importKey('raw-secret', key, { name: 'ChaCha20-Poly1305' }, false, [
      'encrypt',
      'decrypt',
    ]);
    const params = { name: 'ChaCha20-Poly1305', iv, additionalData: aad };
    const sealed = new Uint8Array(await modern.encrypt(params, k, plaintext));
    const opened = new Uint8Array(await modern.decrypt(params, k, sealed));
    const expected = chacha20poly1305(key, iv, aad).encrypt(plaintext);
    return equalBytes(sealed, expected) && equalBytes(opened, plaintext);
  },

  async 'ML-KEM-768'(subtle) {
    const modern = subtle as unknown as ModernSubtle;
    const alg = { name: 'ML-KEM-768' };
    // Native encapsulation to a noble key, opened by noble.
    const nobleKeys = ml_kem768.keygen(pattern(64, 9));
    const ek = await modern.importKey('raw-public', buf(nobleKeys.publicKey), alg, false, [
      'encapsulateBits',
    ]);
    const enc = await modern.encapsulateBits(alg, ek);
    const opened = ml_kem768.decapsulate(new Uint8Array(enc.ciphertext), nobleKeys.secretKey);
    if (!equalBytes(opened, new Uint8Array(enc.sharedKey))) return false;
    // Noble encapsulation to a native key, opened natively.
    const pair = await modern.generateKey(alg, false, ['encapsulateBits', 'decapsulateBits']);
    const nativeEk = new Uint8Array(await modern.exportKey('raw-public', pair.publicKey));
    const nobleEnc = ml_kem768.encapsulate(nativeEk, pattern(32, 10));
    const secret = await modern.decapsulateBits(alg, pair.privateKey, buf(nobleEnc.cipherText));
    return equalBytes(new Uint8Array(secret), nobleEnc.sharedSecret);
  },
};
