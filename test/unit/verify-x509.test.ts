/**
 * The certificate parser (RFC 5280 §4), distinguished-name text (RFC 4514), and the mapping from
 * certificate signature algorithms to TLS SignatureSchemes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  children,
  encodeOid,
  encodeSmallInt,
  encodeTlv,
  readOnly,
  readTlv,
  Tag,
} from '../../src/codec/der.ts';
import { TlsError } from '../../src/error.ts';
import { SignatureScheme } from '../../src/msgs/enums.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { certSignatureScheme } from '../../src/verify/algorithms.ts';
import { certificateIdentity } from '../../src/verify/cert-layout.ts';
import { nameToString } from '../../src/verify/dn.ts';
import { KeyOid } from '../../src/verify/keys.ts';
import {
  certificateDnsNames,
  certificateSummary,
  KeyUsageBit,
  parseCertificate,
} from '../../src/verify/x509.ts';
import {
  type CertSpec,
  generalNames,
  issue,
  name,
  nameConstraints,
  newKey,
  rootCa,
  SERVER_AUTH,
  serverCert,
  type TestCert,
  type TestExtension,
} from './helpers/x509-builder.ts';

const utf8 = new TextEncoder();

/** A critical basicConstraints extension with the given value, as hex. */
const bc = (hex: string): TestExtension => ({
  oid: '2.5.29.19',
  critical: true,
  value: fromHex(hex),
});

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (e) {
    return e instanceof TlsError ? e.code : `not a TlsError: ${String(e)}`;
  }
}

/** Rebuilds a certificate's outer SEQUENCE with some of its three fields replaced. */
function rebuild(der: Uint8Array, f: (fields: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const fields = children(readOnly(der, Tag.SEQUENCE).content).map((t) => t.raw);
  return encodeTlv(Tag.SEQUENCE, ...f(fields));
}

/** Rebuilds the TBSCertificate fields (signature left as is: parsing does not check it). */
function rebuildTbs(der: Uint8Array, f: (fields: Uint8Array[]) => Uint8Array[]): Uint8Array {
  return rebuild(der, ([tbs, alg, sig]) => {
    const fields = children(readOnly(tbs, Tag.SEQUENCE).content).map((t) => t.raw);
    return [encodeTlv(Tag.SEQUENCE, ...f(fields)), alg, sig];
  });
}

describe('parseCertificate', () => {
  let root: TestCert;
  let leaf: TestCert;

  beforeAll(async () => {
    root = await rootCa('Parse Root');
    leaf = await serverCert(root, {
      serial: 0x1234,
      dns: ['localhost', '*.example.com'],
      notBefore: new Date('1950-01-01T00:00:00Z'),
      notAfter: new Date('2050-01-01T00:00:00Z'),
    });
  });

  it('reads every field verification uses', () => {
    const c = parseCertificate(leaf.der);
    expect(c.version).toBe(3);
    expect(toHex(c.serial)).toBe('1234');
    expect(c.subject.text).toBe('CN=server');
    expect(c.issuer.text).toBe('CN=Parse Root');
    expect(c.issuer.der).toEqual(root.name);
    expect(c.notBefore.toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(c.notAfter.toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect(c.spki).toEqual(leaf.key.spki);
    expect(c.publicKeyAlgorithm.oid).toBe(KeyOid.ecPublicKey);
    expect(c.signatureAlgorithm).toEqual({ oid: '1.2.840.10045.4.3.2', params: undefined });
    expect(c.basicConstraints).toEqual({ ca: false, pathLen: undefined });
    expect(c.keyUsage).toBe(1 << KeyUsageBit.digitalSignature);
    expect(c.extKeyUsage).toEqual([SERVER_AUTH]);
    expect(c.dnsNames).toEqual(['localhost', '*.example.com']);
    expect(c.ipAddresses.map((a) => a.length)).toEqual([4, 16]);
    expect(c.subjectKeyId).toEqual(leaf.key.id);
    expect(c.authorityKeyId).toEqual(root.key.id);
    expect(c.unknownCritical).toEqual([]);
    expect(c.nameConstraints).toBeUndefined();
    // The TBS slice is what the signature covers: the certificate's first field.
    expect(c.tbs).toEqual(readTlv(readOnly(leaf.der).content).raw);
  });

  it('reads CA flags, path length, key usage bits and name constraints', async () => {
    const ca = await issue({
      subject: name('CA', 'Org'),
      key: await newKey(),
      issuer: root,
      ca: { pathLen: 3 },
      keyUsage: [KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign, KeyUsageBit.decipherOnly],
      extensions: [
        nameConstraints({
          permitted: { dns: ['example.com'], ip: [new Uint8Array(8)] },
          excluded: { dns: ['bad.example.com'] },
        }),
      ],
    });
    const c = parseCertificate(ca.der);
    expect(c.subject.text).toBe('CN=CA,O=Org');
    expect(c.basicConstraints).toEqual({ ca: true, pathLen: 3 });
    expect(c.keyUsage).toBe((1 << 5) | (1 << 6) | (1 << 8));
    expect(c.nameConstraints?.permitted).toEqual({
      dns: ['example.com'],
      ip: [new Uint8Array(8)],
      directory: [],
      otherForms: [],
    });
    expect(c.nameConstraints?.excluded?.dns).toEqual(['bad.example.com']);
  });

  it('reports unknown critical extensions and ignores unknown non-critical ones', async () => {
    const exts: TestExtension[] = [
      { oid: '1.2.3.4', critical: true, value: new Uint8Array([5, 0]) },
      { oid: '1.2.3.5', value: new Uint8Array([5, 0]) },
    ];
    const c = parseCertificate((await serverCert(root, { extensions: exts })).der);
    expect(c.unknownCritical).toEqual(['1.2.3.4']);
  });

  it('gives the summary, and the index identity from the outer fields alone', async () => {
    expect(certificateSummary(leaf.der)).toBe('CN=server');
    const id = certificateIdentity(leaf.der);
    expect(id.subject).toEqual(name('server'));
    expect(id.issuer).toEqual(root.name);
    expect(id.spki).toEqual(leaf.key.spki);
    // Index-only: a certificate the full parse refuses (BER inside an extension) still indexes.
    const ber = await serverCert(root, { ca: undefined, extensions: [bc('30800101ff0000')] });
    expect(certificateIdentity(ber.der).spki).toEqual(ber.key.spki);
    expect(codeOf(() => parseCertificate(ber.der))).toBe('BAD_CERTIFICATE');
    expect(codeOf(() => certificateIdentity(leaf.der.subarray(1)))).toBe('BAD_CERTIFICATE');
  });

  it('parses an array once while it holds the same bytes, and shares only frozen results', () => {
    const input = leaf.der.slice();
    const first = parseCertificate(input);
    expect(parseCertificate(input)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.dnsNames)).toBe(true);
    expect(Object.isFrozen(first.subject)).toBe(true);
    // Another array with the same bytes gets its own parse, equal in value.
    const other = parseCertificate(leaf.der.slice());
    expect(other).not.toBe(first);
    expect(other).toEqual(first);
    // A changed array is parsed again, never answered from the cache.
    input[input.length - 1] ^= 1;
    const changed = parseCertificate(input);
    expect(changed).not.toBe(first);
    expect(changed.signature).not.toEqual(first.signature);
    expect(first.der).toEqual(leaf.der);
    // The helpers hand out copies.
    const names = certificateDnsNames(leaf.der);
    names.push('evil.example');
    expect(certificateDnsNames(leaf.der)).toEqual(['localhost', '*.example.com']);
  });

  it('refuses BER and mis-shaped structures that the schema library alone accepts', async () => {
    const eku = (hex: string): TestExtension => ({ oid: '2.5.29.37', value: fromHex(hex) });
    const ski = (hex: string): TestExtension => ({ oid: '2.5.29.14', value: fromHex(hex) });
    const cases: [string, Partial<CertSpec>][] = [
      ['non-minimal length', { ca: undefined, extensions: [bc('3081030101ff')] }],
      ['indefinite length', { ca: undefined, extensions: [bc('30800101ff0000')] }],
      ['a trailing byte', { ca: undefined, extensions: [bc('30030101ff00')] }],
      ['fields swapped', { ca: undefined, extensions: [bc('30060201000101ff')] }],
      ['a negative pathLen', { ca: undefined, extensions: [bc('30060101ff0201ff')] }],
      ['an INTEGER as KeyPurposeId', { eku: undefined, extensions: [eku('3003020105')] }],
      ['a constructed OCTET STRING', { noKeyIds: true, extensions: [ski('2406040201020400')] }],
    ];
    for (const [what, extra] of cases) {
      const cert = await serverCert(root, extra);
      expect([what, codeOf(() => parseCertificate(cert.der))]).toEqual([what, 'BAD_CERTIFICATE']);
    }
    // An Extension with a fourth element; the same without it parses.
    const extension = (...parts: Uint8Array[]) =>
      rebuildTbs(leaf.der, (f) => [
        ...f.slice(0, 7),
        encodeTlv(0xa3, encodeTlv(Tag.SEQUENCE, encodeTlv(Tag.SEQUENCE, ...parts))),
      ]);
    const bcEmpty = [encodeOid('2.5.29.19'), encodeTlv(Tag.OCTET_STRING, fromHex('3000'))];
    expect(codeOf(() => parseCertificate(extension(...bcEmpty, encodeSmallInt(0))))).toBe(
      'BAD_CERTIFICATE',
    );
    expect(parseCertificate(extension(...bcEmpty)).basicConstraints).toEqual({
      ca: false,
      pathLen: undefined,
    });
    // An explicit DEFAULT value, as some CAs write them, still parses.
    const explicitFalse = await serverCert(root, { ca: undefined, extensions: [bc('3003010100')] });
    expect(parseCertificate(explicitFalse.der).basicConstraints).toEqual({
      ca: false,
      pathLen: undefined,
    });
  });

  it('rejects malformed input with BAD_CERTIFICATE', () => {
    const bad = (der: Uint8Array) => codeOf(() => parseCertificate(der));
    expect(bad(new Uint8Array())).toBe('BAD_CERTIFICATE');
    expect(bad(new Uint8Array([0x30, 0x80, 0, 0]))).toBe('BAD_CERTIFICATE');
    expect(bad(leaf.der.subarray(0, leaf.der.length - 1))).toBe('BAD_CERTIFICATE');
    expect(bad(new Uint8Array([...leaf.der, 0]))).toBe('BAD_CERTIFICATE');
    expect(bad(rebuild(leaf.der, (f) => f.slice(0, 2)))).toBe('BAD_CERTIFICATE');
  });

  it('rejects a signatureAlgorithm that differs from the TBS signature field', () => {
    const rsa = encodeTlv(Tag.SEQUENCE, encodeOid('1.2.840.113549.1.1.11'), encodeTlv(5));
    const der = rebuild(leaf.der, ([tbs, , sig]) => [tbs, rsa, sig]);
    expect(codeOf(() => parseCertificate(der))).toBe('BAD_CERTIFICATE');
  });

  it('rejects extensions in a v1 certificate and unknown versions', () => {
    const v1 = rebuildTbs(leaf.der, (f) => f.slice(1));
    expect(codeOf(() => parseCertificate(v1))).toBe('BAD_CERTIFICATE');
    const v4 = rebuildTbs(leaf.der, (f) => [encodeTlv(0xa0, encodeSmallInt(3)), ...f.slice(1)]);
    expect(codeOf(() => parseCertificate(v4))).toBe('BAD_CERTIFICATE');
  });

  it('rejects repeated extensions, bad SAN addresses and non-zero subtree bounds', async () => {
    const san = (entries: Uint8Array[]) => ({
      oid: '2.5.29.17',
      value: encodeTlv(Tag.SEQUENCE, ...entries),
    });
    const twice = await serverCert(root, {
      dns: undefined,
      ips: undefined,
      extensions: [san(generalNames(['a.test'], [])), san(generalNames(['b.test'], []))],
    });
    expect(codeOf(() => parseCertificate(twice.der))).toBe('BAD_CERTIFICATE');
    const fiveOctets = await serverCert(root, {
      dns: [],
      ips: [new Uint8Array([1, 2, 3, 4, 5])],
    });
    expect(codeOf(() => parseCertificate(fiveOctets.der))).toBe('BAD_CERTIFICATE');
    const emptySan = await serverCert(root, { dns: [], ips: [] });
    expect(codeOf(() => parseCertificate(emptySan.der))).toBe('BAD_CERTIFICATE');
    const subtree = encodeTlv(
      Tag.SEQUENCE,
      encodeTlv(0x82, utf8.encode('example.com')),
      encodeTlv(0x81, new Uint8Array([2])),
    );
    const withMax = {
      oid: '2.5.29.30',
      critical: true,
      value: encodeTlv(Tag.SEQUENCE, encodeTlv(0xa0, subtree)),
    };
    const ca = await issue({
      subject: name('NC'),
      key: await newKey(),
      ca: true,
      extensions: [withMax],
    });
    expect(codeOf(() => parseCertificate(ca.der))).toBe('BAD_CERTIFICATE');
  });

  it('rejects impossible times', async () => {
    const text = (d: string) => utf8.encode(d);
    const validity = (a: Uint8Array, b: Uint8Array) => encodeTlv(Tag.SEQUENCE, a, b);
    const withValidity = (v: Uint8Array) =>
      rebuildTbs(leaf.der, (f) => [...f.slice(0, 4), v, ...f.slice(5)]);
    const good = validity(
      encodeTlv(0x17, text('250101000000Z')),
      encodeTlv(0x18, text('20500101000000Z')),
    );
    expect(parseCertificate(withValidity(good)).notBefore.toISOString()).toBe(
      '2025-01-01T00:00:00.000Z',
    );
    for (const [tag, t] of [
      [0x17, '251301000000Z'],
      [0x17, '250132000000Z'],
      [0x17, '250101250000Z'],
      [0x17, '2501010000Z'],
      [0x17, '250101000000+0100'],
      [0x18, '20250101000000.5Z'],
      [0x04, '250101000000Z'],
    ] as const) {
      const v = validity(encodeTlv(tag, text(t)), encodeTlv(0x18, text('20500101000000Z')));
      expect(codeOf(() => parseCertificate(withValidity(v)))).toBe('BAD_CERTIFICATE');
    }
  });
});

describe('RFC 4514 names', () => {
  const atv = (oid: string, tag: number, value: Uint8Array) =>
    encodeTlv(Tag.SEQUENCE, encodeOid(oid), encodeTlv(tag, value));
  const rdn = (...atvs: Uint8Array[]) => encodeTlv(Tag.SET, ...atvs);
  const dn = (...rdns: Uint8Array[]) => encodeTlv(Tag.SEQUENCE, ...rdns);
  const cn = (s: string) => atv('2.5.4.3', 0x0c, utf8.encode(s));

  it('lists RDNs last first and joins multi-valued RDNs with +', () => {
    const der = dn(
      rdn(atv('2.5.4.6', 0x13, utf8.encode('US'))),
      rdn(atv('2.5.4.10', 0x13, utf8.encode('Org')), atv('2.5.4.11', 0x13, utf8.encode('Unit'))),
      rdn(cn('Name')),
    );
    expect(nameToString(der)).toBe('CN=Name,O=Org+OU=Unit,C=US');
  });

  it('escapes special characters', () => {
    expect(nameToString(dn(rdn(cn('a,b+c"d\\e<f>g;h'))))).toBe('CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h');
    expect(nameToString(dn(rdn(cn('#lead'))))).toBe('CN=\\#lead');
    expect(nameToString(dn(rdn(cn(' both ends '))))).toBe('CN=\\ both ends\\ ');
    expect(nameToString(dn(rdn(cn('nul\0'))))).toBe('CN=nul\\00');
  });

  it('decodes BMPString and UniversalString, and prints unknown types as #hex', () => {
    const bmp = new Uint8Array([0x00, 0x41, 0x04, 0x14]); // "AД"
    expect(nameToString(dn(rdn(atv('2.5.4.3', 0x1e, bmp))))).toBe('CN=AД');
    const ucs4 = new Uint8Array([0, 1, 0xf6, 0x00]); // U+1F600
    expect(nameToString(dn(rdn(atv('2.5.4.3', 0x1c, ucs4))))).toBe('CN=\u{1f600}');
    expect(nameToString(dn(rdn(atv('1.2.3.4', 0x0c, utf8.encode('x')))))).toBe('1.2.3.4=#0c0178');
    expect(nameToString(dn())).toBe('');
  });
});

describe('certificate signature algorithms', () => {
  const alg = (oid: string, params?: Uint8Array) => ({ oid, params });
  const NULL = encodeTlv(Tag.NULL);
  const hashAlg = (oid: string) => encodeTlv(Tag.SEQUENCE, encodeOid(oid), NULL);
  const SHA256 = '2.16.840.1.101.3.4.2.1';
  const SHA384 = '2.16.840.1.101.3.4.2.2';
  const pss = (hash: string, mgfHash: string, salt: number, trailer?: number) =>
    encodeTlv(
      Tag.SEQUENCE,
      encodeTlv(0xa0, hashAlg(hash)),
      encodeTlv(0xa1, encodeTlv(Tag.SEQUENCE, encodeOid('1.2.840.113549.1.1.8'), hashAlg(mgfHash))),
      encodeTlv(0xa2, encodeSmallInt(salt)),
      ...(trailer === undefined ? [] : [encodeTlv(0xa3, encodeSmallInt(trailer))]),
    );
  const scheme = (a: { oid: string; params?: Uint8Array }, key: string) => {
    try {
      return certSignatureScheme({ oid: a.oid, params: a.params }, key, 'CN=test');
    } catch (e) {
      return (e as TlsError).code;
    }
  };

  it('maps PKCS#1, ECDSA and Ed25519 by OID', () => {
    const rsa = KeyOid.rsaEncryption;
    expect(scheme(alg('1.2.840.113549.1.1.11', NULL), rsa)).toBe(SignatureScheme.rsa_pkcs1_sha256);
    expect(scheme(alg('1.2.840.113549.1.1.12'), rsa)).toBe(SignatureScheme.rsa_pkcs1_sha384);
    expect(scheme(alg('1.2.840.113549.1.1.13', NULL), rsa)).toBe(SignatureScheme.rsa_pkcs1_sha512);
    const ec = KeyOid.ecPublicKey;
    expect(scheme(alg('1.2.840.10045.4.3.2'), ec)).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(scheme(alg('1.2.840.10045.4.3.3'), ec)).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    expect(scheme(alg('1.2.840.10045.4.3.4'), ec)).toBe(SignatureScheme.ecdsa_secp521r1_sha512);
    expect(scheme(alg(KeyOid.ed25519), KeyOid.ed25519)).toBe(SignatureScheme.ed25519);
  });

  it('maps RSASSA-PSS by hash, to rsae or pss by the issuer key', () => {
    const p256 = alg(KeyOid.rsassaPss, pss(SHA256, SHA256, 32));
    expect(scheme(p256, KeyOid.rsaEncryption)).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(scheme(p256, KeyOid.rsassaPss)).toBe(SignatureScheme.rsa_pss_pss_sha256);
    const p384 = alg(KeyOid.rsassaPss, pss(SHA384, SHA384, 48, 1));
    expect(scheme(p384, KeyOid.rsaEncryption)).toBe(SignatureScheme.rsa_pss_rsae_sha384);
  });

  it('refuses weak, unknown or malformed algorithms as unsupported', () => {
    const rsa = KeyOid.rsaEncryption;
    expect(scheme(alg('1.2.840.113549.1.1.5', NULL), rsa)).toBe('UNSUPPORTED_CERTIFICATE');
    expect(scheme(alg('1.2.840.113549.1.1.4', NULL), rsa)).toBe('UNSUPPORTED_CERTIFICATE');
    expect(scheme(alg('1.2.840.10045.4.1'), KeyOid.ecPublicKey)).toBe('UNSUPPORTED_CERTIFICATE');
    expect(scheme(alg('1.2.840.113549.1.1.11', encodeSmallInt(0)), rsa)).toBe(
      'UNSUPPORTED_CERTIFICATE',
    );
    expect(scheme(alg('1.2.840.10045.4.3.2', NULL), KeyOid.ecPublicKey)).toBe(
      'UNSUPPORTED_CERTIFICATE',
    );
    for (const params of [
      undefined,
      encodeTlv(Tag.SEQUENCE),
      pss(SHA256, SHA384, 32),
      pss(SHA256, SHA256, 20),
      pss(SHA256, SHA256, 32, 2),
      pss('1.3.14.3.2.26', '1.3.14.3.2.26', 20),
      new Uint8Array([0x30, 0x01]),
    ]) {
      expect(scheme(alg(KeyOid.rsassaPss, params), rsa)).toBe('UNSUPPORTED_CERTIFICATE');
    }
  });

  it('refuses an algorithm the issuer key cannot make as a bad signature', () => {
    expect(scheme(alg('1.2.840.10045.4.3.2'), KeyOid.rsaEncryption)).toBe('CERT_BAD_SIGNATURE');
    expect(scheme(alg('1.2.840.113549.1.1.11'), KeyOid.ecPublicKey)).toBe('CERT_BAD_SIGNATURE');
    expect(scheme(alg('1.2.840.113549.1.1.11'), KeyOid.rsassaPss)).toBe('CERT_BAD_SIGNATURE');
    expect(scheme(alg(KeyOid.ed25519), KeyOid.ecPublicKey)).toBe('CERT_BAD_SIGNATURE');
    const p = alg(KeyOid.rsassaPss, pss(SHA256, SHA256, 32));
    expect(scheme(p, KeyOid.ecPublicKey)).toBe('CERT_BAD_SIGNATURE');
  });
});
