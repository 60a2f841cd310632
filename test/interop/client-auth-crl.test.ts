/**
 * Revocation with CRLs made by `openssl ca -gencrl` (scripts/gen-test-pki.sh section 9), seen
 * by a webtls server requiring client certificates from `openssl s_client -cert`: a revoked
 * client certificate is refused with certificate_revoked; a certificate under a revoked
 * intermediate is refused checking the whole chain and accepted checking the end entity only;
 * an expired CRL follows the expiry and unknown-status policies.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RevocationOptions } from '../../src/verify/revocation.ts';
import { webpkiClientVerifier } from '../../src/verify/webpki-client.ts';
import { CRL_DIR, CRL_ROOT, crlClientFiles } from './peers/client-pki.ts';
import { startOpensslClient } from './peers/openssl.ts';
import { certFiles, pem } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, type ServerSession, startWebtlsServer } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const crl = (name: string) => pem(join(CRL_DIR, `${name}.crl.pem`));

/** One openssl s_client -cert connection to a webtls server with `revocation`. */
async function connectWith(
  who: 'good' | 'revoked' | 'under-revoked',
  revocation: RevocationOptions,
): Promise<{ session: ServerSession; clientOutput: string }> {
  const server = await startWebtlsServer({
    certificates: [await loadCert(certFiles('p256'))],
    clientAuth: 'required',
    clientVerifier: webpkiClientVerifier({ roots: [pem(CRL_ROOT)], revocation }),
  });
  try {
    const files = crlClientFiles(who);
    const client = startOpensslClient({
      port: server.port,
      extra: ['-cert', files.leaf, '-key', files.key, '-cert_chain', files.inter],
    });
    client.write('ping\n');
    // Either the echo comes back (accepted) or openssl reports the server's alert.
    const echoed = client.waitFor(/ping\n/, { stream: 'stdout' });
    const alerted = client.waitFor(/alert/, { stream: 'stderr' });
    echoed.catch(() => undefined);
    alerted.catch(() => undefined);
    await Promise.race([echoed, alerted]);
    client.endStdin();
    await client.waitExit();
    const session = await server.session(0);
    return { session, clientOutput: client.output };
  } finally {
    await server.close();
  }
}

describe.skipIf(!HAVE)('client certificates and openssl-made CRLs', () => {
  afterAll(killAllPeers);
  const all = () => [crl('all')];

  it('a good certificate is accepted with every CRL present', async () => {
    const { session } = await connectWith('good', { crls: all() });
    expect(session.error).toBeUndefined();
    expect(session.info?.peerSubject).toBe('CN=webtls CRL test client (good)');
  });

  it('a revoked certificate is refused with certificate_revoked', async () => {
    const { session, clientOutput } = await connectWith('revoked', { crls: all() });
    expect(session.error).toMatchObject({
      code: 'CERT_REVOKED',
      message: expect.stringContaining('keyCompromise'),
    });
    expect(clientOutput).toMatch(/alert certificate revoked/);
  });

  it('under a revoked intermediate: refused for the chain, accepted for the end entity', async () => {
    const chain = await connectWith('under-revoked', { crls: all(), depth: 'chain' });
    expect(chain.session.error).toMatchObject({
      code: 'CERT_REVOKED',
      message: expect.stringContaining('cACompromise'),
    });
    const leafOnly = await connectWith('under-revoked', { crls: all(), depth: 'end-entity' });
    expect(leafOnly.session.error).toBeUndefined();
  });

  it('an expired CRL: enforced → unknown status, denied; allowed or ignored → used', async () => {
    const crls = [crl('root'), crl('inter-expired')];
    const enforced = await connectWith('good', { crls });
    expect(enforced.session.error).toMatchObject({
      code: 'CERT_REVOCATION_UNKNOWN',
      message: expect.stringContaining('expired'),
    });
    expect(enforced.clientOutput).toMatch(/alert certificate unknown/);
    const allowed = await connectWith('good', { crls, unknownStatus: 'allow' });
    expect(allowed.session.error).toBeUndefined();
    const ignored = await connectWith('revoked', { crls, expiredCrl: 'ignore' });
    expect(ignored.session.error).toMatchObject({ code: 'CERT_REVOKED' });
  });

  it('CRLs from an async source', async () => {
    const names: string[] = [];
    const source = async (request: { issuerName: string }) => {
      names.push(request.issuerName);
      return request.issuerName.includes('Root') ? [crl('root')] : [crl('inter')];
    };
    const { session } = await connectWith('revoked', { source });
    expect(session.error).toMatchObject({ code: 'CERT_REVOKED' });
    // The leaf is checked first and found revoked: only its issuer's CRLs were asked for.
    expect(names).toEqual(['O=webtls test,CN=webtls CRL Test Intermediate (inter)']);
  });
});
