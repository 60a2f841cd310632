import { Writer } from '../codec/writer.ts';
import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { hashLength } from '../crypto/provider.ts';
import { utf8 } from '../util/bytes.ts';

/**
 * RFC 8446 §7.1:
 *
 *   HKDF-Expand-Label(Secret, Label, Context, Length) =
 *        HKDF-Expand(Secret, HkdfLabel, Length)
 *
 *   struct {
 *       uint16 length = Length;
 *       opaque label<7..255> = "tls13 " + Label;
 *       opaque context<0..255> = Context;
 *   } HkdfLabel;
 */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  return new Writer(10 + label.length + context.length)
    .u16(length)
    .vec8(utf8(`tls13 ${label}`))
    .vec8(context)
    .finish();
}

export function expandLabel(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return provider.hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

/** RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages). */
export function deriveSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return expandLabel(provider, hash, secret, label, transcriptHash, hashLength[hash]);
}
