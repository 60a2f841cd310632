import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { illegalParameter } from '../../error.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 8446 §4.2.11:
 *
 *   struct {
 *       opaque identity<1..2^16-1>;
 *       uint32 obfuscated_ticket_age;
 *   } PskIdentity;
 *
 *   opaque PskBinderEntry<32..255>;
 *
 *   struct {
 *       PskIdentity identities<7..2^16-1>;
 *       PskBinderEntry binders<33..2^16-1>;
 *   } OfferedPsks;
 *
 *   struct {
 *       select (Handshake.msg_type) {
 *           case client_hello: OfferedPsks;
 *           case server_hello: uint16 selected_identity;
 *       };
 *   } PreSharedKeyExtension;
 */

/** One offered PSK identity. */
export interface PskIdentity {
  /** A ticket (Appendix B.3.4) or the label of an external PSK. */
  identity: Uint8Array;
  /** The ticket age in ms plus ticket_age_add, mod 2^32 (§4.2.11.1); 0 for external PSKs. */
  obfuscatedTicketAge: number;
}

/** The ClientHello form of pre_shared_key. */
export interface OfferedPsks {
  identities: PskIdentity[];
  /** One HMAC per identity, in the same order (§4.2.11.2). */
  binders: Uint8Array[];
}

/**
 * Encodes the ClientHello pre_shared_key extension_data. Binders may be placeholders of the
 * right lengths while the binder transcript is computed (see `psk-binders.ts`).
 *
 * @throws TlsError INTERNAL_ERROR for empty lists, a count mismatch, or out-of-range entries
 */
export function encodeOfferedPsks(psks: OfferedPsks): Uint8Array {
  checkEncodeLength(
    'binders count',
    psks.binders.length,
    psks.identities.length,
    psks.identities.length,
  );
  checkEncodeLength('identities count', psks.identities.length, 1, 0xffff);
  const w = new Writer();
  w.vec(2, (list) => {
    for (const id of psks.identities) {
      checkEncodeLength('identity', id.identity.length, 1, 0xffff);
      list.vec16(id.identity).u32(id.obfuscatedTicketAge >>> 0);
    }
  });
  w.vec(2, (list) => {
    for (const binder of psks.binders) {
      checkEncodeLength('PskBinderEntry', binder.length, 32, 255);
      list.vec8(binder);
    }
  });
  return w.finish();
}

/**
 * Decodes the ClientHello pre_shared_key extension_data.
 *
 * @throws TlsError DECODE_ERROR for lists or entries outside their bounds, or trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER when the number of binders differs from the number of
 * identities (§4.2.11: one binder "for each value in the identities list")
 */
export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = new Reader(data);
  const ids = r.sub(2, 'identities', 7);
  const bs = r.sub(2, 'binders', 33);
  r.end('pre_shared_key extension');
  const identities: PskIdentity[] = [];
  while (!ids.done) {
    const identity = ids.vec16('PskIdentity.identity', 1);
    const obfuscatedTicketAge = ids.u32('obfuscated_ticket_age');
    identities.push({ identity, obfuscatedTicketAge });
  }
  const binders: Uint8Array[] = [];
  while (!bs.done) binders.push(bs.vec8('PskBinderEntry', 32, 255));
  if (binders.length !== identities.length) {
    throw illegalParameter(
      `tls: pre_shared_key has ${identities.length} identities but ${binders.length} binders`,
    );
  }
  return { identities, binders };
}

/** Encodes the ServerHello pre_shared_key extension_data: the selected identity's index. */
export function encodePreSharedKeyServerHello(selectedIdentity: number): Uint8Array {
  return new Writer().u16(selectedIdentity).finish();
}

/**
 * Decodes the ServerHello pre_shared_key extension_data. Whether the index is within the
 * offered list is the handshake's check (§4.2.11, illegal_parameter).
 *
 * @throws TlsError DECODE_ERROR unless the data is exactly two bytes
 */
export function decodePreSharedKeyServerHello(data: Uint8Array): number {
  const r = new Reader(data);
  const selected = r.u16('selected_identity');
  r.end('pre_shared_key extension');
  return selected;
}

/**
 * The length in bytes of the encoded `binders` vector (its u16 length included) for binders of
 * the given lengths. The binder transcript is the ClientHello minus exactly these trailing
 * bytes (§4.2.11.2).
 */
export function pskBindersLength(binderLengths: readonly number[]): number {
  let n = 2;
  for (const len of binderLengths) n += 1 + len;
  return n;
}
