import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { illegalParameter } from '../../error.ts';
import { checkEncodeLength } from '../encode-check.ts';

/*
 * RFC 8449 §4:
 *
 *   uint16 RecordSizeLimit;
 */

/** The smallest record_size_limit an endpoint may send or accept (RFC 8449 §4). */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** The largest an endpoint may send: TLS 1.3's 2^14 + 1 (RFC 8449 §4; TLS 1.2's is 2^14). */
export const MAX_RECORD_SIZE_LIMIT = 2 ** 14 + 1;

/**
 * Encodes the record_size_limit extension_data.
 *
 * @throws TlsError INTERNAL_ERROR for a value below 64 or above 65535
 */
export function encodeRecordSizeLimit(limit: number): Uint8Array {
  checkEncodeLength('RecordSizeLimit', limit, MIN_RECORD_SIZE_LIMIT, 0xffff);
  return new Writer().u16(limit).finish();
}

/**
 * Decodes the record_size_limit extension_data. Values above the protocol's record size are
 * returned as sent; the record layer caps them.
 *
 * @throws TlsError DECODE_ERROR unless the data is exactly two bytes
 * @throws TlsError ILLEGAL_PARAMETER for a value below 64 (RFC 8449 §4)
 */
export function decodeRecordSizeLimit(data: Uint8Array): number {
  const r = new Reader(data);
  const limit = r.u16('RecordSizeLimit');
  r.end('record_size_limit extension');
  // RFC 8449 §4: "An endpoint MUST treat receipt of a smaller value as a fatal error and
  // generate an "illegal_parameter" alert."
  if (limit < MIN_RECORD_SIZE_LIMIT) {
    throw illegalParameter(`tls: record_size_limit ${limit} is below ${MIN_RECORD_SIZE_LIMIT}`);
  }
  return limit;
}
