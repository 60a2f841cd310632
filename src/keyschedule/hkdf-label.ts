import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { hashLength } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
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
  const full = labelBytes(label);
  // opaque label<7..255>, opaque context<0..255>.
  if (full.length > 255 || context.length > 255) {
    throw new TlsError('INTERNAL_ERROR', 'tls: HkdfLabel label or context over 255 bytes', {
      layer: 'codec',
    });
  }
  const out = new Uint8Array(4 + full.length + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = full.length;
  out.set(full, 3);
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** "tls13 " + label, encoded once per label: a handshake expands a dozen fixed labels. */
const LABELS = new Map<string, Uint8Array>();

function labelBytes(label: string): Uint8Array {
  let bytes = LABELS.get(label);
  if (bytes === undefined) {
    bytes = utf8(`tls13 ${label}`);
    // Labels are the RFC's constants and the exporter's; a bound keeps odd callers harmless.
    if (LABELS.size < 64) LABELS.set(label, bytes);
  }
  return bytes;
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
