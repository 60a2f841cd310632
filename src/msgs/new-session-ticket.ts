import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { checkEncodeLength } from './encode-check.ts';
import { type Extension, readExtensions, writeExtensions } from './extensions/extension.ts';

/*
 * RFC 8446 §4.6.1:
 *
 *   struct {
 *       uint32 ticket_lifetime;
 *       uint32 ticket_age_add;
 *       opaque ticket_nonce<0..255>;
 *       opaque ticket<1..2^16-1>;
 *       Extension extensions<0..2^16-2>;
 *   } NewSessionTicket;
 */

/** The longest ticket_lifetime a server may send, in seconds: seven days (§4.6.1). */
export const MAX_TICKET_LIFETIME = 604800;

/** A TLS 1.3 NewSessionTicket. */
export interface NewSessionTicket {
  /** Seconds the ticket may be used for. Values over 7 days are not checked here (§4.6.1). */
  lifetime: number;
  /** Added (mod 2^32) to the ticket age in obfuscated_ticket_age (§4.2.11.1). */
  ageAdd: number;
  /** ticket_nonce: input to the resumption PSK derivation. */
  nonce: Uint8Array;
  /** The opaque ticket, sent back as a PSK identity. */
  ticket: Uint8Array;
  /** Only early_data is defined here (max_early_data_size). */
  extensions: Extension[];
}

/**
 * Encodes a NewSessionTicket body.
 *
 * @throws TlsError INTERNAL_ERROR when a field is outside its bounds
 */
export function encodeNewSessionTicket(nst: NewSessionTicket): Uint8Array {
  checkEncodeLength('ticket_nonce', nst.nonce.length, 0, 255);
  checkEncodeLength('ticket', nst.ticket.length, 1, 0xffff);
  const w = new Writer();
  w.u32(nst.lifetime >>> 0)
    .u32(nst.ageAdd >>> 0)
    .vec8(nst.nonce)
    .vec16(nst.ticket);
  writeExtensions(w, nst.extensions);
  return w.finish();
}

/**
 * Decodes a NewSessionTicket body.
 *
 * @throws TlsError DECODE_ERROR for an empty ticket, a malformed body, or trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER for a duplicate extension (§4.2)
 */
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body);
  const lifetime = r.u32('ticket_lifetime');
  const ageAdd = r.u32('ticket_age_add');
  const nonce = r.vec8('ticket_nonce');
  const ticket = r.vec16('ticket', 1);
  const extensions = readExtensions(r, 'NewSessionTicket.extensions', 0, 0xfffe);
  r.end('NewSessionTicket');
  return { lifetime, ageAdd, nonce, ticket, extensions };
}
