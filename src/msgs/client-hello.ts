import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { illegalParameter, TlsError } from '../error.ts';
import { checkEncodeLength } from './encode-check.ts';
import { type CipherSuite, ExtensionType, ProtocolVersion } from './enums.ts';
import {
  type Extension,
  findExtension,
  readExtensions,
  writeExtensions,
} from './extensions/extension.ts';
import { decodeSupportedVersionsClient } from './extensions/supported-versions.ts';

/*
 * RFC 8446 §4.1.2:
 *
 *   uint16 ProtocolVersion;
 *   opaque Random[32];
 *
 *   uint8 CipherSuite[2];    // Cryptographic suite selector
 *
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;    // TLS v1.2
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello;
 *
 * The same struct serves TLS 1.2 (RFC 5246 §7.4.1.2), where the extensions block is optional and
 * its bounds are <0..2^16-1>; this codec reads both.
 */

/** Length of ClientHello.random and ServerHello.random. */
export const RANDOM_LENGTH = 32;

/** A ClientHello. Legacy fields are kept as sent so a TLS 1.2 hello decodes too. */
export interface ClientHello {
  /** legacy_version: 0x0303 in TLS 1.3 (§4.1.2); the highest version in TLS 1.2 and earlier. */
  legacyVersion: ProtocolVersion;
  /** 32 random bytes. */
  random: Uint8Array;
  /** legacy_session_id, 0..32 bytes (32 random bytes in compatibility mode, §D.4). */
  legacySessionId: Uint8Array;
  /** cipher_suites in preference order, unknown and GREASE values kept. */
  cipherSuites: CipherSuite[];
  /** legacy_compression_methods: exactly [0] in TLS 1.3. */
  legacyCompressionMethods: Uint8Array;
  /**
   * Extensions in wire order. Empty when the hello had no extensions block; when encoding, an
   * empty list writes no block (as TLS 1.0-1.2 hellos without extensions do).
   */
  extensions: Extension[];
}

/**
 * Encodes a ClientHello body (no handshake header; see `encodeHandshake`).
 *
 * @throws TlsError INTERNAL_ERROR when a field is outside its bounds
 */
export function encodeClientHello(ch: ClientHello): Uint8Array {
  checkEncodeLength('random', ch.random.length, RANDOM_LENGTH, RANDOM_LENGTH);
  checkEncodeLength('legacy_session_id', ch.legacySessionId.length, 0, 32);
  checkEncodeLength('cipher_suites', 2 * ch.cipherSuites.length, 2, 0xfffe);
  checkEncodeLength('legacy_compression_methods', ch.legacyCompressionMethods.length, 1, 0xff);
  const w = new Writer(512);
  w.u16(ch.legacyVersion).bytes(ch.random).vec8(ch.legacySessionId);
  w.u16List(2, ch.cipherSuites).vec8(ch.legacyCompressionMethods);
  if (ch.extensions.length > 0) writeExtensions(w, ch.extensions);
  return w.finish();
}

/**
 * Decodes a ClientHello body.
 *
 * @throws TlsError DECODE_ERROR for a truncated or malformed hello, a vector outside its bounds,
 * or trailing bytes (§4.1.2: after legacy_compression_methods there must be nothing or a valid
 * extensions block with nothing after it)
 * @throws TlsError ILLEGAL_PARAMETER for a duplicate extension (§4.2), or a hello offering
 * TLS 1.3 whose legacy_compression_methods is not exactly [0] (§4.1.2)
 */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body);
  const legacyVersion = r.u16('ClientHello.legacy_version');
  const random = r.bytes(RANDOM_LENGTH, 'ClientHello.random');
  const legacySessionId = r.vec8('legacy_session_id', 0, 32);
  const cipherSuites = r.u16List(2, 'cipher_suites', 2, 0xfffe);
  const legacyCompressionMethods = r.vec8('legacy_compression_methods', 1);
  // §4.1.2: "The presence of extensions can be detected by determining whether there are bytes
  // following the compression_methods field at the end of the ClientHello."
  const extensions = r.done ? [] : readExtensions(r, 'ClientHello.extensions');
  r.end('ClientHello');
  const ch = {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
  if (offersTls13(ch)) {
    // §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly one byte, set to
    // zero [...]. If a TLS 1.3 ClientHello is received with any other value in this field, the
    // server MUST abort the handshake with an "illegal_parameter" alert."
    if (legacyCompressionMethods.length !== 1 || legacyCompressionMethods[0] !== 0) {
      throw illegalParameter('tls: TLS 1.3 ClientHello with compression methods other than [0]');
    }
  }
  return ch;
}

/**
 * Whether a ClientHello offers TLS 1.3: its supported_versions extension lists 0x0304 (§9.2: "A
 * client is considered to be attempting to negotiate using this specification if the ClientHello
 * contains a "supported_versions" extension with 0x0304 contained in its body").
 *
 * @throws TlsError DECODE_ERROR when the supported_versions extension is malformed
 */
export function offersTls13(ch: ClientHello): boolean {
  const data = findExtension(ch.extensions, ExtensionType.supported_versions);
  if (data === undefined) return false;
  return decodeSupportedVersionsClient(data).includes(ProtocolVersion.TLSv1_3);
}

/**
 * The §9.2 extension requirements on a ClientHello that offers TLS 1.3 (call after
 * {@link offersTls13} returned true, when negotiating TLS 1.3):
 *
 * - without pre_shared_key, both signature_algorithms and supported_groups;
 * - supported_groups if and only if key_share (an empty client_shares is fine);
 * - with pre_shared_key, psk_key_exchange_modes (§4.2.9).
 *
 * @throws TlsError MISSING_EXTENSION naming the first missing extension
 */
export function checkClientHelloMandatory(ch: ClientHello): void {
  const has = (type: number) => findExtension(ch.extensions, type) !== undefined;
  const missing = (what: string) =>
    new TlsError('MISSING_EXTENSION', `tls: TLS 1.3 ClientHello ${what}`);
  const psk = has(ExtensionType.pre_shared_key);
  // §9.2: "If not containing a "pre_shared_key" extension, it MUST contain both a
  // "signature_algorithms" extension and a "supported_groups" extension."
  if (!psk && !has(ExtensionType.signature_algorithms)) {
    throw missing('without pre_shared_key lacks signature_algorithms');
  }
  if (!psk && !has(ExtensionType.supported_groups)) {
    throw missing('without pre_shared_key lacks supported_groups');
  }
  // §9.2: "If containing a "supported_groups" extension, it MUST also contain a "key_share"
  // extension, and vice versa."
  if (has(ExtensionType.supported_groups) !== has(ExtensionType.key_share)) {
    throw missing('has only one of supported_groups and key_share');
  }
  // §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes" extension,
  // servers MUST abort the handshake."
  if (psk && !has(ExtensionType.psk_key_exchange_modes)) {
    throw missing('offers pre_shared_key without psk_key_exchange_modes');
  }
}
