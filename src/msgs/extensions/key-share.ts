import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { illegalParameter } from '../../error.ts';
import { checkEncodeLength } from '../encode-check.ts';
import { NamedGroup, nameOf } from '../enums.ts';

/*
 * RFC 8446 §4.2.8:
 *
 *   struct {
 *       NamedGroup group;
 *       opaque key_exchange<1..2^16-1>;
 *   } KeyShareEntry;
 *
 *   struct {
 *       KeyShareEntry client_shares<0..2^16-1>;
 *   } KeyShareClientHello;
 *
 *   struct {
 *       NamedGroup selected_group;
 *   } KeyShareHelloRetryRequest;
 *
 *   struct {
 *       KeyShareEntry server_share;
 *   } KeyShareServerHello;
 */

/** One key share: a group and its public key exchange value. */
export interface KeyShareEntry {
  group: NamedGroup;
  /** key_exchange: the encoded public value (its format depends on the group, §4.2.8.2). */
  keyExchange: Uint8Array;
}

function writeEntry(w: Writer, entry: KeyShareEntry): void {
  checkEncodeLength('key_exchange', entry.keyExchange.length, 1, 0xffff);
  w.u16(entry.group).vec16(entry.keyExchange);
}

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16('KeyShareEntry.group');
  const keyExchange = r.vec16(`${nameOf(NamedGroup, group)} key_exchange`, 1);
  return { group, keyExchange };
}

/**
 * Encodes the ClientHello key_share extension_data. An empty list asks the server to pick a
 * group with a HelloRetryRequest (§4.2.8).
 */
export function encodeKeyShareClientHello(entries: readonly KeyShareEntry[]): Uint8Array {
  const w = new Writer();
  w.vec(2, (list) => {
    for (const e of entries) writeEntry(list, e);
  });
  return w.finish();
}

/**
 * Decodes the ClientHello key_share extension_data, in the client's preference order.
 *
 * @throws TlsError DECODE_ERROR for a malformed list or an empty key_exchange
 * @throws TlsError ILLEGAL_PARAMETER when two entries share a group (§4.2.8)
 */
export function decodeKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  const r = new Reader(data);
  const list = r.sub(2, 'client_shares');
  r.end('key_share extension');
  const out: KeyShareEntry[] = [];
  const groups = new Set<number>();
  while (!list.done) {
    const entry = readEntry(list);
    // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same
    // group. [...] Servers MAY check for violations of these rules and abort the handshake with
    // an "illegal_parameter" alert if one is violated."
    if (groups.has(entry.group)) {
      throw illegalParameter(`tls: two key shares for ${nameOf(NamedGroup, entry.group)}`);
    }
    groups.add(entry.group);
    out.push(entry);
  }
  return out;
}

/** Encodes the ServerHello key_share extension_data: the one server share. */
export function encodeKeyShareServerHello(entry: KeyShareEntry): Uint8Array {
  const w = new Writer();
  writeEntry(w, entry);
  return w.finish();
}

/**
 * Decodes the ServerHello key_share extension_data.
 *
 * @throws TlsError DECODE_ERROR for a malformed entry, an empty key_exchange, or trailing bytes
 */
export function decodeKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  const r = new Reader(data);
  const entry = readEntry(r);
  r.end('key_share extension');
  return entry;
}

/** Encodes the HelloRetryRequest key_share extension_data: the selected group. */
export function encodeKeyShareHelloRetryRequest(group: NamedGroup): Uint8Array {
  return new Writer().u16(group).finish();
}

/**
 * Decodes the HelloRetryRequest key_share extension_data.
 *
 * @throws TlsError DECODE_ERROR unless the data is exactly two bytes
 */
export function decodeKeyShareHelloRetryRequest(data: Uint8Array): NamedGroup {
  const r = new Reader(data);
  const group = r.u16('selected_group');
  r.end('key_share extension');
  return group;
}
