/**
 * RFC 5280 §4.2.1.10 name constraints applied to one certificate: DNS, IP and directoryName
 * subtrees, and the name forms webtls cannot evaluate.
 */
import { describe, expect, it } from 'vitest';
import { encodeOid, encodeTlv, Tag } from '../../src/codec/der.ts';
import { TlsError } from '../../src/error.ts';
import { checkNameConstraints } from '../../src/verify/constraints.ts';
import { parseIpAddress } from '../../src/verify/names.ts';
import type { NameConstraints, ParsedCertificate, Subtrees } from '../../src/verify/x509.ts';
import { name } from './helpers/x509-builder.ts';

const ip = (text: string) => parseIpAddress(text)!;
const subtrees = (s: Partial<Subtrees>): Subtrees => ({
  dns: [],
  ip: [],
  directory: [],
  otherForms: [],
  ...s,
});

/** Just the fields name-constraint checking reads. */
function cert(fields: {
  subject?: Uint8Array;
  dns?: string[];
  ips?: Uint8Array[];
  other?: number[];
}): ParsedCertificate {
  const subject = fields.subject ?? name('leaf');
  return {
    subject: { der: subject, text: 'CN=leaf' },
    dnsNames: fields.dns ?? [],
    ipAddresses: fields.ips ?? [],
    otherSanForms: fields.other ?? [],
  } as ParsedCertificate;
}
const CA = cert({ subject: name('CA') });

function check(nc: NameConstraints, c: ParsedCertificate): string {
  try {
    checkNameConstraints(CA, nc, c);
    return 'OK';
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    expect(e.layer).toBe('verify');
    return e.code;
  }
}

describe('checkNameConstraints', () => {
  it('needs every DNS name inside some permitted subtree', () => {
    const nc = { permitted: subtrees({ dns: ['a.test', 'b.test'] }), excluded: undefined };
    expect(check(nc, cert({ dns: ['x.a.test', 'b.test'] }))).toBe('OK');
    expect(check(nc, cert({ dns: ['x.a.test', 'c.test'] }))).toBe('CERT_NAME_CONSTRAINTS');
    expect(check(nc, cert({ ips: [ip('10.0.0.1')] }))).toBe('OK');
  });

  it('refuses any DNS name in an excluded subtree, even when permitted', () => {
    const nc = {
      permitted: subtrees({ dns: ['example.com'] }),
      excluded: subtrees({ dns: ['internal.example.com'] }),
    };
    expect(check(nc, cert({ dns: ['www.example.com'] }))).toBe('OK');
    expect(check(nc, cert({ dns: ['db.internal.example.com'] }))).toBe('CERT_NAME_CONSTRAINTS');
    expect(check(nc, cert({ dns: ['*.example.com'] }))).toBe('CERT_NAME_CONSTRAINTS');
  });

  it('checks IP addresses against address/mask subtrees of their family', () => {
    const ten = new Uint8Array([10, 0, 0, 0, 255, 0, 0, 0]);
    const nc = { permitted: subtrees({ ip: [ten] }), excluded: undefined };
    expect(check(nc, cert({ ips: [ip('10.9.9.9')] }))).toBe('OK');
    expect(check(nc, cert({ ips: [ip('192.0.2.1')] }))).toBe('CERT_NAME_CONSTRAINTS');
    expect(check(nc, cert({ ips: [ip('::a00:1')] }))).toBe('CERT_NAME_CONSTRAINTS');
  });

  it('treats malformed subtrees as violations', () => {
    const badMask = new Uint8Array([10, 0, 0, 0, 255, 0, 255, 0]);
    expect(
      check(
        { permitted: subtrees({ ip: [badMask] }), excluded: undefined },
        cert({ ips: [ip('10.0.0.1')] }),
      ),
    ).toBe('CERT_NAME_CONSTRAINTS');
    expect(
      check(
        { permitted: undefined, excluded: subtrees({ dns: ['not a name'] }) },
        cert({ dns: ['a.test'] }),
      ),
    ).toBe('CERT_NAME_CONSTRAINTS');
  });

  it('matches directoryName subtrees by leading RDNs of the subject', () => {
    const org = encodeTlv(
      Tag.SEQUENCE,
      encodeTlv(
        Tag.SET,
        encodeTlv(
          Tag.SEQUENCE,
          encodeOid('2.5.4.10'),
          encodeTlv(0x0c, new TextEncoder().encode('Org')),
        ),
      ),
    );
    const nc = { permitted: subtrees({ directory: [org] }), excluded: undefined };
    expect(check(nc, cert({ subject: name('leaf', 'Org') }))).toBe('OK');
    expect(check(nc, cert({ subject: name('leaf', 'Other') }))).toBe('CERT_NAME_CONSTRAINTS');
    expect(check(nc, cert({ subject: name('leaf') }))).toBe('CERT_NAME_CONSTRAINTS');
    // An empty subject carries no directory name to constrain.
    expect(check(nc, cert({ subject: encodeTlv(Tag.SEQUENCE) }))).toBe('OK');
    const ex = { permitted: undefined, excluded: subtrees({ directory: [org] }) };
    expect(check(ex, cert({ subject: name('leaf', 'Org') }))).toBe('CERT_NAME_CONSTRAINTS');
  });

  it('refuses names of a constrained form it cannot evaluate, and ignores other forms', () => {
    const rfc822 = 1;
    const uri = 6;
    const nc = { permitted: subtrees({ otherForms: [rfc822] }), excluded: undefined };
    expect(check(nc, cert({ dns: ['a.test'], other: [rfc822] }))).toBe('CERT_NAME_CONSTRAINTS');
    expect(check(nc, cert({ dns: ['a.test'], other: [uri] }))).toBe('OK');
    const dirNc = { permitted: subtrees({ directory: [name('leaf')] }), excluded: undefined };
    expect(check(dirNc, cert({ other: [4] }))).toBe('CERT_NAME_CONSTRAINTS');
  });
});
