import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { decodeError } from '../../error.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 7301 §3.1, application_layer_protocol_negotiation:
 *
 *   opaque ProtocolName<1..2^8-1>;
 *
 *   struct {
 *       ProtocolName protocol_name_list<2..2^16-1>
 *   } ProtocolNameList;
 *
 * The client offers a list; the server's reply (EncryptedExtensions in TLS 1.3, ServerHello in
 * TLS 1.2) has the same structure with exactly one name.
 */

/**
 * Encodes the ClientHello ALPN extension_data. Protocol names are opaque bytes (`h2`,
 * `http/1.1` as ASCII).
 *
 * @throws TlsError INTERNAL_ERROR for an empty list, an empty name, or a name over 255 bytes
 */
export function encodeAlpn(protocols: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of protocols) total += 1 + p.length;
  checkEncodeLength('protocol_name_list', total, 2, 0xffff);
  const w = new Writer();
  w.vec(2, (list) => {
    for (const p of protocols) {
      checkEncodeLength('ProtocolName', p.length, 1, 0xff);
      list.vec8(p);
    }
  });
  return w.finish();
}

/**
 * Decodes the ClientHello ALPN extension_data into its protocol names, in preference order.
 *
 * @throws TlsError DECODE_ERROR for an empty list, an empty name (RFC 7301 §3.1: "Empty strings
 * MUST NOT be included"), a truncated name, or trailing bytes
 */
export function decodeAlpn(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data);
  const list = r.sub(2, 'protocol_name_list', 2);
  r.end('application_layer_protocol_negotiation extension');
  const out: Uint8Array[] = [];
  while (!list.done) out.push(list.vec8('ProtocolName', 1));
  return out;
}

/** Encodes the server's ALPN extension_data: a list of exactly one protocol name. */
export function encodeAlpnSelected(protocol: Uint8Array): Uint8Array {
  return encodeAlpn([protocol]);
}

/**
 * Decodes the server's ALPN extension_data and returns the selected protocol.
 *
 * @throws TlsError DECODE_ERROR as {@link decodeAlpn}, and when the list does not hold exactly
 * one name (RFC 7301 §3.1: the server's "ProtocolNameList" MUST contain exactly one
 * "ProtocolName")
 */
export function decodeAlpnSelected(data: Uint8Array): Uint8Array {
  const names = decodeAlpn(data);
  if (names.length !== 1) {
    throw decodeError(`tls: server ALPN reply lists ${names.length} protocols, not exactly one`);
  }
  return names[0];
}
