import { beforeAll, describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { AlertDescription } from '../../src/msgs/enums.ts';
import { pemEncode } from '../../src/util/pem.ts';
import { CrlReason, parseCrl, parseCrls } from '../../src/verify/crl.ts';
import type { CrlRequest, RevocationOptions } from '../../src/verify/revocation.ts';
import { webpkiVerifier } from '../../src/verify/webpki.ts';
import { webpkiClientVerifier } from '../../src/verify/webpki-client.ts';
import * as certs from './data/certs.ts';
import { type CrlSpec, issueCrl, issuingDistributionPoint } from './helpers/crl-builder.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import {
  CLIENT_AUTH,
  intermediateCa,
  issue,
  name,
  newKey,
  rootCa,
  serverCert,
  type TestCert,
} from './helpers/x509-builder.ts';

/**
 * Revocation by CRL (RFC 5280 §5, §6.3): parsing, signature and issuer checks, validity and the
 * expiry policy, issuing-distribution-point scope, reason codes, end-entity or whole-chain
 * depth, the unknown-status policy, and CRLs from an async source.
 */

const provider = subtleProvider();
const DAY = 86_400_000;

let root: TestCert;
let inter: TestCert;
let leaf: TestCert;
let other: TestCert;
let rootCrl: Uint8Array; // lists nothing
let interCrl: Uint8Array; // lists `leaf` (keyCompromise)

function clientLeaf(issuer: TestCert, serial: number) {
  return newKey().then((key) =>
    issue({
      subject: name(`client ${serial}`),
      key,
      issuer,
      serial,
      ca: false,
      eku: [CLIENT_AUTH],
    }),
  );
}

beforeAll(async () => {
  root = await rootCa('crl root');
  inter = await intermediateCa('crl inter', root);
  leaf = await clientLeaf(inter, 1001);
  other = await clientLeaf(inter, 1002);
  rootCrl = await issueCrl(root);
  interCrl = await issueCrl(inter, {
    revoked: [{ serial: 1001, reason: CrlReason.keyCompromise }],
  });
});

async function verify(chain: TestCert[], revocation: RevocationOptions, anchor = root) {
  const verifier = webpkiClientVerifier({ roots: [anchor.der], revocation });
  return verifier.verifyClient(
    chain.map((c) => c.der),
    { provider },
  );
}

describe('parseCrl', () => {
  it('reads issuer, times, entries and reasons; PEM and DER', () => {
    const [fromPem] = parseCrls([pemEncode('X509 CRL', interCrl)]);
    const crl = parseCrl(interCrl);
    expect(fromPem.der).toEqual(crl.der);
    expect(crl.issuer.text).toBe('CN=crl inter');
    expect(crl.nextUpdate!.getTime()).toBeGreaterThan(crl.thisUpdate.getTime());
    expect([...crl.revoked.keys()]).toEqual(['03e9']);
    expect(crl.revoked.get('03e9')!.reason).toBe(CrlReason.keyCompromise);
    expect(crl.unsupportedCritical).toEqual([]);
  });

  it('refuses malformed input with BAD_CERTIFICATE, and bad configured CRLs with CONFIG', () => {
    const broken = interCrl.slice(0, interCrl.length - 3);
    expect(() => parseCrl(broken)).toThrow(expect.objectContaining({ code: 'BAD_CERTIFICATE' }));
    expect(() => parseCrls(['not pem'])).toThrow(
      expect.objectContaining({ code: 'BAD_CERTIFICATE' }),
    );
    expect(() =>
      webpkiClientVerifier({ roots: [root.der], revocation: { crls: [broken] } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});

describe('revocation by CRL', () => {
  it('a listed end-entity certificate is CERT_REVOKED, naming the reason', async () => {
    const result = verify([leaf, inter], { crls: [rootCrl, interCrl] });
    await expect(result).rejects.toMatchObject({
      code: 'CERT_REVOKED',
      message: expect.stringContaining('keyCompromise'),
    });
  });

  it('an unlisted one verifies when every CRL on the path is present', async () => {
    await expect(verify([other, inter], { crls: [rootCrl, interCrl] })).resolves.toBeDefined();
  });

  it('a revoked intermediate: refused checking the chain, accepted checking the end entity', async () => {
    const revokedInter = await intermediateCa('crl inter revoked', root, { serial: 77 });
    const below = await clientLeaf(revokedInter, 2001);
    const crls = [
      await issueCrl(root, { revoked: [{ serial: 77, reason: CrlReason.cACompromise }] }),
      await issueCrl(revokedInter),
    ];
    await expect(verify([below, revokedInter], { crls, depth: 'chain' })).rejects.toMatchObject({
      code: 'CERT_REVOKED',
      message: expect.stringContaining('cACompromise'),
    });
    await expect(
      verify([below, revokedInter], { crls, depth: 'end-entity' }),
    ).resolves.toBeDefined();
  });

  it('no CRL for a certificate: deny → CERT_REVOCATION_UNKNOWN, allow → accepted', async () => {
    await expect(verify([other, inter], { crls: [interCrl] })).rejects.toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
    });
    await expect(
      verify([other, inter], { crls: [interCrl], unknownStatus: 'allow' }),
    ).resolves.toBeDefined();
    // The end entity alone needs only the intermediate's CRL.
    await expect(
      verify([other, inter], { crls: [interCrl], depth: 'end-entity' }),
    ).resolves.toBeDefined();
  });

  it('an expired CRL: enforced it is not used; ignored it is', async () => {
    const expired = await issueCrl(inter, {
      thisUpdate: new Date(Date.now() - 30 * DAY),
      nextUpdate: new Date(Date.now() - DAY),
      revoked: [{ serial: 1001, reason: CrlReason.superseded }],
    });
    const base = { crls: [expired], depth: 'end-entity' } as const;
    await expect(verify([other, inter], base)).rejects.toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
      message: expect.stringContaining('expired'),
    });
    await expect(
      verify([other, inter], { ...base, unknownStatus: 'allow' }),
    ).resolves.toBeDefined();
    await expect(verify([other, inter], { ...base, expiredCrl: 'ignore' })).resolves.toBeDefined();
    await expect(verify([leaf, inter], { ...base, expiredCrl: 'ignore' })).rejects.toMatchObject({
      code: 'CERT_REVOKED',
    });
  });

  const unusable: [string, CrlSpec | 'other key', string][] = [
    ['signed by another key', 'other key', 'another key'],
    ['with a corrupted signature', { corruptSignature: true }, 'signature does not verify'],
    ['not yet valid', { thisUpdate: new Date(Date.now() + DAY) }, 'not yet valid'],
    [
      'with an unknown critical extension',
      {
        extensions: [{ oid: '1.3.6.1.4.1.55555.9', critical: true, value: new Uint8Array([5, 0]) }],
      },
      'unsupported critical',
    ],
  ];
  it.each(unusable)('a CRL %s is not used', async (_what, spec, why) => {
    const base = spec === 'other key' ? { signer: await newKey() } : spec;
    const crl = await issueCrl(inter, { ...base, revoked: [{ serial: 1001 }] });
    // It would revoke `leaf` if used; unused, the status is unknown.
    await expect(verify([leaf, inter], { crls: [crl], depth: 'end-entity' })).rejects.toMatchObject(
      {
        code: 'CERT_REVOCATION_UNKNOWN',
        message: expect.stringContaining(why),
      },
    );
  });

  it('an issuer whose keyUsage lacks cRLSign cannot vouch', async () => {
    const noCrlSign = await intermediateCa('no crl sign', root, { keyUsage: [5] });
    const below = await clientLeaf(noCrlSign, 3001);
    await expect(
      verify([below, noCrlSign], { crls: [await issueCrl(noCrlSign)], depth: 'end-entity' }),
    ).rejects.toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
      message: expect.stringContaining('may not sign CRLs'),
    });
  });

  it('issuing distribution point scope: CA-only does not cover a leaf, user-only does', async () => {
    const caOnly = await issueCrl(inter, {
      extensions: [issuingDistributionPoint('ca')],
      revoked: [{ serial: 1001 }],
    });
    await expect(
      verify([leaf, inter], { crls: [caOnly], depth: 'end-entity' }),
    ).rejects.toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
      message: expect.stringContaining('CA certificates only'),
    });
    const userOnly = await issueCrl(inter, {
      extensions: [issuingDistributionPoint('user')],
      revoked: [{ serial: 1001 }],
    });
    await expect(
      verify([leaf, inter], { crls: [userOnly], depth: 'end-entity' }),
    ).rejects.toMatchObject({ code: 'CERT_REVOKED' });
    // A user-only CRL of the root does not vouch for the intermediate.
    const rootUserOnly = await issueCrl(root, { extensions: [issuingDistributionPoint('user')] });
    await expect(verify([other, inter], { crls: [rootUserOnly, interCrl] })).rejects.toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
    });
  });

  it('reason removeFromCRL does not revoke; unspecified does', async () => {
    const removed = await issueCrl(inter, {
      revoked: [{ serial: 1001, reason: CrlReason.removeFromCRL }],
    });
    await expect(
      verify([leaf, inter], { crls: [removed], depth: 'end-entity' }),
    ).resolves.toBeDefined();
    const plain = await issueCrl(inter, { revoked: [{ serial: 1001 }] });
    await expect(
      verify([leaf, inter], { crls: [plain], depth: 'end-entity' }),
    ).rejects.toMatchObject({
      code: 'CERT_REVOKED',
      message: expect.stringContaining('no reason given'),
    });
  });

  it('an async source is asked per issuer; its failure counts as no CRL', async () => {
    const asked: CrlRequest[] = [];
    const source = async (request: CrlRequest) => {
      asked.push(request);
      return request.issuerName === 'CN=crl inter' ? [pemEncode('X509 CRL', interCrl)] : [rootCrl];
    };
    await expect(verify([leaf, inter], { source })).rejects.toMatchObject({ code: 'CERT_REVOKED' });
    await expect(verify([other, inter], { source })).resolves.toBeDefined();
    expect(asked.map((r) => r.issuerName)).toEqual(['CN=crl inter', 'CN=crl inter', 'CN=crl root']);
    const failing = async () => {
      throw new Error('offline');
    };
    await expect(verify([other, inter], { source: failing })).rejects.toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
      message: expect.stringContaining('offline'),
    });
  });

  it('the server verifier checks revocation too', async () => {
    const server = await serverCert(inter, { serial: 4004 });
    const crl = await issueCrl(inter, { revoked: [{ serial: 4004 }] });
    const verifier = webpkiVerifier({
      roots: [root.der],
      revocation: { crls: [crl], depth: 'end-entity' },
    });
    await expect(
      verifier.verifyServer([server.der, inter.der], { name: 'localhost' }, { provider }),
    ).rejects.toMatchObject({ code: 'CERT_REVOKED' });
  });
});

describe('a TLS 1.3 server refusing a revoked client certificate', () => {
  it('sends certificate_revoked', async () => {
    const key = await newKey();
    const revoked = await issue({
      subject: name('revoked client'),
      key,
      issuer: inter,
      serial: 1001,
      ca: false,
      eku: [CLIENT_AUTH],
    });
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key.pair.privateKey));
    const c = new ClientConnection(
      {
        provider,
        roots: [certs.caPem],
        clientCertificate: {
          chain: [revoked.der, inter.der],
          key: await provider.signingKey({ pkcs8 }),
        },
      },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'required',
      clientVerifier: webpkiClientVerifier({
        roots: [root.der],
        revocation: { crls: [rootCrl, interCrl] },
      }),
    });
    await expect(pump(c, s)).rejects.toMatchObject({ code: 'CERT_REVOKED' });
    c.readTls(s.takeTls()!);
    await expect(c.process()).rejects.toMatchObject({
      code: 'PEER_ALERT',
      peerAlert: AlertDescription.certificate_revoked,
    });
  });
});
