import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';

/*
 * RFC 5077 §3.3 (TLS 1.2; TLS 1.3's NewSessionTicket is a different message of the same type):
 *
 *   struct {
 *       uint32 ticket_lifetime_hint;
 *       opaque ticket<0..2^16-1>;
 *   } NewSessionTicket;
 */

/** A TLS 1.2 NewSessionTicket. */
export interface NewSessionTicket12 {
  /** Seconds the client may keep the ticket; 0 means unspecified. */
  lifetimeHint: number;
  /** The opaque ticket; empty when the server decided not to issue one after all. */
  ticket: Uint8Array;
}

/** Encodes a TLS 1.2 NewSessionTicket body. */
export function encodeNewSessionTicket12(nst: NewSessionTicket12): Uint8Array {
  return new Writer(nst.ticket.length + 6)
    .u32(nst.lifetimeHint >>> 0)
    .vec16(nst.ticket)
    .finish();
}

/**
 * Decodes a TLS 1.2 NewSessionTicket body.
 *
 * @throws TlsError DECODE_ERROR for a truncated body or trailing bytes
 */
export function decodeNewSessionTicket12(body: Uint8Array): NewSessionTicket12 {
  const r = new Reader(body);
  const lifetimeHint = r.u32('ticket_lifetime_hint');
  const ticket = r.vec16('ticket').slice();
  r.end('NewSessionTicket');
  return { lifetimeHint, ticket };
}
