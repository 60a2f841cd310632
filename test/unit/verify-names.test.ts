/**
 * RFC 6125 reference identities, IP address text (RFC 4291 §2.2, RFC 5952) and the RFC 5280
 * §4.2.1.10 subtree tests behind name constraints.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/util/bytes.ts';
import {
  dnsNameInSubtree,
  dnsNameTouchesSubtree,
  formatIpAddress,
  ipInSubtree,
  isIpAddress,
  matchDnsName,
  matchesIdentity,
  normaliseDnsName,
  parseIpAddress,
  referenceId,
} from '../../src/verify/names.ts';

const ip = (text: string) => {
  const bytes = parseIpAddress(text);
  if (!bytes) throw new Error(`test bug: ${text} is not an address`);
  return bytes;
};
const hexOf = (text: string) => {
  const bytes = parseIpAddress(text);
  return bytes && toHex(bytes);
};

describe('parseIpAddress', () => {
  it.each([
    ['127.0.0.1', '7f000001'],
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['[::1]', '00000000000000000000000000000001'],
    ['0:0:0:0:0:0:0:1', '00000000000000000000000000000001'],
    ['2001:db8::', '20010db8000000000000000000000000'],
    ['2001:DB8:0:0:1::1', '20010db8000000000001000000000001'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1::8', '00010000000000000000000000000008'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['64:ff9b::198.51.100.7', '0064ff9b0000000000000000c6336407'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
  ])('%s is %s', (text, hex) => {
    expect(hexOf(text)).toBe(hex);
    expect(isIpAddress(text)).toBe(true);
  });

  it.each([
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3.-4',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '0x7f.0.0.1',
    ':::',
    '1::2::3',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '12345::',
    'g::1',
    'fe80::1%eth0',
    '::1.2.3.4.5',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    '[::1',
    '[127.0.0.1]',
    '127.0.0.1.',
  ])('rejects %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
    expect(isIpAddress(text)).toBe(false);
  });

  it('formats addresses per RFC 5952', () => {
    expect(formatIpAddress(ip('127.0.0.1'))).toBe('127.0.0.1');
    expect(formatIpAddress(ip('0:0:0:0:0:0:0:1'))).toBe('::1');
    expect(formatIpAddress(ip('2001:DB8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIpAddress(ip('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpAddress(ip('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(formatIpAddress(ip('::'))).toBe('::');
    expect(formatIpAddress(ip('1::'))).toBe('1::');
  });

  it('round-trips formatted IPv6 text', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(16);
      for (let j = 0; j < 16; j++) bytes[j] = (i * 37 + j * 11) % 3 === 0 ? 0 : (i * j) & 0xff;
      expect(parseIpAddress(formatIpAddress(bytes))).toEqual(bytes);
    }
  });
});

describe('DNS names', () => {
  it('normalises reference names', () => {
    expect(normaliseDnsName('Example.COM.')).toBe('example.com');
    expect(normaliseDnsName('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(normaliseDnsName('_acme-challenge.example.com')).toBe('_acme-challenge.example.com');
    for (const bad of ['', '.', 'a..b', '-a.com', 'a-.com', 'a b.com', 'bücher.example', '1.2.3']) {
      expect(normaliseDnsName(bad)).toBeUndefined();
    }
    expect(normaliseDnsName(`${'a'.repeat(64)}.com`)).toBeUndefined();
    expect(normaliseDnsName(`${'a'.repeat(63)}.com`)).toBeDefined();
  });

  it.each([
    ['example.com', 'example.com', true],
    ['EXAMPLE.com', 'example.COM', true],
    ['example.com', 'example.com.', true],
    ['example.com', 'www.example.com', false],
    ['www.example.com', 'example.com', false],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'WWW.EXAMPLE.COM', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.a.example.com', 'x.a.example.com', true],
    ['w*.example.com', 'www.example.com', false],
    ['*w.example.com', 'www.example.com', false],
    ['www.*.com', 'www.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*', 'localhost', false],
    ['*.com', 'example.com', false],
    ['*.localhost', 'a.localhost', false],
    ['example.com.', 'example.com', false],
    ['*.example.com.', 'a.example.com', false],
    ['127.0.0.1', '127.0.0.1', false],
    ['', 'example.com', false],
  ])('presented %j vs reference %j: %s', (presented, reference, expected) => {
    expect(matchDnsName(presented, reference)).toBe(expected);
  });
});

describe('reference identities', () => {
  const sans = {
    dnsNames: ['localhost', '*.example.com', '10.0.0.1'],
    ipAddresses: [ip('127.0.0.1'), ip('::1')],
  };

  it('classifies names and addresses', () => {
    expect(referenceId('LocalHost')).toEqual({ type: 'dns', name: 'localhost' });
    expect(referenceId('::1')).toEqual({ type: 'ip', address: ip('::1') });
    expect(referenceId('[::1]')).toEqual({ type: 'ip', address: ip('::1') });
    expect(referenceId('not a name')).toBeUndefined();
  });

  it('matches IP references only against iPAddress entries', () => {
    expect(matchesIdentity(referenceId('127.0.0.1')!, sans)).toBe(true);
    expect(matchesIdentity(referenceId('0:0::1')!, sans)).toBe(true);
    // The dNSName "10.0.0.1" is not an address.
    expect(matchesIdentity(referenceId('10.0.0.1')!, sans)).toBe(false);
    // IPv4-mapped IPv6 is a different address family from the IPv4 SAN.
    expect(matchesIdentity(referenceId('::ffff:127.0.0.1')!, sans)).toBe(false);
  });

  it('matches DNS references only against dNSName entries', () => {
    expect(matchesIdentity(referenceId('localhost')!, sans)).toBe(true);
    expect(matchesIdentity(referenceId('a.example.com')!, sans)).toBe(true);
    expect(matchesIdentity(referenceId('example.com')!, sans)).toBe(false);
    const ipOnly = { dnsNames: [], ipAddresses: [ip('127.0.0.1')] };
    expect(matchesIdentity(referenceId('localhost')!, ipOnly)).toBe(false);
  });
});

describe('name-constraint subtrees', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['www.example.com', 'example.com', true],
    ['a.b.example.com', 'EXAMPLE.com', true],
    ['badexample.com', 'example.com', false],
    ['example.com', 'www.example.com', false],
    ['www.example.com', '.example.com', true],
    ['example.com', '.example.com', false],
    ['*.example.com', 'example.com', true],
    ['*.example.com', 'a.example.com', false],
    ['anything.test', '', true],
  ])('%j inside %j: %s', (name, base, expected) => {
    expect(dnsNameInSubtree(name, base)).toBe(expected);
  });

  it('treats a wildcard that can reach into an excluded subtree as touching it', () => {
    expect(dnsNameTouchesSubtree('*.example.com', 'a.example.com')).toBe(true);
    expect(dnsNameTouchesSubtree('*.example.com', 'a.b.example.com')).toBe(false);
    expect(dnsNameTouchesSubtree('*.example.com', 'example.com')).toBe(true);
    expect(dnsNameTouchesSubtree('*.example.com', 'other.com')).toBe(false);
    expect(dnsNameTouchesSubtree('www.example.com', 'a.example.com')).toBe(false);
  });

  it('reports malformed names and bases as undefined', () => {
    expect(dnsNameInSubtree('bad name', 'example.com')).toBeUndefined();
    expect(dnsNameInSubtree('example.com', 'bad base')).toBeUndefined();
    expect(dnsNameInSubtree('example.com', '*.example.com')).toBeUndefined();
  });

  const v4 = (addr: string, mask: string) => new Uint8Array([...ip(addr), ...ip(mask)]);
  const v6 = (addr: string, prefix: number) => {
    const mask = new Uint8Array(16);
    for (let i = 0; i < prefix; i++) mask[i >> 3] |= 0x80 >> (i & 7);
    return new Uint8Array([...ip(addr), ...mask]);
  };

  it('matches IP addresses by address and mask', () => {
    expect(ipInSubtree(ip('10.1.2.3'), v4('10.0.0.0', '255.0.0.0'))).toBe(true);
    expect(ipInSubtree(ip('11.1.2.3'), v4('10.0.0.0', '255.0.0.0'))).toBe(false);
    expect(ipInSubtree(ip('192.0.2.9'), v4('192.0.2.9', '255.255.255.255'))).toBe(true);
    expect(ipInSubtree(ip('1.2.3.4'), v4('0.0.0.0', '0.0.0.0'))).toBe(true);
    expect(ipInSubtree(ip('2001:db8::5'), v6('2001:db8::', 32))).toBe(true);
    expect(ipInSubtree(ip('2001:db9::5'), v6('2001:db8::', 32))).toBe(false);
    expect(ipInSubtree(ip('::1'), v6('::1', 128))).toBe(true);
  });

  it('never matches across address families', () => {
    expect(ipInSubtree(ip('::ffff:10.0.0.1'), v4('10.0.0.0', '255.0.0.0'))).toBe(false);
    expect(ipInSubtree(ip('10.0.0.1'), v6('::', 0))).toBe(false);
  });

  it('rejects bases of the wrong length or with a non-contiguous mask', () => {
    expect(ipInSubtree(ip('10.0.0.1'), ip('10.0.0.1'))).toBeUndefined();
    expect(ipInSubtree(ip('10.0.0.1'), v4('10.0.0.0', '255.0.255.0'))).toBeUndefined();
    expect(ipInSubtree(ip('10.0.0.1'), v4('10.0.0.0', '0.255.255.255'))).toBeUndefined();
  });
});
