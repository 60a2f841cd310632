import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { illegalParameter } from '../error.ts';
import { equalBytes, fromHex } from '../util/bytes.ts';
import { RANDOM_LENGTH } from './client-hello.ts';
import { checkEncodeLength } from './encode-check.ts';
import type { CipherSuite, ProtocolVersion } from './enums.ts';
import { type Extension, readExtensions, writeExtensions } from './extensions/extension.ts';

/*
 * RFC 8446 §4.1.3:
 *
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;    // TLS v1.2
 *       Random random;
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;
 *   } ServerHello;
 *
 * HelloRetryRequest (§4.1.4) has the same structure. The TLS 1.2 ServerHello (RFC 5246
 * §7.4.1.3) has the same fields with an optional extensions block of <0..2^16-1>; this codec
 * reads both.
 */

/**
 * ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
 */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = fromHex(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
);

/**
 * The last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates TLS 1.2
 * ("DOWNGRD" 01, RFC 8446 §4.1.3).
 */
export const DOWNGRADE_TLS12_SENTINEL: Uint8Array = fromHex('444f574e47524401');

/**
 * The last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates TLS 1.1 or below
 * ("DOWNGRD" 00, RFC 8446 §4.1.3).
 */
export const DOWNGRADE_TLS11_SENTINEL: Uint8Array = fromHex('444f574e47524400');

/** A ServerHello or HelloRetryRequest. Legacy fields are kept as sent. */
export interface ServerHello {
  /** legacy_version: 0x0303 in TLS 1.3 (§4.1.3); the negotiated version in TLS 1.2. */
  legacyVersion: ProtocolVersion;
  /** 32 bytes; {@link HELLO_RETRY_REQUEST_RANDOM} marks a HelloRetryRequest. */
  random: Uint8Array;
  /** legacy_session_id_echo: the client's legacy_session_id (TLS 1.2: the session id). */
  legacySessionId: Uint8Array;
  cipherSuite: CipherSuite;
  /** legacy_compression_method: always 0 (we never offer compression). */
  legacyCompressionMethod: number;
  /** Extensions in wire order; an empty list encodes no block (a TLS 1.2 hello may omit it). */
  extensions: Extension[];
}

/**
 * Encodes a ServerHello or HelloRetryRequest body (no handshake header).
 *
 * @throws TlsError INTERNAL_ERROR when a field is outside its bounds
 */
export function encodeServerHello(sh: ServerHello): Uint8Array {
  checkEncodeLength('random', sh.random.length, RANDOM_LENGTH, RANDOM_LENGTH);
  checkEncodeLength('legacy_session_id_echo', sh.legacySessionId.length, 0, 32);
  const w = new Writer(256);
  w.u16(sh.legacyVersion).bytes(sh.random).vec8(sh.legacySessionId);
  w.u16(sh.cipherSuite).u8(sh.legacyCompressionMethod);
  if (sh.extensions.length > 0) writeExtensions(w, sh.extensions);
  return w.finish();
}

/**
 * Decodes a ServerHello or HelloRetryRequest body. Use {@link isHelloRetryRequest} on the result
 * first (§4.1.3: examine the Random before anything else).
 *
 * @throws TlsError DECODE_ERROR for a truncated or malformed hello, a vector outside its bounds,
 * or trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER for a duplicate extension (§4.2) or a compression method
 * other than 0
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body);
  const legacyVersion = r.u16('ServerHello.legacy_version');
  const random = r.bytes(RANDOM_LENGTH, 'ServerHello.random');
  const legacySessionId = r.vec8('legacy_session_id_echo', 0, 32);
  const cipherSuite = r.u16('ServerHello.cipher_suite');
  const legacyCompressionMethod = r.u8('legacy_compression_method');
  const extensions = r.done ? [] : readExtensions(r, 'ServerHello.extensions');
  r.end('ServerHello');
  // §4.1.3: "legacy_compression_method: A single byte which MUST have the value 0." We offer
  // only null compression in every version, so any other value was not offered.
  if (legacyCompressionMethod !== 0) {
    throw illegalParameter(`tls: ServerHello compression method ${legacyCompressionMethod}`);
  }
  return {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuite,
    legacyCompressionMethod,
    extensions,
  };
}

/** Whether a decoded ServerHello is a HelloRetryRequest (its random is the §4.1.3 constant). */
export function isHelloRetryRequest(sh: ServerHello): boolean {
  return equalBytes(sh.random, HELLO_RETRY_REQUEST_RANDOM);
}

/**
 * The downgrade sentinel in a ServerHello.random, if any: 'tls12' or 'tls11' (RFC 8446
 * §4.1.3). A TLS 1.3 client that negotiated TLS 1.2 or below must abort with illegal_parameter
 * on either.
 */
export function downgradeSentinel(random: Uint8Array): 'tls12' | 'tls11' | undefined {
  if (random.length !== RANDOM_LENGTH) return undefined;
  const tail = random.subarray(RANDOM_LENGTH - 8);
  if (equalBytes(tail, DOWNGRADE_TLS12_SENTINEL)) return 'tls12';
  if (equalBytes(tail, DOWNGRADE_TLS11_SENTINEL)) return 'tls11';
  return undefined;
}
