import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOid, encodeSmallInt, encodeTlv, Tag } from '../../src/codec/der.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { CrlReason, parseCrl } from '../../src/verify/crl.ts';
import {
  readCrlDistributionPoints,
  readIssuingDistributionPoint,
} from '../../src/verify/distribution-points.ts';
import type { CrlRequest, RevocationOptions } from '../../src/verify/revocation.ts';
import { webpkiClientVerifier } from '../../src/verify/webpki-client.ts';
import { issueCrl } from './helpers/crl-builder.ts';
import {
  CLIENT_AUTH,
  intermediateCa,
  issue,
  name,
  newKey,
  rootCa,
  type TestCert,
} from './helpers/x509-builder.ts';

/**
 * The CRL decoder on the DER reader alone (src/verify/crl.ts, distribution-points.ts): what
 * RFC 5280 §5 and DER (X.690 §10, §11) forbid is refused with BAD_CERTIFICATE, what they allow
 * is read, and distribution points (§4.2.1.13, §5.2.5) reach the revocation checker. Each CRL
 * here is built field by field; parseCrl does not check signatures, so they are filler.
 */

const ascii = new TextEncoder();
const seq = (...parts: Uint8Array[]) => encodeTlv(Tag.SEQUENCE, ...parts);
const bytes = (...b: number[]) => Uint8Array.from(b);
const utc = (text: string) => encodeTlv(Tag.UTC_TIME, ascii.encode(text));
const generalized = (text: string) => encodeTlv(Tag.GENERALIZED_TIME, ascii.encode(text));
const ECDSA_SHA256 = seq(encodeOid('1.2.840.10045.4.3.2'));
const ISSUER = name('der crl');
const TRUE = bytes(Tag.BOOLEAN, 1, 0xff);

const OID = {
  aki: '2.5.29.35',
  crlNumber: '2.5.29.20',
  idp: '2.5.29.28',
  reasonCode: '2.5.29.21',
  deltaCrlIndicator: '2.5.29.27',
} as const;

/** Extension ::= SEQUENCE { extnID, critical (a raw BOOLEAN TLV, if any), extnValue }. */
function ext(oid: string, value: Uint8Array, critical?: Uint8Array): Uint8Array {
  return seq(encodeOid(oid), ...(critical ? [critical] : []), encodeTlv(Tag.OCTET_STRING, value));
}

/** The reasonCode entry extension with an ENUMERATED of the given content octets. */
const reason = (...content: number[]) => ext(OID.reasonCode, encodeTlv(0x0a, bytes(...content)));

/** A revokedCertificates entry: serial, revocation date and (if given) entry extensions. */
function entry(serial: number, ...extensions: Uint8Array[]): Uint8Array {
  const exts = extensions.length > 0 ? [seq(...extensions)] : [];
  return seq(encodeSmallInt(serial), utc('260101000000Z'), ...exts);
}

/** The TBSCertList fields of a well-formed v2 CRL; tests replace the ones they break. */
interface TbsParts {
  version: Uint8Array[];
  signature: Uint8Array;
  thisUpdate: Uint8Array;
  nextUpdate: Uint8Array[];
  revoked: Uint8Array[];
  /** The `[0] EXPLICIT Extensions` field, whole. */
  extensions: Uint8Array[];
  /** Anything after the last field. */
  trailing: Uint8Array[];
}

const AKI_VALUE = seq(encodeTlv(0x80, bytes(1, 2, 3, 4)));

function tbs(over: Partial<TbsParts> = {}): Uint8Array {
  const p: TbsParts = {
    version: [encodeSmallInt(1)],
    signature: ECDSA_SHA256,
    thisUpdate: utc('260101000000Z'),
    nextUpdate: [utc('260201000000Z')],
    revoked: [seq(entry(0x1001, reason(CrlReason.keyCompromise)))],
    extensions: [encodeTlv(Tag.context(0), seq(ext(OID.aki, AKI_VALUE)))],
    trailing: [],
    ...over,
  };
  return seq(
    ...p.version,
    p.signature,
    ISSUER,
    p.thisUpdate,
    ...p.nextUpdate,
    ...p.revoked,
    ...p.extensions,
    ...p.trailing,
  );
}

/** A CertificateList around `tbsCertList`, with a filler signature. */
function crl(tbsCertList: Uint8Array, signature = encodeTlv(Tag.BIT_STRING, bytes(0, 1, 2))) {
  return seq(tbsCertList, ECDSA_SHA256, signature);
}

/** A v2 CRL whose crlExtensions are exactly `extensions`. */
const withExtensions = (...extensions: Uint8Array[]) =>
  crl(tbs({ extensions: [encodeTlv(Tag.context(0), seq(...extensions))] }));

/** A v2 CRL whose only entry has exactly these entry extensions. */
const withEntryExtensions = (...extensions: Uint8Array[]) =>
  crl(tbs({ revoked: [seq(entry(7, ...extensions))] }));

/** parseCrl refuses `der` with BAD_CERTIFICATE, saying `why` in its message or its cause's. */
function refused(der: Uint8Array, why: string): void {
  let error: unknown;
  try {
    parseCrl(der);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TlsError);
  const { code, message, cause } = error as TlsError;
  expect(code).toBe('BAD_CERTIFICATE');
  expect(`${message}: ${cause instanceof Error ? cause.message : ''}`).toContain(why);
}

const idp = (...fields: Uint8Array[]) => ext(OID.idp, seq(...fields), TRUE);
/** fullName [0] GeneralNames of uniformResourceIdentifier [6] entries, inside IDP/DP's [0]. */
const fullName = (...uris: string[]) =>
  encodeTlv(
    Tag.context(0),
    encodeTlv(Tag.context(0), ...uris.map((u) => encodeTlv(0x86, ascii.encode(u)))),
  );

describe('parseCrl reads what RFC 5280 §5 allows', () => {
  it('a v2 CRL: times, entries, reason, AKI, cRLNumber and IDP scope', () => {
    const der = crl(
      tbs({
        nextUpdate: [generalized('20500101000000Z')],
        revoked: [seq(entry(0x1001, reason(1)), entry(0x80), entry(5, reason(10)))],
        extensions: [
          encodeTlv(
            Tag.context(0),
            seq(
              ext(OID.aki, AKI_VALUE),
              ext(OID.crlNumber, encodeSmallInt(42)),
              idp(fullName('http://crl.test/a.crl'), bytes(0x81, 1, 0xff)),
            ),
          ),
        ],
      }),
    );
    const parsed = parseCrl(der);
    expect(parsed.issuer.text).toBe('CN=der crl');
    expect(parsed.thisUpdate.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parsed.nextUpdate?.toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect([...parsed.revoked.keys()]).toEqual(['1001', '0080', '05']);
    expect(parsed.revoked.get('1001')?.reason).toBe(CrlReason.keyCompromise);
    expect(parsed.revoked.get('0080')?.reason).toBeUndefined();
    expect(parsed.revoked.get('05')?.reason).toBe(CrlReason.aACompromise);
    expect(parsed.revoked.get('05')?.revocationDate.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parsed.authorityKeyId).toEqual(bytes(1, 2, 3, 4));
    expect(parsed.scope).toEqual({
      onlyUserCerts: true,
      onlyCaCerts: false,
      onlyAttributeCerts: false,
      onlySomeReasons: false,
      indirect: false,
      uris: ['http://crl.test/a.crl'],
    });
    expect(parsed.signature).toEqual(bytes(1, 2));
    expect(parsed.unsupportedCritical).toEqual([]);
  });

  it('a v1 CRL: no version, no nextUpdate, no entries, no extensions', () => {
    const parsed = parseCrl(crl(tbs({ version: [], nextUpdate: [], revoked: [], extensions: [] })));
    expect(parsed.nextUpdate).toBeUndefined();
    expect(parsed.revoked.size).toBe(0);
    expect(parsed.scope).toBeUndefined();
  });

  it('an empty revokedCertificates list, which lists nothing', () => {
    expect(parseCrl(crl(tbs({ revoked: [seq()] }))).revoked.size).toBe(0);
  });

  it('a negative serial number, kept as its octets', () => {
    const negative = seq(encodeTlv(Tag.INTEGER, bytes(0xff, 0x01)), utc('260101000000Z'));
    expect([...parseCrl(crl(tbs({ revoked: [seq(negative)] }))).revoked.keys()]).toEqual(['ff01']);
  });

  it('an explicit critical FALSE, read as non-critical', () => {
    const falseFlag = bytes(Tag.BOOLEAN, 1, 0);
    const parsed = parseCrl(withExtensions(ext('1.3.6.1.4.1.55555.7', bytes(5, 0), falseFlag)));
    expect(parsed.unsupportedCritical).toEqual([]);
  });

  it('critical extensions it does not process, listed once each', () => {
    const certificateIssuer = ext('2.5.29.29', seq(encodeTlv(0x86, ascii.encode('x'))), TRUE);
    const parsed = parseCrl(
      crl(
        tbs({
          revoked: [seq(entry(1, certificateIssuer), entry(2, certificateIssuer))],
          extensions: [
            encodeTlv(Tag.context(0), seq(ext(OID.deltaCrlIndicator, encodeSmallInt(1), TRUE))),
          ],
        }),
      ),
    );
    expect(parsed.unsupportedCritical).toEqual([OID.deltaCrlIndicator, '2.5.29.29']);
  });
});

describe('parseCrl refuses what RFC 5280 §5 or DER forbids', () => {
  it('a BOOLEAN other than 0x00 or 0xff (X.690 §11.1)', () => {
    refused(
      withExtensions(ext('1.3.6.1.4.1.55555.7', bytes(5, 0), bytes(Tag.BOOLEAN, 1, 1))),
      'bad BOOLEAN',
    );
    refused(withExtensions(idp(bytes(0x82, 1, 0x01))), 'bad BOOLEAN');
  });

  it('a CRL extension repeated', () => {
    refused(withExtensions(ext(OID.aki, AKI_VALUE), ext(OID.aki, AKI_VALUE)), 'repeats');
  });

  it('a CRL entry extension repeated', () => {
    refused(withEntryExtensions(reason(1), reason(1)), 'repeats extension 2.5.29.21');
  });

  it.each([
    ['7, which is not used', [7], 'unknown CRLReason 7'],
    ['11', [11], 'unknown CRLReason 11'],
    ['negative', [0xff], 'negative INTEGER'],
    ['non-minimal', [0, 1], 'non-minimal INTEGER'],
    ['empty', [], 'empty INTEGER'],
  ])('a reasonCode %s (§5.3.1)', (_what, content, why) => {
    refused(withEntryExtensions(reason(...content)), why);
  });

  it('a reasonCode that is not an ENUMERATED', () => {
    refused(withEntryExtensions(ext(OID.reasonCode, encodeSmallInt(1))), 'expected tag 0x0a');
  });

  it('IssuingDistributionPoint fields out of order, repeated, empty, or two kinds (§5.2.5)', () => {
    refused(withExtensions(idp(bytes(0x82, 1, 0xff), bytes(0x81, 1, 0xff))), 'unexpected tag 0x81');
    refused(withExtensions(idp(bytes(0x81, 1, 0xff), bytes(0x81, 1, 0xff))), 'unexpected tag 0x81');
    refused(
      withExtensions(idp(bytes(0x81, 1, 0xff), fullName('http://crl.test/a.crl'))),
      'unexpected tag 0xa0',
    );
    refused(withExtensions(idp()), 'empty IssuingDistributionPoint');
    refused(withExtensions(idp(bytes(0x81, 1, 0xff), bytes(0x82, 1, 0xff))), 'two kinds');
    refused(withExtensions(idp(bytes(0x82, 1, 0xff), bytes(0x85, 1, 0xff))), 'two kinds');
    refused(withExtensions(idp(bytes(0x86, 1, 0xff))), 'unexpected tag 0x86');
  });

  it('onlySomeReasons that is not a DER named bit list (X.690 §11.2)', () => {
    // keyCompromise (bit 1): 0x40 with six unused bits is the DER form.
    expect(parseCrl(withExtensions(idp(bytes(0x83, 2, 6, 0x40)))).scope?.onlySomeReasons).toBe(
      true,
    );
    refused(withExtensions(idp(bytes(0x83, 2, 0, 0x40))), 'ReasonFlags is not DER'); // trailing zero bits kept
    refused(withExtensions(idp(bytes(0x83, 2, 6, 0x41))), 'ReasonFlags is not DER'); // an unused bit set
    refused(withExtensions(idp(bytes(0x83, 1, 3))), 'bad ReasonFlags'); // unused bits with no octets
    refused(withExtensions(idp(bytes(0x83, 4, 0, 1, 1, 1))), 'bad ReasonFlags'); // past aACompromise
  });

  it('a DistributionPointName of neither form, or an empty fullName', () => {
    refused(
      withExtensions(idp(encodeTlv(Tag.context(0), encodeTlv(Tag.context(2), seq())))),
      'bad DistributionPointName',
    );
    refused(
      withExtensions(idp(encodeTlv(Tag.context(0), encodeTlv(Tag.context(0))))),
      'empty GeneralNames',
    );
  });

  it('a version other than v2, or extensions without it (§5.1.2.1)', () => {
    refused(crl(tbs({ version: [encodeSmallInt(0)] })), 'has version 0');
    refused(crl(tbs({ version: [encodeSmallInt(2)] })), 'has version 2');
    refused(crl(tbs({ version: [], revoked: [] })), 'not v2');
    refused(crl(tbs({ version: [], extensions: [] })), 'not v2');
    refused(crl(tbs({ version: [encodeTlv(Tag.INTEGER, bytes(0, 1))] })), 'non-minimal INTEGER');
  });

  it('TBSCertList fields out of order, unknown or trailing', () => {
    const list = seq(entry(1));
    const exts = encodeTlv(Tag.context(0), seq(ext(OID.aki, AKI_VALUE)));
    refused(crl(tbs({ revoked: [], extensions: [exts, list] })), 'unexpected tag 0x30');
    refused(crl(tbs({ trailing: [encodeSmallInt(1)] })), 'unexpected tag 0x2');
    refused(crl(tbs({ trailing: [exts] })), 'unexpected tag 0xa0');
    refused(
      crl(tbs({ nextUpdate: [], revoked: [], extensions: [], trailing: [list, list] })),
      'unexpected tag 0x30',
    );
    refused(crl(tbs({ signature: encodeTlv(Tag.OID, bytes(1)) })), 'bad AlgorithmIdentifier');
    refused(crl(tbs({ thisUpdate: encodeSmallInt(1) })), 'bad thisUpdate');
  });

  it('empty Extensions, or [0] around more than one value', () => {
    refused(crl(tbs({ extensions: [encodeTlv(Tag.context(0), seq())] })), 'empty Extensions');
    const exts = seq(ext(OID.aki, AKI_VALUE));
    refused(crl(tbs({ extensions: [encodeTlv(Tag.context(0), exts, exts)] })), 'trailing bytes');
    const emptyEntryExtensions = seq(encodeSmallInt(1), utc('260101000000Z'), seq());
    refused(crl(tbs({ revoked: [seq(emptyEntryExtensions)] })), 'empty Extensions');
  });

  it('a revoked entry of the wrong shape', () => {
    const date = utc('260101000000Z');
    refused(crl(tbs({ revoked: [seq(seq(encodeSmallInt(1)))] })), 'bad revoked entry');
    refused(crl(tbs({ revoked: [seq(seq(date, encodeSmallInt(1)))] })), 'bad revoked entry');
    refused(
      crl(tbs({ revoked: [seq(seq(encodeSmallInt(1), date, seq(), seq()))] })),
      'bad revoked entry',
    );
    refused(crl(tbs({ revoked: [seq(encodeSmallInt(1))] })), 'revoked entry is not a SEQUENCE');
    // X.690 §8.3.2: a serial number in its minimal form only.
    const padded = encodeTlv(Tag.INTEGER, bytes(0, 0x10));
    refused(crl(tbs({ revoked: [seq(seq(padded, date))] })), 'non-minimal userCertificate');
  });

  it.each([
    ['without seconds', utc('2601010000Z')],
    ['with an offset', utc('260101000000+0100')],
    ['with fractions', generalized('20260101000000.5Z')],
    ['on 31 April', utc('260431000000Z')],
    ['at hour 24', utc('260101240000Z')],
  ])('a time %s (§5.1.2.4)', (_what, time) => {
    refused(crl(tbs({ thisUpdate: time })), 'bad time');
    refused(crl(tbs({ nextUpdate: [time] })), 'bad time');
    refused(crl(tbs({ revoked: [seq(seq(encodeSmallInt(1), time))] })), 'bad time');
  });

  it('mismatched signature algorithms, or a signature with unused bits (§5.1.1.2, §5.1.1.3)', () => {
    refused(crl(tbs({ signature: seq(encodeOid('1.2.840.10045.4.3.3')) })), 'mismatched');
    refused(crl(tbs(), encodeTlv(Tag.BIT_STRING, bytes(1, 2))), 'whole-byte');
    refused(crl(tbs(), encodeTlv(Tag.BIT_STRING)), 'whole-byte');
  });

  it('malformed AKI and cRLNumber values', () => {
    refused(
      withExtensions(ext(OID.aki, seq(encodeTlv(0x82, bytes(1)), encodeTlv(0x80, bytes(1))))),
      'unexpected tag 0x80 in AKI',
    );
    refused(
      withExtensions(ext(OID.aki, encodeTlv(Tag.OCTET_STRING, bytes(1)))),
      'expected tag 0x30',
    );
    refused(
      withExtensions(ext(OID.crlNumber, encodeTlv(Tag.INTEGER, bytes(0x80)))),
      'negative INTEGER',
    );
    refused(
      withExtensions(ext(OID.crlNumber, encodeTlv(Tag.INTEGER, bytes(0, 1)))),
      'non-minimal INTEGER',
    );
    refused(withExtensions(ext(OID.crlNumber, seq())), 'expected tag 0x02');
  });
});

describe('CRL distribution points (RFC 5280 §4.2.1.13)', () => {
  const cdp = (...points: Uint8Array[]) => seq(...points);

  it('reads every fullName URI, in order, and skips the other forms', () => {
    const mixed = encodeTlv(
      Tag.context(0),
      encodeTlv(
        Tag.context(0),
        encodeTlv(0x82, ascii.encode('crl.test')),
        encodeTlv(0x86, ascii.encode('http://crl.test/b.crl')),
      ),
    );
    const relative = encodeTlv(
      Tag.context(0),
      encodeTlv(Tag.context(1), seq(encodeOid('2.5.4.3'), encodeTlv(0x0c, ascii.encode('x')))),
    );
    const issuerOnly = encodeTlv(Tag.context(2), encodeTlv(0x86, ascii.encode('ldap://x')));
    expect(
      readCrlDistributionPoints(
        cdp(seq(fullName('http://crl.test/a.crl')), seq(mixed), seq(relative), seq(issuerOnly)),
      ),
    ).toEqual(['http://crl.test/a.crl', 'http://crl.test/b.crl']);
  });

  it('refuses an empty list, a point with reasons alone, fields out of order', () => {
    expect(() => readCrlDistributionPoints(cdp())).toThrow('empty CRLDistributionPoints');
    expect(() => readCrlDistributionPoints(cdp(seq(bytes(0x81, 1, 0))))).toThrow('without a name');
    expect(() => readCrlDistributionPoints(cdp(seq()))).toThrow('without a name');
    const issuer = encodeTlv(Tag.context(2), encodeTlv(0x86, ascii.encode('ldap://x')));
    expect(() =>
      readCrlDistributionPoints(cdp(seq(issuer, fullName('http://crl.test/a.crl')))),
    ).toThrow('unexpected tag 0xa0 in DistributionPoint');
  });

  it('refuses empty GeneralNames, a constructed or non-ASCII URI', () => {
    const names = (...n: Uint8Array[]) => cdp(seq(encodeTlv(0xa0, encodeTlv(0xa0, ...n))));
    expect(() => readCrlDistributionPoints(names())).toThrow('empty GeneralNames');
    expect(() => readCrlDistributionPoints(names(encodeTlv(0xa6, seq())))).toThrow('constructed');
    expect(() => readCrlDistributionPoints(names(encodeTlv(0x86, bytes(0x68, 0xe9))))).toThrow(
      'non-ASCII',
    );
  });

  it('the issuing distribution point reader agrees on the shared fields', () => {
    const scope = readIssuingDistributionPoint(seq(fullName('http://a', 'http://b')));
    expect(scope.uris).toEqual(['http://a', 'http://b']);
    expect(scope.onlySomeReasons).toBe(false);
  });

  describe('through the revocation checker', () => {
    const provider = subtleProvider();
    let root: TestCert;
    let inter: TestCert;
    let leaf: TestCert;
    const URI = 'http://crl.test/inter.crl';

    beforeAll(async () => {
      root = await rootCa('cdp root');
      inter = await intermediateCa('cdp inter', root);
      leaf = await issue({
        subject: name('cdp leaf'),
        key: await newKey(),
        issuer: inter,
        serial: 5005,
        ca: false,
        eku: [CLIENT_AUTH],
        extensions: [{ oid: '2.5.29.31', value: cdp(seq(fullName(URI))) }],
      });
    });

    const verify = (revocation: RevocationOptions) =>
      webpkiClientVerifier({ roots: [root.der], revocation }).verifyClient([leaf.der, inter.der], {
        provider,
      });

    it("hands a CRL source the certificate's distribution points", async () => {
      const asked: CrlRequest[] = [];
      const source = async (request: CrlRequest) => {
        asked.push(request);
        return [await issueCrl(inter)];
      };
      await expect(verify({ source, depth: 'end-entity' })).resolves.toBeDefined();
      expect(asked.map((r) => r.distributionPoints)).toEqual([[URI]]);
    });

    it('uses a CRL for its distribution point, not one for another', async () => {
      const scoped = (uri: string) =>
        issueCrl(inter, {
          extensions: [{ oid: OID.idp, critical: true, value: seq(fullName(uri)) }],
          revoked: [{ serial: 5005 }],
        });
      await expect(
        verify({ crls: [await scoped(URI)], depth: 'end-entity' }),
      ).rejects.toMatchObject({ code: 'CERT_REVOKED' });
      await expect(
        verify({ crls: [await scoped('http://crl.test/other.crl')], depth: 'end-entity' }),
      ).rejects.toMatchObject({
        code: 'CERT_REVOCATION_UNKNOWN',
        message: expect.stringContaining('another distribution point'),
      });
    });
  });
});
