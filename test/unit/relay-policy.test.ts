/**
 * The relay's policy (workers/relay/policy.ts): allowlist syntax, wildcard and port-range
 * matching, strict destination parsing, the connection counter and close reasons.
 */
import { describe, expect, it } from 'vitest';
import {
  ConnectionCounter,
  checkDestination,
  closeReason,
  DEFAULT_LIMITS,
  type Destination,
  isAllowed,
  parseAllowlist,
  parseAllowRule,
  parseDestination,
  resolveLimits,
} from '../../workers/relay/policy.ts';

function query(text: string): URLSearchParams {
  return new URLSearchParams(text);
}

function destination(text: string): Destination {
  const verdict = parseDestination(query(text));
  if (!verdict.ok) throw new Error(`expected ${text} to parse: ${verdict.reason}`);
  return verdict.value;
}

function allowed(entries: string, text: string): boolean {
  return isAllowed(parseAllowlist(entries), destination(text));
}

describe('parseAllowRule', () => {
  it('reads names, wildcards, IPv4, bracketed IPv6 and port ranges', () => {
    expect(parseAllowRule('Example.COM:443')).toMatchObject({
      host: 'example.com',
      kind: 'name',
      wildcard: false,
      portMin: 443,
      portMax: 443,
    });
    expect(parseAllowRule('*.example.com:443')).toMatchObject({
      host: 'example.com',
      wildcard: true,
    });
    expect(parseAllowRule('127.0.0.1:8443')).toMatchObject({ host: '127.0.0.1', kind: 'ipv4' });
    expect(parseAllowRule('[::1]:8443')).toMatchObject({ host: '::1', kind: 'ipv6' });
    expect(parseAllowRule('[0:0:0:0:0:0:0:1]:8443')).toMatchObject({ host: '::1' });
    expect(parseAllowRule('localhost:1024-65535')).toMatchObject({
      host: 'localhost',
      portMin: 1024,
      portMax: 65535,
    });
  });

  it.each([
    ['example.com', 'expected HOST:PORT'],
    [':443', 'expected HOST:PORT'],
    ['example.com:0', 'the port must be'],
    ['example.com:65536', 'the port must be'],
    ['example.com:https', 'the port must be'],
    ['example.com:2000-1000', 'reversed'],
    ['example.com:*', 'the port must be'],
    ['*:443', 'not a valid DNS name'],
    ['*.*.example.com:443', 'not a valid DNS name'],
    ['*.127.0.0.1:443', 'a wildcard applies to names only'],
    ['::1:443', 'must be in brackets'],
    ['[::1%lo]:443', 'not an IPv6 address'],
    ['10.0.0.1/8:443', 'not a valid DNS name'],
    ['0x7f.0.0.1:443', 'numeric label'],
  ])('rejects %s', (entry, why) => {
    expect(() => parseAllowRule(entry)).toThrow(why);
  });

  it('splits a list on commas and whitespace and rejects the first bad entry', () => {
    expect(parseAllowlist('a.test:443, b.test:443\n[::1]:1')).toHaveLength(3);
    expect(parseAllowlist('')).toEqual([]);
    expect(() => parseAllowlist(['a.test:443', 'bad'])).toThrow('"bad"');
  });
});

describe('parseDestination', () => {
  it('normalises names to lowercase and IPv6 to one form, with or without brackets', () => {
    expect(destination('host=WWW.Example.com&port=443')).toEqual({
      host: 'www.example.com',
      kind: 'name',
      port: 443,
    });
    expect(destination('host=%5B0%3A0%3A0%3A0%3A0%3A0%3A0%3A1%5D&port=1')).toEqual({
      host: '::1',
      kind: 'ipv6',
      port: 1,
    });
    expect(destination('host=%3A%3Affff%3A127.0.0.1&port=1').host).toBe('::ffff:7f00:1');
    expect(destination('host=xn--bcher-kva.example&port=443').kind).toBe('name');
  });

  it.each([
    ['', 'expected exactly one host parameter'],
    ['host=a.test', 'expected exactly one port parameter'],
    ['host=a.test&host=a.test&port=1', 'expected exactly one host parameter'],
    ['host=a.test&port=1&port=2', 'expected exactly one port parameter'],
    ['host=a.test&port=443&via=x', 'unexpected query parameter "via"'],
    ['host=&port=443', 'host is empty'],
    ['host=a.test&port=', 'port must be'],
    ['host=a.test&port=0', 'port must be'],
    ['host=a.test&port=0443', 'port must be'],
    ['host=a.test&port=-1', 'port must be'],
    ['host=a.test&port=443.0', 'port must be'],
    ['host=a.test&port=1e3', 'port must be'],
    ['host=a.test&port=65536', 'port must be'],
    ['host=a.test&port=%20443', 'port must be'],
    ['host=127.1&port=443', 'dotted-decimal'],
    ['host=127.0.0.01&port=443', 'dotted-decimal'],
    ['host=256.0.0.1&port=443', 'dotted-decimal'],
    ['host=2130706433&port=443', 'dotted-decimal'],
    ['host=0x7f000001&port=443', 'numeric label'],
    ['host=a.0X1&port=443', 'numeric label'],
    ['host=a.test.&port=443', 'empty label'],
    ['host=a..test&port=443', 'empty label'],
    ['host=-a.test&port=443', 'not a valid DNS name'],
    ['host=a_b.test&port=443', 'not a valid DNS name'],
    ['host=b%C3%BCcher.example&port=443', 'not a valid DNS name'],
    ['host=a.test%2Fpath&port=443', 'not a valid DNS name'],
    ['host=user%40a.test&port=443', 'not a valid DNS name'],
    ['host=a.test%3A80&port=443', 'not an IPv6 address'],
    ['host=fe80%3A%3A1%25eth0&port=443', 'not an IPv6 address'],
    ['host=%5B%3A%3A1&port=443', 'not an IPv6 address'],
    ['host=1%3A2%3A3&port=443', 'not an IPv6 address'],
    [`host=${'a'.repeat(64)}.test&port=443`, 'over 63'],
    [`host=${'abcdefghi.'.repeat(26)}test&port=443`, 'too long'],
  ])('refuses %j: %s', (text, why) => {
    const verdict = parseDestination(query(text));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain(why);
  });
});

describe('allowlist matching', () => {
  it('denies everything with an empty allowlist', () => {
    expect(allowed('', 'host=example.com&port=443')).toBe(false);
    expect(allowed('', 'host=127.0.0.1&port=443')).toBe(false);
  });

  it('matches a name exactly, case-insensitively, on its port only', () => {
    expect(allowed('example.com:443', 'host=EXAMPLE.com&port=443')).toBe(true);
    expect(allowed('example.com:443', 'host=example.com&port=444')).toBe(false);
    expect(allowed('example.com:443', 'host=www.example.com&port=443')).toBe(false);
    expect(allowed('example.com:443', 'host=example.com.evil.test&port=443')).toBe(false);
    expect(allowed('example.com:443', 'host=evilexample.com&port=443')).toBe(false);
  });

  it('matches a wildcard for names below it, not the name itself nor look-alikes', () => {
    const rules = '*.example.com:443';
    expect(allowed(rules, 'host=a.example.com&port=443')).toBe(true);
    expect(allowed(rules, 'host=a.b.example.com&port=443')).toBe(true);
    expect(allowed(rules, 'host=example.com&port=443')).toBe(false);
    expect(allowed(rules, 'host=badexample.com&port=443')).toBe(false);
    expect(allowed(rules, 'host=a.example.com.evil.test&port=443')).toBe(false);
    expect(allowed(rules, 'host=a.example.com&port=80')).toBe(false);
  });

  it('matches a port range inclusively', () => {
    const rules = 'localhost:1024-65535';
    expect(allowed(rules, 'host=localhost&port=1024')).toBe(true);
    expect(allowed(rules, 'host=localhost&port=65535')).toBe(true);
    expect(allowed(rules, 'host=localhost&port=1023')).toBe(false);
    expect(allowed(rules, 'host=LOCALHOST&port=8443')).toBe(true);
  });

  it('matches IP literals only against the same literal, never through a name', () => {
    expect(allowed('127.0.0.1:8443', 'host=127.0.0.1&port=8443')).toBe(true);
    expect(allowed('127.0.0.1:8443', 'host=127.0.0.2&port=8443')).toBe(false);
    expect(allowed('localhost:8443', 'host=127.0.0.1&port=8443')).toBe(false);
    expect(allowed('127.0.0.1:8443', 'host=localhost&port=8443')).toBe(false);
    expect(allowed('127.0.0.1:8443', 'host=%3A%3Affff%3A127.0.0.1&port=8443')).toBe(false);
    expect(allowed('[::1]:8443', 'host=%3A%3A1&port=8443')).toBe(true);
    expect(allowed('[::1]:8443', 'host=%5B0%3A0%3A0%3A0%3A0%3A0%3A0%3A1%5D&port=8443')).toBe(true);
    expect(allowed('[::1]:8443', 'host=127.0.0.1&port=8443')).toBe(false);
  });

  it('checkDestination says why without naming the allowlist', () => {
    const rules = parseAllowlist('secret-internal.test:443');
    expect(checkDestination(rules, query('host=other.test&port=443'))).toEqual({
      ok: false,
      reason: 'destination not allowed',
    });
    expect(checkDestination(rules, query('host=secret-internal.test&port=443')).ok).toBe(true);
    expect(checkDestination(rules, query('host=secret-internal.test'))).toEqual({
      ok: false,
      reason: 'expected exactly one port parameter',
    });
  });
});

describe('ConnectionCounter', () => {
  it('admits up to the total cap and the per-client cap, and again after release', () => {
    const counter = new ConnectionCounter({ maxConnections: 3, maxConnectionsPerClient: 2 });
    expect(counter.admit('a').ok).toBe(true);
    expect(counter.admit('a').ok).toBe(true);
    expect(counter.admit('a')).toEqual({
      ok: false,
      reason: 'too many connections from this client',
    });
    expect(counter.admit('b').ok).toBe(true);
    expect(counter.admit('c')).toEqual({ ok: false, reason: 'too many connections' });
    expect(counter.total).toBe(3);
    counter.release('a');
    expect(counter.admit('c').ok).toBe(true);
    counter.release('z');
    expect(counter.total).toBe(3);
  });
});

describe('limits and close reasons', () => {
  it('fills in defaults and rejects non-positive or fractional limits', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ idleTimeoutMs: 5 }).idleTimeoutMs).toBe(5);
    expect(() => resolveLimits({ maxConnections: 0 })).toThrow('maxConnections');
    expect(() => resolveLimits({ maxBytesPerDirection: 1.5 })).toThrow('maxBytesPerDirection');
    expect(() => resolveLimits({ idleTimeoutMs: Number.NaN })).toThrow('idleTimeoutMs');
  });

  it('cuts a close reason to 123 bytes of UTF-8 on a character boundary', () => {
    expect(closeReason('short')).toBe('short');
    expect(new TextEncoder().encode(closeReason('x'.repeat(300))).length).toBe(123);
    const cut = closeReason('é'.repeat(100));
    expect(new TextEncoder().encode(cut).length).toBe(122);
    expect(cut).toBe('é'.repeat(61));
  });
});
