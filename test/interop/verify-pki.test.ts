/**
 * The webpki verifier against certificates made by the openssl CLI (scripts/gen-test-pki.sh):
 * every good chain verifies for every name it carries, and every bad case fails with its own
 * error code, under both the WebCrypto and the pure-JavaScript provider.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  type GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  NameConstraints,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { TlsError } from '../../src/error.ts';
import { SignatureScheme } from '../../src/msgs/enums.ts';
import { bufferSource } from '../../src/util/bytes.ts';
import { pemCertificates } from '../../src/util/pem.ts';
import { TrustAnchor } from '../../src/verify/anchors.ts';
import { certificateIdentity, certificateLayout } from '../../src/verify/cert-layout.ts';
import { pkcs8Info, privateKeyToPkcs8 } from '../../src/verify/keys.ts';
import { formatIpAddress, parseIpAddress } from '../../src/verify/names.ts';
import { mozillaRoots } from '../../src/verify/roots/index.ts';
import type { ServerCertVerifier } from '../../src/verify/types.ts';
import { webpkiVerifier } from '../../src/verify/webpki.ts';
import {
  certificateDnsNames,
  certificateIpAddresses,
  certificateSummary,
  parseCertificate,
} from '../../src/verify/x509.ts';

const PKI = 'test/pki/out';
const text = (path: string) => readFileSync(`${PKI}/${path}`, 'utf8');
const certs = (path: string) => pemCertificates(text(path));
const cert = (path: string) => certs(path)[0];

const KEY_TYPES = ['p256', 'p384', 'ed25519', 'rsa2048', 'rsapss'] as const;
const LOCAL_NAMES = ['localhost', 'LocalHost', 'localhost.', '127.0.0.1', '::1', '[::1]', '0::0:1'];

/** Each bad case, the name it is reached by, and the error it must produce. */
const BAD_CASES: [string, string, string][] = [
  ['expired', 'localhost', 'CERT_EXPIRED'],
  ['not-yet-valid', 'localhost', 'CERT_NOT_YET_VALID'],
  ['wrong-dns', 'localhost', 'CERT_NAME_MISMATCH'],
  ['wrong-ip', '127.0.0.1', 'CERT_NAME_MISMATCH'],
  ['wrong-ip', '::1', 'CERT_NAME_MISMATCH'],
  ['ip-only', 'localhost', 'CERT_NAME_MISMATCH'],
  ['dns-only', '127.0.0.1', 'CERT_NAME_MISMATCH'],
  ['dns-ip-literal', '127.0.0.1', 'CERT_NAME_MISMATCH'],
  ['wildcard-tld', 'a.localhost', 'CERT_NAME_MISMATCH'],
  ['missing-intermediate', 'localhost', 'CERT_UNKNOWN_ISSUER'],
  ['inter-not-ca', 'localhost', 'CERT_NOT_CA'],
  ['inter-no-basic-constraints', 'localhost', 'CERT_NOT_CA'],
  ['path-len', 'localhost', 'CERT_PATH_LEN'],
  ['bad-eku', 'localhost', 'CERT_BAD_EKU'],
  ['inter-bad-eku', 'localhost', 'CERT_BAD_EKU'],
  ['inter-bad-key-usage', 'localhost', 'CERT_BAD_KEY_USAGE'],
  ['inter-expired', 'localhost', 'CERT_EXPIRED'],
  ['nc-dns', 'localhost', 'CERT_NAME_CONSTRAINTS'],
  ['nc-ip', '127.0.0.1', 'CERT_NAME_CONSTRAINTS'],
  ['nc-excluded-dns', 'localhost', 'CERT_NAME_CONSTRAINTS'],
  ['nc-excluded-ip', 'localhost', 'CERT_NAME_CONSTRAINTS'],
  ['unknown-root', 'localhost', 'CERT_UNKNOWN_ISSUER'],
  ['bad-signature', 'localhost', 'CERT_BAD_SIGNATURE'],
  ['unknown-critical', 'localhost', 'UNSUPPORTED_CERTIFICATE'],
];

/** Runs `verifier` and returns the TlsError code it throws (or 'OK' and the path). */
async function outcome(
  verifier: ServerCertVerifier,
  chain: Uint8Array[],
  name: string,
  provider: CryptoProvider,
  now?: Date,
): Promise<{ code: string; path?: Uint8Array[]; message?: string }> {
  try {
    const { path } = await verifier.verifyServer(chain, { name }, { provider, now });
    return { code: 'OK', path };
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    expect(e.layer === 'verify' || e.layer === 'config').toBe(true);
    return { code: e.code, message: e.message };
  }
}

const PROVIDERS: [string, CryptoProvider][] = [
  ['subtle', subtleProvider()],
  ['noble', nobleProvider()],
];

describe.each(PROVIDERS)('webpkiVerifier with the %s provider', (_name, provider) => {
  const verifier = webpkiVerifier({ roots: [text('root.pem')] });
  const root = cert('root.pem');

  describe.each(KEY_TYPES)('%s chain', (type) => {
    it.each(LOCAL_NAMES)('verifies for %s, ending at the root', async (name) => {
      const chain = certs(`${type}/chain.pem`);
      const r = await outcome(verifier, chain, name, provider);
      expect(r.code).toBe('OK');
      expect(r.path).toEqual([chain[0], chain[1], root]);
    });

    it('refuses other names and addresses', async () => {
      const chain = certs(`${type}/chain.pem`);
      for (const name of ['example.com', 'localhost.localdomain', '127.0.0.2', '::2']) {
        expect((await outcome(verifier, chain, name, provider)).code).toBe('CERT_NAME_MISMATCH');
      }
    });
  });

  it.each(BAD_CASES)('bad case %s reached as %s fails with %s', async (name, host, code) => {
    const r = await outcome(verifier, certs(`bad/${name}/chain.pem`), host, provider);
    expect(r.code).toBe(code);
    // The message names the certificate at fault.
    expect(r.message).toMatch(/"[^"]*CN=/);
  });

  it('accepts the name-constrained control case', async () => {
    for (const name of ['localhost', '127.0.0.1', '::1']) {
      const r = await outcome(verifier, certs('bad/nc-ok/chain.pem'), name, provider);
      expect(r.code).toBe('OK');
    }
  });

  it('accepts the certificates that fail only on the name when reached by their name', async () => {
    const cases: [string, string][] = [
      ['wrong-dns', 'wrong.test'],
      ['wrong-dns', '127.0.0.1'],
      ['wrong-ip', '127.0.0.2'],
      ['wrong-ip', '::2'],
      ['ip-only', '127.0.0.1'],
      ['dns-only', 'localhost'],
      ['no-eku', 'localhost'],
    ];
    for (const [name, host] of cases) {
      expect((await outcome(verifier, certs(`bad/${name}/chain.pem`), host, provider)).code).toBe(
        'OK',
      );
    }
  });

  it('matches the wildcard of the second server certificate one label deep', async () => {
    const chain = certs('other/chain.pem');
    for (const name of ['other.test', 'www.other.test', 'WWW.Other.Test']) {
      expect((await outcome(verifier, chain, name, provider)).code).toBe('OK');
    }
    for (const name of ['a.b.other.test', 'xother.test', 'localhost']) {
      expect((await outcome(verifier, chain, name, provider)).code).toBe('CERT_NAME_MISMATCH');
    }
  });

  it('refuses a client certificate as a server certificate', async () => {
    const r = await outcome(verifier, certs('client/chain.pem'), 'client.webtls.test', provider);
    expect(r.code).toBe('CERT_BAD_EKU');
  });

  it('builds the path from an unordered chain with extra and presented-root certificates', async () => {
    const [leaf, inter] = certs('p256/chain.pem');
    const extras = [
      cert('p384/inter.pem'),
      cert('other/leaf.pem'),
      cert('untrusted-root.pem'),
      cert('cross/inter-root2.pem'),
    ];
    const chain = [leaf, ...extras.slice(0, 2), root, ...extras.slice(2), inter];
    const r = await outcome(verifier, chain, 'localhost', provider);
    expect(r.code).toBe('OK');
    expect(r.path).toEqual([leaf, inter, root]);
  });

  it('follows a cross-signed intermediate to whichever root is trusted', async () => {
    const chain = certs('cross/chain.pem');
    const viaRoot = await outcome(verifier, chain, 'localhost', provider);
    expect(viaRoot.path).toEqual([chain[0], cert('cross/inter-root.pem'), root]);

    const root2 = cert('root2.pem');
    const only2 = webpkiVerifier({ roots: [root2] });
    const viaRoot2 = await outcome(only2, chain, 'localhost', provider);
    expect(viaRoot2.path).toEqual([chain[0], cert('cross/inter-root2.pem'), root2]);

    const both = webpkiVerifier({ roots: [text('root2.pem'), text('root.pem')] });
    expect((await outcome(both, chain, 'localhost', provider)).code).toBe('OK');

    // Without the cross-certificate that reaches the trusted root, there is no path.
    const partial = [chain[0], cert('cross/inter-root2.pem')];
    expect((await outcome(verifier, partial, 'localhost', provider)).code).toBe(
      'CERT_UNKNOWN_ISSUER',
    );
  });

  it('reports the specific failure when the only issuer is expired, not "unknown issuer"', async () => {
    // The intermediate is valid 2026..2046: at 2020 the leaf check fails first, at 2100 too.
    const chain = certs('p256/chain.pem');
    const early = await outcome(verifier, chain, 'localhost', provider, new Date('2020-01-01'));
    expect(early.code).toBe('CERT_NOT_YET_VALID');
    const late = await outcome(verifier, chain, 'localhost', provider, new Date('2100-01-01'));
    expect(late.code).toBe('CERT_EXPIRED');
  });

  it('trusts a self-signed server certificate only when it is configured as a root', async () => {
    const chain = certs('selfsigned/chain.pem');
    const pinned = webpkiVerifier({ roots: [text('selfsigned/leaf.pem')] });
    expect((await outcome(pinned, chain, 'localhost', provider)).code).toBe('OK');
    expect((await outcome(pinned, chain, 'example.com', provider)).code).toBe('CERT_NAME_MISMATCH');
    expect((await outcome(verifier, chain, 'localhost', provider)).code).toBe(
      'CERT_UNKNOWN_ISSUER',
    );
  });

  it('does not trust the test PKI with the default (Mozilla) roots', async () => {
    const r = await outcome(webpkiVerifier(), certs('p256/chain.pem'), 'localhost', provider);
    expect(r.code).toBe('CERT_UNKNOWN_ISSUER');
  });

  it('verifies certificate signatures of every scheme the PKI uses', async () => {
    // Which scheme each issuer -> subject signature maps to (all verified above); pin them.
    const seen = new Set<number>();
    const record = { ...provider };
    record.verify = (scheme, spki, data, sig) => {
      seen.add(scheme);
      return provider.verify(scheme, spki, data, sig);
    };
    for (const type of [...KEY_TYPES, 'other']) {
      await verifier
        .verifyServer(
          certs(`${type}/chain.pem`),
          { name: 'localhost' },
          {
            provider: record,
          },
        )
        .catch(() => undefined);
    }
    expect([...seen].sort()).toEqual(
      [
        SignatureScheme.rsa_pkcs1_sha256,
        SignatureScheme.rsa_pkcs1_sha384,
        SignatureScheme.rsa_pkcs1_sha512,
        SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.ecdsa_secp384r1_sha384,
        SignatureScheme.ecdsa_secp521r1_sha512,
        SignatureScheme.rsa_pss_rsae_sha256,
        SignatureScheme.rsa_pss_rsae_sha384,
        SignatureScheme.rsa_pss_pss_sha256,
        SignatureScheme.ed25519,
      ].sort(),
    );
  });
});

describe('x509 parsing of openssl output', () => {
  const files = [
    'root.pem',
    'root2.pem',
    ...KEY_TYPES.flatMap((t) => [`${t}/leaf.pem`, `${t}/inter.pem`]),
    'other/leaf.pem',
    'client/leaf.pem',
    'bad/nc-ok/chain.pem',
    'bad/unknown-critical/leaf.pem',
  ];

  it.each(files)('renders the subject of %s as openssl does (RFC 2253)', (file) => {
    const expected = execFileSync('openssl', [
      'x509',
      '-in',
      `${PKI}/${file}`,
      '-noout',
      '-subject',
      '-nameopt',
      'RFC2253',
    ])
      .toString()
      .trim()
      .replace(/^subject=/, '');
    expect(certificateSummary(cert(file))).toBe(expected);
  });

  it('reads SANs, name constraints and extensions', () => {
    expect(certificateDnsNames(cert('other/leaf.pem'))).toEqual(['other.test', '*.other.test']);
    expect(certificateIpAddresses(cert('p256/leaf.pem'))).toEqual([
      new Uint8Array([127, 0, 0, 1]),
      new Uint8Array([...new Array(15).fill(0), 1]),
    ]);
    const nc = parseCertificate(certs('bad/nc-ok/chain.pem')[1]).nameConstraints;
    expect(nc?.permitted?.dns).toEqual(['localhost']);
    expect(nc?.permitted?.ip.map((b) => b.length)).toEqual([8, 32]);
    expect(nc?.excluded).toBeUndefined();
    const unknown = parseCertificate(cert('bad/unknown-critical/leaf.pem'));
    expect(unknown.unknownCritical).toEqual(['1.3.6.1.4.1.55555.1.1']);
    const pl0 = parseCertificate(certs('bad/path-len/chain.pem')[2]);
    expect(pl0.basicConstraints).toEqual({ ca: true, pathLen: 0 });
  });

  it('parses every bundled root and test certificate as @peculiar/asn1-x509 decodes it', () => {
    const roots = mozillaRoots();
    expect(roots.length).toBeGreaterThan(100);
    const pki = execFileSync('find', [PKI, '-name', '*.pem', '-not', '-name', 'key.pem'])
      .toString()
      .trim()
      .split('\n')
      .filter((f) => !f.includes('/keys/') && !f.includes('/ca/'))
      .flatMap((f) => pemCertificates(readFileSync(f, 'utf8')));
    expect(pki.length).toBeGreaterThan(50);
    for (const der of [...roots, ...pki]) {
      expectIndexMatchesLibrary(der);
      expectRawFieldsMatchLibrary(der);
    }
  });
});

/**
 * Cross-checks the trust-anchor index (the minimal DER walk of cert-layout.ts) against a decode
 * by @peculiar/asn1-x509 alone: the subject, issuer and key it indexes are the ones the library
 * finds, the signed span is the library's, and the full parse of the anchor agrees with the
 * index, as path building assumes when it matches anchors by subject and key.
 */
function expectIndexMatchesLibrary(der: Uint8Array): void {
  const lib = AsnConvert.parse(der, Certificate);
  const tbs = lib.tbsCertificate;
  const serialized = (v: object) => new Uint8Array(AsnConvert.serialize(v));
  const id = certificateIdentity(der);
  expect(id.subject).toEqual(serialized(tbs.subject));
  expect(id.issuer).toEqual(serialized(tbs.issuer));
  expect(id.spki).toEqual(serialized(tbs.subjectPublicKeyInfo));
  expect(certificateLayout(der).tbs).toEqual(new Uint8Array(lib.tbsCertificateRaw!));
  const anchor = new TrustAnchor(der);
  expect(anchor.parsed().subject.der).toEqual(anchor.subject);
  expect(anchor.parsed().spki).toEqual(anchor.spki);
  expect(anchor.parsed().issuer.der).toEqual(id.issuer);
}

/**
 * Cross-checks parseCertificate, which reads every field with webtls's own DER reader, against
 * an independent decode by @peculiar/asn1-x509: version, serial, signature, validity, the
 * algorithm parameters, and each extension webtls uses.
 */
function expectRawFieldsMatchLibrary(der: Uint8Array): void {
  const ours = parseCertificate(der);
  const lib = AsnConvert.parse(der, Certificate);
  const tbs = lib.tbsCertificate;
  const ext = <T>(id: string, type: new () => T): T | undefined => {
    const e = tbs.extensions?.find((x) => x.extnID === id);
    return e ? AsnConvert.parse(e.extnValue, type) : undefined;
  };
  const bytes = (b: ArrayBuffer | ArrayBufferView) =>
    ArrayBuffer.isView(b)
      ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
      : new Uint8Array(b);
  expect(ours.version).toBe(tbs.version + 1);
  expect(ours.serial).toEqual(bytes(tbs.serialNumber));
  expect(ours.signature).toEqual(bytes(lib.signatureValue));
  expect(ours.notBefore.getTime()).toBe(tbs.validity.notBefore.getTime().getTime());
  expect(ours.notAfter.getTime()).toBe(tbs.validity.notAfter.getTime().getTime());

  const bc = ext(id_ce_basicConstraints, BasicConstraints);
  expect(ours.basicConstraints).toEqual(
    bc && {
      ca: bc.cA,
      pathLen: bc.pathLenConstraint === undefined ? undefined : Number(bc.pathLenConstraint),
    },
  );
  // Both number KeyUsage bits as RFC 5280 §4.2.1.3 does: digitalSignature is 1 << 0.
  expect(ours.keyUsage).toBe(ext(id_ce_keyUsage, KeyUsage)?.toNumber());
  const eku = ext(id_ce_extKeyUsage, ExtendedKeyUsage);
  expect(ours.extKeyUsage).toEqual(eku && Array.from(eku));
  const ski = ext(id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
  expect(ours.subjectKeyId).toEqual(ski && bytes(ski.buffer));
  const aki = ext(id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier);
  expect(ours.authorityKeyId).toEqual(aki?.keyIdentifier && bytes(aki.keyIdentifier.buffer));

  const params = (p: ArrayBuffer | null | undefined) =>
    p === undefined ? undefined : p === null ? new Uint8Array([5, 0]) : new Uint8Array(p);
  expect(ours.signatureAlgorithm.params).toEqual(params(lib.signatureAlgorithm.parameters));
  expect(ours.publicKeyAlgorithm.params).toEqual(
    params(tbs.subjectPublicKeyInfo.algorithm.parameters),
  );

  const san = ext(id_ce_subjectAltName, SubjectAlternativeName) ?? [];
  expect(ours.dnsNames).toEqual(san.filter((n) => n.dNSName).map((n) => n.dNSName));
  expect(ours.ipAddresses).toEqual(
    san.filter((n) => n.iPAddress).map((n) => parseIpAddress(n.iPAddress!)),
  );

  const nc = ext(id_ce_nameConstraints, NameConstraints);
  const subtrees = (list: { base: GeneralName }[] | undefined) =>
    list && {
      dns: list.filter((t) => t.base.dNSName !== undefined).map((t) => t.base.dNSName),
      ip: list.filter((t) => t.base.iPAddress !== undefined).map((t) => t.base.iPAddress),
    };
  const ourSubtrees = (s: { dns: string[]; ip: Uint8Array[] } | undefined) =>
    s && { dns: s.dns, ip: s.ip.map(cidr) };
  expect(ourSubtrees(ours.nameConstraints?.permitted)).toEqual(
    subtrees(nc?.permittedSubtrees && Array.from(nc.permittedSubtrees)),
  );
  expect(ourSubtrees(ours.nameConstraints?.excluded)).toEqual(
    subtrees(nc?.excludedSubtrees && Array.from(nc.excludedSubtrees)),
  );
}

/** An address-and-mask subtree base as the library prints it: `address/prefix length`. */
function cidr(octets: Uint8Array): string {
  const half = octets.length / 2;
  const address = octets.subarray(0, half);
  let prefix = 0;
  for (const b of octets.subarray(half)) prefix += b.toString(2).replace(/0/g, '').length;
  if (prefix === 0 && address.every((b) => b === 0)) return half === 4 ? '0.0.0.0/0' : '::/0';
  return `${formatIpAddress(address)}/${prefix}`;
}

describe('private keys in every openssl encoding', () => {
  const subtle = globalThis.crypto.subtle;

  async function signsForCertificate(pkcs8: Uint8Array, leafPath: string, curve: string) {
    const key = await subtle.importKey(
      'pkcs8',
      bufferSource(pkcs8),
      { name: 'ECDSA', namedCurve: curve },
      false,
      ['sign'],
    );
    const data = new TextEncoder().encode('webtls key check');
    const hash = curve === 'P-256' ? 'SHA-256' : 'SHA-384';
    const raw = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash }, key, data));
    const spki = parseCertificate(cert(leafPath)).spki;
    const pub = await subtle.importKey(
      'spki',
      bufferSource(spki),
      { name: 'ECDSA', namedCurve: curve },
      false,
      ['verify'],
    );
    return subtle.verify({ name: 'ECDSA', hash }, pub, raw, data);
  }

  it.each([
    ['keys/p256-sec1.pem', 'p256/leaf.pem', 'P-256'],
    ['keys/p256-sec1-no-public.pem', 'p256/leaf.pem', 'P-256'],
    ['keys/p256-ecparam.pem', 'p256/leaf.pem', 'P-256'],
    ['keys/p384-sec1.pem', 'p384/leaf.pem', 'P-384'],
    ['p256/key.pem', 'p256/leaf.pem', 'P-256'],
  ])('%s becomes a PKCS#8 key WebCrypto imports', async (keyPath, leafPath, curve) => {
    const pkcs8 = privateKeyToPkcs8(text(keyPath));
    expect(pkcs8Info(pkcs8).algorithm).toBe('1.2.840.10045.2.1');
    expect(await signsForCertificate(pkcs8, leafPath, curve)).toBe(true);
  });

  it('DER input in SEC1 or PKCS#8 gives the same key', async () => {
    const sec1 = new Uint8Array(readFileSync(`${PKI}/keys/p256-sec1.der`));
    const pkcs8 = new Uint8Array(readFileSync(`${PKI}/keys/p256-pkcs8.der`));
    expect(await signsForCertificate(privateKeyToPkcs8(sec1), 'p256/leaf.pem', 'P-256')).toBe(true);
    expect(privateKeyToPkcs8(pkcs8)).toEqual(pkcs8);
  });

  it('wraps a PKCS#1 RSA key as openssl would', () => {
    const ours = privateKeyToPkcs8(text('keys/rsa2048-pkcs1.pem'));
    const theirs = execFileSync('openssl', [
      'pkcs8',
      '-topk8',
      '-nocrypt',
      '-in',
      `${PKI}/keys/rsa2048-pkcs1.pem`,
      '-outform',
      'DER',
    ]);
    expect(ours).toEqual(new Uint8Array(theirs));
    expect(pkcs8Info(ours)).toEqual({ algorithm: '1.2.840.113549.1.1.1' });
  });
});
