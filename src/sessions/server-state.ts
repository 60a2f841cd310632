import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { fromUtf8, utf8 } from '../util/bytes.ts';

/**
 * What a server needs to resume a session, for either version: sealed into a ticket by a
 * Ticketer or kept in a ServerSessionCache.
 */
export interface ServerSessionState {
  /** ProtocolVersion of the session. */
  version: number;
  cipherSuite: number;
  /** TLS 1.2: the master secret. TLS 1.3: the resumption PSK. */
  secret: Uint8Array;
  /** TLS 1.2: the session used the extended master secret (RFC 7627). */
  extendedMasterSecret: boolean;
  /** When the full handshake completed, ms since the epoch. */
  createdAt: number;
  /** The SNI name of the full handshake (RFC 6066 §3: a resumption must not change it). */
  serverName?: string;
  /** The ALPN protocol of the full handshake. */
  alpn?: string;
  /** TLS 1.3: when this ticket was issued, ms since the epoch (for ticket ages, §8.3). */
  issuedAt: number;
  /** TLS 1.3: the ticket's ticket_age_add (RFC 8446 §4.6.1); 0 for TLS 1.2. */
  ageAdd: number;
  /** TLS 1.3: the max_early_data_size the ticket advertised; 0 when none. */
  maxEarlyData: number;
}

const FORMAT = 2;

/*
 *   struct {
 *       uint8 format = 1;
 *       ProtocolVersion version;
 *       CipherSuite cipher_suite;
 *       opaque secret<1..255>;
 *       uint8 extended_master_secret;
 *       uint32 created_high; uint32 created_low;   // ms since the epoch
 *       opaque server_name<0..255>;               // UTF-8, empty when none was sent
 *       opaque alpn<0..255>;
 *       uint32 issued_high; uint32 issued_low;     // ms since the epoch
 *       uint32 age_add;
 *       uint32 max_early_data;
 *   } ServerSessionState;
 */

/** Encodes session state (the plaintext of a ticket). */
export function encodeServerState(s: ServerSessionState): Uint8Array {
  const w = new Writer(128);
  w.u8(FORMAT).u16(s.version).u16(s.cipherSuite).vec8(s.secret);
  w.u8(s.extendedMasterSecret ? 1 : 0);
  w.u32(Math.floor(s.createdAt / 2 ** 32)).u32(s.createdAt >>> 0);
  w.vec8(utf8(s.serverName ?? '')).vec8(utf8(s.alpn ?? ''));
  w.u32(Math.floor(s.issuedAt / 2 ** 32)).u32(s.issuedAt >>> 0);
  w.u32(s.ageAdd >>> 0).u32(s.maxEarlyData >>> 0);
  return w.finish();
}

/**
 * Decodes session state; undefined when it is not state this code wrote (the caller falls back
 * to a full handshake rather than failing the connection).
 */
export function decodeServerState(data: Uint8Array): ServerSessionState | undefined {
  try {
    const r = new Reader(data);
    if (r.u8('format') !== FORMAT) return undefined;
    const version = r.u16('version');
    const cipherSuite = r.u16('cipher_suite');
    const secret = r.vec8('secret', 1);
    const ems = r.u8('extended_master_secret');
    const createdAt = r.u32('created_high') * 2 ** 32 + r.u32('created_low');
    const serverName = fromUtf8(r.vec8('server_name'));
    const alpn = fromUtf8(r.vec8('alpn'));
    const issuedAt = r.u32('issued_high') * 2 ** 32 + r.u32('issued_low');
    const ageAdd = r.u32('age_add');
    const maxEarlyData = r.u32('max_early_data');
    r.end('ServerSessionState');
    return {
      version,
      cipherSuite,
      secret: secret.slice(),
      extendedMasterSecret: ems === 1,
      createdAt,
      serverName: serverName.length > 0 ? serverName : undefined,
      alpn: alpn.length > 0 ? alpn : undefined,
      issuedAt,
      ageAdd,
      maxEarlyData,
    };
  } catch {
    return undefined;
  }
}
