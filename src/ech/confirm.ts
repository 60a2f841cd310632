import { type CryptoProvider, type HashAlgorithm, hashLength } from '../crypto/provider.ts';
import { expandLabel } from '../keyschedule/hkdf-label.ts';
import { ECH_CONFIRMATION_LENGTH } from '../msgs/extensions/ech.ts';

/**
 * draft-ietf-tls-esni §7.2 and §7.2.1: the server's signal that it accepted ECH, in the last
 * eight bytes of ServerHello.random, or in HelloRetryRequest's encrypted_client_hello:
 *
 *   accept_confirmation = HKDF-Expand-Label(
 *      HKDF-Extract(0, ClientHelloInner.random),
 *      "ech accept confirmation",        // "hrr ech accept confirmation" for HRR
 *      transcript_ech_conf,
 *      8)
 *
 * `transcriptHash` is the transcript hash over ClientHelloInner (and, for the ServerHello after
 * a HelloRetryRequest, the earlier messages) up to the ServerHello or HelloRetryRequest whose
 * signal bytes are zero.
 */
export async function echConfirmation(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  innerRandom: Uint8Array,
  transcriptHash: Uint8Array,
  hrr: boolean,
): Promise<Uint8Array> {
  const zeros = new Uint8Array(hashLength[hash]);
  const prk = await provider.hkdfExtract(hash, zeros, innerRandom);
  const label = hrr ? 'hrr ech accept confirmation' : 'ech accept confirmation';
  return expandLabel(provider, hash, prk, label, transcriptHash, ECH_CONFIRMATION_LENGTH);
}
