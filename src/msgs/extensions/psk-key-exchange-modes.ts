import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';
import type { PskKeyExchangeMode } from '../enums.ts';

/*
 * RFC 8446 §4.2.9:
 *
 *   enum { psk_ke(0), psk_dhe_ke(1), (255) } PskKeyExchangeMode;
 *
 *   struct {
 *       PskKeyExchangeMode ke_modes<1..255>;
 *   } PskKeyExchangeModes;
 */

/**
 * Encodes the psk_key_exchange_modes extension_data.
 *
 * @throws TlsError INTERNAL_ERROR for an empty list or more than 255 modes
 */
export function encodePskKeyExchangeModes(modes: readonly PskKeyExchangeMode[]): Uint8Array {
  checkEncodeLength('ke_modes', modes.length, 1, 255);
  return new Writer().vec8(Uint8Array.from(modes)).finish();
}

/**
 * Decodes the psk_key_exchange_modes extension_data, keeping unknown modes (a server ignores
 * them).
 *
 * @throws TlsError DECODE_ERROR for an empty list or trailing bytes
 */
export function decodePskKeyExchangeModes(data: Uint8Array): PskKeyExchangeMode[] {
  const r = new Reader(data);
  const modes = r.vec8('ke_modes', 1);
  r.end('psk_key_exchange_modes extension');
  return Array.from(modes);
}
