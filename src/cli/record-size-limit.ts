/**
 * `-record_size_limit N|off` for `webtls s_client` and `s_server`: the record_size_limit to
 * advertise (RFC 8449, ClientConfig/ServerConfig.recordSizeLimit), and its summary line.
 */
import type { ConnectionInfo } from '../conn/types.ts';
import { type FlagSpec, type ParsedFlags, stringFlag, UsageError } from './args.ts';

/** The flag, for a command's FlagSpec. */
export const RECORD_SIZE_LIMIT_FLAGS: FlagSpec = { record_size_limit: 'string' };

/** The flag's lines in a command's usage text. */
export const RECORD_SIZE_LIMIT_USAGE = `  -record_size_limit N  RFC 8449: the largest record to accept, 64 to 16385 (default 16385,
                        advertised); "off" advertises none. The summary shows "Record size
                        limit: sent N, received M" when the peer negotiated it, else "none"`;

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

/** The summary line: the limits in force, as RFC 8449 counts them, or `none`. */
export function recordSizeLimitLine(info: ConnectionInfo): string {
  const limit = info.recordSizeLimit;
  const value = limit ? `sent ${limit.sent}, received ${limit.received}` : 'none';
  return `Record size limit: ${value}`;
}
