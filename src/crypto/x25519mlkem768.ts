/**
 * The X25519MLKEM768 hybrid group (0x11ec), draft-ietf-tls-ecdhe-mlkem §3 (Construction):
 *
 *   client share  = ML-KEM-768 encapsulation key (1184) || X25519 share (32)   = 1216 bytes
 *   server share  = ML-KEM-768 ciphertext (1088)        || X25519 share (32)   = 1120 bytes
 *   shared secret = ML-KEM shared secret (32)           || X25519 secret (32)  =   64 bytes
 *
 * The ML-KEM part comes first in all three, unlike the other hybrids of the draft.
 * This is not X-Wing (which hashes the parts together); the two primitives are combined here.
 */

import { TlsError } from '../error.ts';
import { NamedGroup } from '../msgs/enums.ts';
import { concat } from '../util/bytes.ts';
import { type DhAlgorithm, illegalShare } from './dh.ts';
import type { KeyExchangeGroup, KeyShare } from './provider.ts';

/** FIPS 203 Table 3, ML-KEM-768 sizes. */
export const MLKEM768_ENCAPSULATION_KEY_LENGTH = 1184;
export const MLKEM768_CIPHERTEXT_LENGTH = 1088;
const X25519_LENGTH = 32;

/** Client share length (draft §3.1). */
export const X25519MLKEM768_CLIENT_SHARE_LENGTH = MLKEM768_ENCAPSULATION_KEY_LENGTH + X25519_LENGTH;
/** Server share length (draft §3.2). */
export const X25519MLKEM768_SERVER_SHARE_LENGTH = MLKEM768_CIPHERTEXT_LENGTH + X25519_LENGTH;

/** An ML-KEM-768 implementation as a provider supplies it. */
export interface MlKem768 {
  /** A fresh key pair: the encapsulation key to send, and decapsulation with its private half. */
  keygen(): Promise<{
    encapsulationKey: Uint8Array;
    decapsulate(ciphertext: Uint8Array): Promise<Uint8Array>;
  }>;
  /** Encapsulates to a (validated) encapsulation key. */
  encapsulate(
    encapsulationKey: Uint8Array,
  ): Promise<{ ciphertext: Uint8Array; secret: Uint8Array }>;
}

/** Builds the hybrid group from an X25519 primitive and an ML-KEM-768 implementation. */
export function x25519MlKem768(
  x25519: DhAlgorithm,
  mlkem: MlKem768,
  fips = false,
): KeyExchangeGroup {
  const group = NamedGroup.X25519MLKEM768;
  const name = 'X25519MLKEM768';
  return {
    group,
    name,
    fips,

    async generate(): Promise<KeyShare> {
      const kem = await mlkem.keygen();
      const dh = await x25519.keyPair();
      return {
        group,
        publicKey: concat(kem.encapsulationKey, dh.publicKey),
        async complete(peerShare: Uint8Array): Promise<Uint8Array> {
          // Draft §3.2: the client MUST check the ciphertext length, else illegal_parameter.
          const share = peerShare.slice();
          if (share.length !== X25519MLKEM768_SERVER_SHARE_LENGTH) {
            throw illegalShare(`${name} server share has length ${share.length}`);
          }
          const ct = share.subarray(0, MLKEM768_CIPHERTEXT_LENGTH);
          // Draft §3.2: the ECDH part is validated as RFC 8446 §4.2.8.2 requires.
          const ecdh = await dh.derive(share.subarray(MLKEM768_CIPHERTEXT_LENGTH));
          let kemSecret: Uint8Array;
          try {
            kemSecret = await kem.decapsulate(ct);
          } catch (e) {
            // Draft §3.2: other decapsulation failures are internal errors.
            throw new TlsError('INTERNAL_ERROR', `${name} decapsulation failed`, {
              layer: 'crypto',
              cause: e,
            });
          }
          // Draft §3.3: ML-KEM shared secret first, then X25519.
          return concat(kemSecret, ecdh);
        },
      };
    },

    async encapsulate(clientShare: Uint8Array): Promise<{ share: Uint8Array; secret: Uint8Array }> {
      const share = clientShare.slice();
      if (share.length !== X25519MLKEM768_CLIENT_SHARE_LENGTH) {
        throw illegalShare(`${name} client share has length ${share.length}`);
      }
      const ek = share.subarray(0, MLKEM768_ENCAPSULATION_KEY_LENGTH);
      // Draft §3.2: the encapsulation key check of FIPS 203 §7.2, else illegal_parameter.
      if (!mlkemEncapsulationKeyValid(ek)) {
        throw illegalShare(`${name} client encapsulation key fails the FIPS 203 modulus check`);
      }
      const dh = await x25519.keyPair();
      const ecdh = await dh.derive(share.subarray(MLKEM768_ENCAPSULATION_KEY_LENGTH));
      let kem: { ciphertext: Uint8Array; secret: Uint8Array };
      try {
        kem = await mlkem.encapsulate(ek);
      } catch (e) {
        throw illegalShare(`${name} client encapsulation key rejected`, e);
      }
      return {
        share: concat(kem.ciphertext, dh.publicKey),
        // Draft §3.3: ML-KEM shared secret first, then X25519.
        secret: concat(kem.secret, ecdh),
      };
    },
  };
}

/**
 * FIPS 203 §7.2 encapsulation key checks for ML-KEM-768: the length (type check), and the
 * modulus check ByteEncode12(ByteDecode12(ek[0:384k])) == ek[0:384k], i.e. every 12-bit
 * coefficient of t-hat is below q = 3329.
 */
export function mlkemEncapsulationKeyValid(ek: Uint8Array): boolean {
  if (ek.length !== MLKEM768_ENCAPSULATION_KEY_LENGTH) return false;
  const polyBytes = 384 * 3;
  for (let i = 0; i < polyBytes; i += 3) {
    const a = ek[i] | ((ek[i + 1] & 0x0f) << 8);
    const b = (ek[i + 1] >> 4) | (ek[i + 2] << 4);
    if (a >= 3329 || b >= 3329) return false;
  }
  return true;
}
