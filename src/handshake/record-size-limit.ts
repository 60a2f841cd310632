import type { ConnectionCore } from '../conn/core.ts';
import { ExtensionType } from '../msgs/enums.ts';
import { type Extension, findExtension } from '../msgs/extensions/extension.ts';
import {
  decodeRecordSizeLimit,
  encodeRecordSizeLimit,
} from '../msgs/extensions/record-size-limit.ts';
import { MAX_PLAINTEXT } from '../record/deframer.ts';

/*
 * RFC 8449 record_size_limit in the hellos. A client sends its limit in the ClientHello, a
 * server that also sent one answers in EncryptedExtensions (TLS 1.3) or the ServerHello
 * (TLS 1.2); only then is it negotiated, and each side holds its protected records to the
 * other's limit (ConnectionCore.limitRecords).
 */

/**
 * Our record_size_limit extension. §4: the value may not exceed the protocol's own maximum,
 * 2^14 in TLS 1.2 and 2^14 + 1 in TLS 1.3; a hello that may still negotiate TLS 1.3 carries
 * the TLS 1.3 value.
 */
export function recordSizeLimitExtension(limit: number, tls12: boolean): Extension {
  const value = tls12 ? Math.min(limit, MAX_PLAINTEXT) : limit;
  return { type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(value) };
}

/**
 * The peer's record_size_limit, if its hello carried one.
 *
 * @throws TlsError ILLEGAL_PARAMETER for a value below 64, DECODE_ERROR for a malformed one
 */
export function peerRecordSizeLimit(extensions: readonly Extension[]): number | undefined {
  const data = findExtension(extensions, ExtensionType.record_size_limit);
  return data === undefined ? undefined : decodeRecordSizeLimit(data);
}

/**
 * Server: when the client sent a record_size_limit and we have one, the extension that answers
 * it, with the limits applied to `conn` (our records from here on fit the client's); else
 * undefined, and the client's value is not even read (as a server without RFC 8449 would).
 */
export function answerRecordSizeLimit(
  conn: ConnectionCore,
  ours: number | undefined,
  clientExtensions: readonly Extension[],
  tls12: boolean,
): Extension | undefined {
  if (ours === undefined) return undefined;
  const clientLimit = peerRecordSizeLimit(clientExtensions);
  if (clientLimit === undefined) return undefined;
  conn.limitRecords(clientLimit, ours);
  return recordSizeLimitExtension(ours, tls12);
}
