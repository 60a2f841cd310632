/** The CLI's flag, address and name parsing (src/cli/args.ts, src/cli/names.ts). */
import { describe, expect, it } from 'vitest';
import {
  listFlag,
  parseByteCount,
  parseFlags,
  parseHostPort,
  splitAlpn,
  splitList,
  stringFlag,
  UsageError,
} from '../../src/cli/args.ts';
import { parseCipherSuites, parseGroups } from '../../src/cli/names.ts';
import {
  RECORD_SIZE_FLAGS,
  recordPaddingFromFlags,
  recordSizeLimitFromFlags,
  recordSizeLimitLine,
} from '../../src/cli/record-size.ts';
import { CipherSuite, NamedGroup } from '../../src/msgs/enums.ts';

describe('parseHostPort', () => {
  it('reads HOST:PORT, [IPv6]:PORT and, with a default host, a bare port', () => {
    expect(parseHostPort('example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseHostPort('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseHostPort('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseHostPort('4433', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 4433 });
  });

  it('refuses a bare IPv6 address, a missing port and out-of-range ports', () => {
    expect(() => parseHostPort('::1:443')).toThrow(UsageError);
    expect(() => parseHostPort('example.com')).toThrow(UsageError);
    expect(() => parseHostPort('4433')).toThrow(UsageError);
    expect(() => parseHostPort('host:65536')).toThrow(/out of range/);
    expect(() => parseHostPort('host:http')).toThrow(UsageError);
  });
});

describe('parseFlags', () => {
  const spec = { connect: 'string', quiet: 'boolean' } as const;

  it('takes values from the next argument and booleans alone', () => {
    expect(parseFlags(['-connect', 'h:1', '-quiet'], spec)).toEqual({
      connect: 'h:1',
      quiet: true,
    });
  });

  it('refuses unknown flags, missing values and stray arguments', () => {
    expect(() => parseFlags(['-nope'], spec)).toThrow(/unknown option/);
    expect(() => parseFlags(['-connect'], spec)).toThrow(/needs a value/);
    expect(() => parseFlags(['stray'], spec)).toThrow(/unexpected argument/);
  });

  it('collects every value of a repeatable flag in order (-ech_key a -ech_key b)', () => {
    const repeat = { ech_key: 'repeat', quiet: 'boolean' } as const;
    const flags = parseFlags(['-ech_key', 'a.pem', '-quiet', '-ech_key', 'b.pem'], repeat);
    expect(listFlag(flags, 'ech_key')).toEqual(['a.pem', 'b.pem']);
    expect(listFlag(parseFlags([], repeat), 'ech_key')).toEqual([]);
    expect(stringFlag(flags, 'ech_key')).toBeUndefined();
    expect(() => parseFlags(['-ech_key'], repeat)).toThrow(/needs a value/);
  });
});

describe('parseByteCount (-max_early_data)', () => {
  it('reads whole numbers from 0 to 2^32-1 (max_early_data_size is a uint32)', () => {
    expect(parseByteCount('0', '-max_early_data')).toBe(0);
    expect(parseByteCount('16384', '-max_early_data')).toBe(16384);
    expect(parseByteCount('4294967295', '-max_early_data')).toBe(0xffffffff);
  });

  it('refuses negative, fractional, non-numeric and too large counts, naming the flag', () => {
    for (const text of ['-1', '1.5', '16k', '', '4294967296', '99999999999']) {
      expect(() => parseByteCount(text, '-max_early_data')).toThrow(/-max_early_data/);
    }
  });
});

describe('-record_size_limit and -record_padding', () => {
  const parse = (...argv: string[]) =>
    recordSizeLimitFromFlags(parseFlags(argv, RECORD_SIZE_FLAGS));

  it('gives a number, false for off, undefined without the flag', () => {
    expect(parse('-record_size_limit', '600')).toBe(600);
    expect(parse('-record_size_limit', 'off')).toBe(false);
    expect(parse()).toBeUndefined();
  });

  it('refuses anything else (the range is checked by the config)', () => {
    for (const bad of ['', '-1', '1e3', '0x40', 'none', '123456']) {
      expect(() => parse('-record_size_limit', bad)).toThrow(UsageError);
    }
  });

  it('-record_padding gives a number of bytes', () => {
    const padding = (...argv: string[]) =>
      recordPaddingFromFlags(parseFlags(argv, RECORD_SIZE_FLAGS));
    expect(padding('-record_padding', '512')).toBe(512);
    expect(padding()).toBeUndefined();
    expect(() => padding('-record_padding', 'big')).toThrow(UsageError);
  });

  it('summarises the negotiated limits, or none', () => {
    const info = { recordSizeLimit: { sent: 1025, received: 600 } };
    expect(recordSizeLimitLine(info as never)).toBe('Record size limit: sent 1025, received 600');
    expect(recordSizeLimitLine({} as never)).toBe('Record size limit: none');
  });
});

describe('group and suite names', () => {
  it('accepts openssl spellings', () => {
    expect(parseGroups(splitList('X25519MLKEM768:x25519:P-256:prime256v1:secp384r1'))).toEqual([
      NamedGroup.X25519MLKEM768,
      NamedGroup.x25519,
      NamedGroup.secp256r1,
      NamedGroup.secp256r1,
      NamedGroup.secp384r1,
    ]);
    expect(
      parseCipherSuites(splitList('TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256')),
    ).toEqual([CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256]);
  });

  it('refuses unknown names', () => {
    expect(() => parseGroups(['ffdhe2048'])).toThrow(UsageError);
    expect(() => parseCipherSuites(['ECDHE-RSA-AES128-GCM-SHA256'])).toThrow(UsageError);
  });

  it('splits ALPN lists on commas only', () => {
    expect(splitAlpn('h2, http/1.1')).toEqual(['h2', 'http/1.1']);
  });
});
