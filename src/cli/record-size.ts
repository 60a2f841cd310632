/**
 * Record sizes for `webtls s_client` and `s_server`: `-record_size_limit N|off`, the
 * record_size_limit to advertise (RFC 8449, `recordSizeLimit`), with its summary line, and
 * `-record_padding N`, TLS 1.3 record padding (RFC 8446 §5.4, `recordPadding`).
 */
import type { ConnectionInfo } from '../conn/types.ts';
import { type FlagSpec, type ParsedFlags, stringFlag, UsageError } from './args.ts';

/** The flag, for a command's FlagSpec. */
export const RECORD_SIZE_FLAGS: FlagSpec = {
  record_size_limit: 'string',
  record_padding: 'string',
};

/** The flags' lines in a command's usage text. */
export const RECORD_SIZE_USAGE = `\
  -record_size_limit N  RFC 8449: the largest record to accept, 64 to 16385 (default 16385,
                        advertised); "off" advertises none. The summary shows "Record size
                        limit: sent N, received M" when the peer negotiated it, else "none"
  -record_padding N     TLS 1.3: pad each record's plaintext to a multiple of N bytes`;

/**
 * The value `-record_size_limit` gives: a number, false for `off`, undefined without the flag
 * (the library's default). The range is the config's to check.
 *
 * @throws UsageError for anything but a whole number or `off`
 */
export function recordSizeLimitFromFlags(flags: ParsedFlags): number | false | undefined {
  const text = stringFlag(flags, 'record_size_limit');
  if (text === undefined) return undefined;
  if (text === 'off') return false;
  if (!/^\d{1,5}$/.test(text)) {
    throw new UsageError(`-record_size_limit needs a number from 64 to 16385 or "off": '${text}'`);
  }
  return Number(text);
}

/**
 * The block `-record_padding` gives, undefined without the flag. The range is the config's to
 * check.
 *
 * @throws UsageError for anything but a whole number
 */
export function recordPaddingFromFlags(flags: ParsedFlags): number | undefined {
  const text = stringFlag(flags, 'record_padding');
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text)) {
    throw new UsageError(`-record_padding needs a number of bytes from 0 to 16384: '${text}'`);
  }
  return Number(text);
}

/** The summary line: the limits in force, as RFC 8449 counts them, or `none`. */
export function recordSizeLimitLine(info: ConnectionInfo): string {
  const limit = info.recordSizeLimit;
  const value = limit ? `sent ${limit.sent}, received ${limit.received}` : 'none';
  return `Record size limit: ${value}`;
}
