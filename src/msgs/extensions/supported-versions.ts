import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';
import type { ProtocolVersion } from '../enums.ts';

/*
 * RFC 8446 §4.2.1:
 *
 *   struct {
 *       select (Handshake.msg_type) {
 *           case client_hello:
 *                ProtocolVersion versions<2..254>;
 *
 *           case server_hello: // and HelloRetryRequest
 *                ProtocolVersion selected_version;
 *       };
 *   } SupportedVersions;
 */

/**
 * Encodes the ClientHello supported_versions extension_data, most preferred first.
 *
 * @throws TlsError INTERNAL_ERROR for an empty list or more than 127 versions
 */
export function encodeSupportedVersionsClient(versions: readonly ProtocolVersion[]): Uint8Array {
  checkEncodeLength('versions', 2 * versions.length, 2, 254);
  return new Writer().u16List(1, versions).finish();
}

/**
 * Decodes the ClientHello supported_versions extension_data, keeping unknown and GREASE values.
 *
 * @throws TlsError DECODE_ERROR for an empty or odd-length list, or trailing bytes
 */
export function decodeSupportedVersionsClient(data: Uint8Array): ProtocolVersion[] {
  const r = new Reader(data);
  const versions = r.u16List(1, 'versions', 2, 254);
  r.end('supported_versions extension');
  return versions;
}

/** Encodes the ServerHello / HelloRetryRequest supported_versions extension_data. */
export function encodeSupportedVersionsServer(version: ProtocolVersion): Uint8Array {
  return new Writer().u16(version).finish();
}

/**
 * Decodes the ServerHello / HelloRetryRequest supported_versions extension_data. Whether the
 * version was offered and is at least TLS 1.3 is the handshake's check (§4.2.1).
 *
 * @throws TlsError DECODE_ERROR unless the data is exactly two bytes
 */
export function decodeSupportedVersionsServer(data: Uint8Array): ProtocolVersion {
  const r = new Reader(data);
  const version = r.u16('selected_version');
  r.end('supported_versions extension');
  return version;
}
