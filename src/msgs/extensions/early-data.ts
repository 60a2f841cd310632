import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';

/*
 * RFC 8446 §4.2.10:
 *
 *   struct {} Empty;
 *
 *   struct {
 *       select (Handshake.msg_type) {
 *           case new_session_ticket:   uint32 max_early_data_size;
 *           case client_hello:         Empty;
 *           case encrypted_extensions: Empty;
 *       };
 *   } EarlyDataIndication;
 *
 * The ClientHello and EncryptedExtensions forms are empty: use `EMPTY_EXTENSION_DATA` and
 * `decodeEmptyExtension`.
 */

/** Encodes the NewSessionTicket early_data extension_data: max_early_data_size. */
export function encodeEarlyDataTicket(maxEarlyDataSize: number): Uint8Array {
  return new Writer().u32(maxEarlyDataSize >>> 0).finish();
}

/**
 * Decodes the NewSessionTicket early_data extension_data.
 *
 * @returns max_early_data_size, the most 0-RTT data the server will accept with this ticket
 * @throws TlsError DECODE_ERROR unless the data is exactly four bytes
 */
export function decodeEarlyDataTicket(data: Uint8Array): number {
  const r = new Reader(data);
  const max = r.u32('max_early_data_size');
  r.end('early_data extension');
  return max;
}
