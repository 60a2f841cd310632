/**
 * TLS 1.3 client certificates against OpenSSL, both ways: a webtls client with a certificate
 * (P-256, Ed25519, RSA) → `openssl s_server -Verify 1 -verify_return_error`, and
 * `openssl s_client -cert` → a webtls server requiring certificates; no certificate →
 * certificate_required; a certificate the server refuses → the alert RFC 8446 §6.2 names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certifiedKeyFromPem } from '../../src/certified-key.ts';
import type { ServerConfig } from '../../src/config.ts';
import { defaultProvider } from '../../src/crypto/index.ts';
import { AlertDescription } from '../../src/msgs/enums.ts';
import { CLIENT_TYPES, type ClientType, clientFiles } from './peers/client-pki.ts';
import { type OpensslServer, startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer, webtlsExchange } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const GET = 'GET / HTTP/1.0\r\n\r\n';

const SUBJECTS: Record<ClientType, string> = {
  p256: 'CN=webtls test client',
  ed25519: 'CN=webtls test client (ed25519)',
  rsa: 'CN=webtls test client (rsa2048)',
};
const SCHEMES: Record<ClientType, RegExp> = {
  p256: /^ecdsa_secp256r1_sha256$/,
  ed25519: /^ed25519$/,
  rsa: /^rsa_pss_rsae_sha(256|384|512)$/,
};

function loadClient(type: ClientType) {
  const files = clientFiles(type);
  return certifiedKeyFromPem(pem(files.chain), pem(files.key), defaultProvider());
}

describe.skipIf(!HAVE)('webtls client certificate → openssl s_server -Verify 1', () => {
  let server: OpensslServer;
  beforeAll(async () => {
    server = await startOpensslServer({
      cert: certFiles('p256'),
      www: true,
      extra: ['-Verify', '1', '-verify_return_error', '-CAfile', ROOT],
    });
  });
  afterAll(killAllPeers);

  it.each(CLIENT_TYPES)('%s client certificate is accepted and seen by openssl', async (type) => {
    const clientCertificate = await loadClient(type);
    const { info, received } = await webtlsExchange(
      server.port,
      { serverName: 'localhost', roots: [pem(ROOT)], clientCertificate },
      GET,
      /<\/HTML>/i,
    );
    expect(info.protocol).toBe('TLSv1.3');
    // s_server -www prints the peer certificate it verified.
    expect(received).toContain('Client certificate');
    expect(received).toMatch(new RegExp(`Subject: ${SUBJECTS[type].replace(/[()]/g, '\\$&')}`));
  });

  it('no certificate: openssl ends the handshake with certificate_required', async () => {
    const failure = webtlsExchange(
      server.port,
      { serverName: 'localhost', roots: [pem(ROOT)] },
      GET,
      /<\/HTML>/i,
    );
    await expect(failure).rejects.toMatchObject({
      code: 'PEER_ALERT',
      peerAlert: AlertDescription.certificate_required,
    });
  });

  it('a resolver is given openssl’s acceptable CAs (the -CAfile subject)', async () => {
    let seen = 0;
    const mine = await loadClient('p256');
    const { received } = await webtlsExchange(
      server.port,
      {
        serverName: 'localhost',
        roots: [pem(ROOT)],
        clientCertResolver: (request) => {
          seen = request.certificateAuthorities.length;
          return mine;
        },
      },
      GET,
      /<\/HTML>/i,
    );
    expect(seen).toBe(1);
    expect(received).toContain('Client certificate');
  });
});

describe.skipIf(!HAVE)('openssl s_client -cert → webtls server requiring certificates', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    const config: ServerConfig = {
      certificates: [await loadCert(certFiles('p256'))],
      clientAuth: 'required',
      clientRoots: [pem(ROOT)],
    };
    server = await startWebtlsServer(config);
  });
  afterAll(async () => {
    await killAllPeers();
    await server.close();
  });

  it.each(CLIENT_TYPES)('%s client certificate is verified', async (type) => {
    const files = clientFiles(type);
    const n = server.sessions.length;
    const client = startOpensslClient({
      port: server.port,
      extra: ['-cert', files.leaf, '-key', files.key, '-cert_chain', files.inter],
    });
    client.write('hello with a certificate\n');
    await client.waitFor(/hello with a certificate\n/, { stream: 'stdout' });
    client.endStdin();
    expect((await client.waitExit()).code, client.output).toBe(0);
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.verification).toBe('OK');
    expect(session.info?.peerSubject).toBe(SUBJECTS[type]);
    expect(session.info?.peerSignatureScheme).toMatch(SCHEMES[type]);
    expect(session.info?.peerCertificates).toHaveLength(2);
  });

  it('no certificate: certificate_required', async () => {
    const n = server.sessions.length;
    const client = startOpensslClient({ port: server.port });
    const session = await server.session(n);
    expect(session.error).toMatchObject({ code: 'CERTIFICATE_REQUIRED' });
    await client.waitFor(/alert certificate required/, { stream: 'stderr' });
    client.endStdin();
    await client.waitExit();
  });

  it('a server certificate as client certificate: EKU refused with certificate_unknown', async () => {
    const files = certFiles('p256');
    const n = server.sessions.length;
    const client = startOpensslClient({
      port: server.port,
      extra: ['-cert', files.leaf, '-key', files.key, '-cert_chain', files.inter],
    });
    const session = await server.session(n);
    expect(session.error).toMatchObject({ code: 'CERT_BAD_EKU' });
    await client.waitFor(/alert certificate unknown/, { stream: 'stderr' });
    client.endStdin();
    await client.waitExit();
  });
});

describe.skipIf(!HAVE)('an id-RSASSA-PSS client key (rsa_pss_pss_*) with openssl', () => {
  // The test PKI's RSA-PSS key certificate is a server certificate (EKU serverAuth), so the
  // verifiers here accept any chain: what is tested is the CertificateVerify signature.
  afterAll(killAllPeers);
  const files = certFiles('rsapss');

  it('openssl s_client -cert with an RSA-PSS key → webtls server', async () => {
    const server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256'))],
      clientAuth: 'required',
      clientVerifier: { verifyClient: async (chain) => ({ path: [...chain] }) },
    });
    try {
      const client = startOpensslClient({
        port: server.port,
        extra: ['-cert', files.leaf, '-key', files.key, '-cert_chain', files.inter],
      });
      client.write('pss\n');
      await client.waitFor(/pss\n/, { stream: 'stdout' });
      client.endStdin();
      await client.waitExit();
      const session = await server.session(0);
      expect(session.error).toBeUndefined();
      expect(session.info?.peerSignatureScheme).toMatch(/^rsa_pss_pss_sha(256|384|512)$/);
    } finally {
      await server.close();
    }
  });

  it('webtls client with an RSA-PSS key → openssl s_server -verify 1', async () => {
    const pss = await startOpensslServer({
      cert: certFiles('p256'),
      www: true,
      extra: ['-verify', '1', '-CAfile', ROOT],
    });
    const clientCertificate = await certifiedKeyFromPem(
      pem(files.chain),
      pem(files.key),
      defaultProvider(),
    );
    const { received } = await webtlsExchange(
      pss.port,
      { serverName: 'localhost', roots: [pem(ROOT)], clientCertificate },
      GET,
      /<\/HTML>/i,
    );
    expect(received).toContain('Client certificate');
    // openssl verified the client's CertificateVerify: an RSA-PSS signature by a PSS key.
    expect(received).toContain('Peer signature type: RSA-PSS');
    expect(received).toContain('Public Key Algorithm: rsassaPss');
  });
});
