/**
 * TLS 1.2 client certificates against real peers (RFC 5246 §7.4.4, §7.4.6, §7.4.8): a webtls
 * client → `openssl s_server -tls1_2 -Verify 1 -verify_return_error`; `openssl s_client
 * -tls1_2 -cert` and `gnutls-cli --x509certfile` (TLS 1.2 only) → a webtls server requiring
 * certificates. P-256, Ed25519 and RSA client keys; PKCS#1 v1.5 CertificateVerify both ways;
 * no certificate → handshake_failure; a refused certificate → the alert its error names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certifiedKeyFromPem } from '../../src/certified-key.ts';
import type { ServerConfig } from '../../src/config.ts';
import { defaultProvider } from '../../src/crypto/index.ts';
import { AlertDescription } from '../../src/msgs/enums.ts';
import { CLIENT_TYPES, type ClientType, clientFiles } from './peers/client-pki.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer, webtlsExchange } from './peers/webtls.ts';

const HAVE_OPENSSL = requirePeer('openssl');
const HAVE_GNUTLS = requirePeer('gnutls-cli');
const GET = 'GET / HTTP/1.0\r\n\r\n';

const SUBJECTS: Record<ClientType, string> = {
  p256: 'CN=webtls test client',
  ed25519: 'CN=webtls test client (ed25519)',
  rsa: 'CN=webtls test client (rsa2048)',
};
const SCHEMES: Record<ClientType, RegExp> = {
  p256: /^ecdsa_secp256r1_sha256$/,
  ed25519: /^ed25519$/,
  rsa: /^rsa_(pss_rsae|pkcs1)_sha(256|384|512)$/,
};

function loadClient(type: ClientType) {
  const files = clientFiles(type);
  return certifiedKeyFromPem(pem(files.chain), pem(files.key), defaultProvider());
}

/** `openssl s_server -tls1_2 -www` asking for a client certificate, on 127.0.0.1:0. */
async function startServer12(extra: string[] = []) {
  const cert = certFiles('p256');
  const proc = startProc('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-tls1_2',
    '-www',
    '-cert',
    cert.leaf,
    '-cert_chain',
    cert.inter,
    '-key',
    cert.key,
    '-Verify',
    '1',
    '-verify_return_error',
    '-CAfile',
    ROOT,
    ...extra,
  ]);
  const match = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, { stream: 'stdout' });
  return { proc, port: Number(match[1]) };
}

describe.skipIf(!HAVE_OPENSSL)('webtls client certificate → openssl s_server -tls1_2', () => {
  let port: number;
  let pkcs1Port: number;
  beforeAll(async () => {
    port = (await startServer12()).port;
    // Only RSA PKCS#1 v1.5 with SHA-256 is acceptable in the client's CertificateVerify.
    pkcs1Port = (await startServer12(['-client_sigalgs', 'RSA+SHA256'])).port;
  });
  afterAll(killAllPeers);

  it.each(CLIENT_TYPES)('%s client certificate is accepted and seen by openssl', async (type) => {
    const clientCertificate = await loadClient(type);
    const { info, received } = await webtlsExchange(
      port,
      { serverName: 'localhost', roots: [pem(ROOT)], maxVersion: 'TLSv1.2', clientCertificate },
      GET,
      /<\/HTML>/i,
    );
    expect(info.protocol).toBe('TLSv1.2');
    // s_server -www prints the peer certificate it verified.
    expect(received).toContain('Client certificate');
    expect(received).toMatch(new RegExp(`Subject: ${SUBJECTS[type].replace(/[()]/g, '\\$&')}`));
  });

  it('a TLS 1.3-capable webtls client answers the TLS 1.2 request too', async () => {
    const clientCertificate = await loadClient('p256');
    const { info, received } = await webtlsExchange(
      port,
      { serverName: 'localhost', roots: [pem(ROOT)], clientCertificate },
      GET,
      /<\/HTML>/i,
    );
    expect(info.protocol).toBe('TLSv1.2');
    expect(received).toMatch(/Subject: CN=webtls test client\b/);
  });

  it('RSA key, server accepting only RSA+SHA256: the CertificateVerify is PKCS#1 v1.5', async () => {
    const clientCertificate = await loadClient('rsa');
    const { received } = await webtlsExchange(
      pkcs1Port,
      { serverName: 'localhost', roots: [pem(ROOT)], maxVersion: 'TLSv1.2', clientCertificate },
      GET,
      /<\/HTML>/i,
    );
    expect(received).toMatch(/Subject: CN=webtls test client \(rsa2048\)/);
  });

  it('P-256 key, server accepting only RSA+SHA256: no certificate fits, openssl refuses', async () => {
    const clientCertificate = await loadClient('p256');
    const failure = webtlsExchange(
      pkcs1Port,
      { serverName: 'localhost', roots: [pem(ROOT)], maxVersion: 'TLSv1.2', clientCertificate },
      GET,
      /<\/HTML>/i,
    );
    await expect(failure).rejects.toMatchObject({
      code: 'PEER_ALERT',
      peerAlert: AlertDescription.handshake_failure,
    });
  });

  it('no certificate: openssl ends the handshake with handshake_failure', async () => {
    const failure = webtlsExchange(
      port,
      { serverName: 'localhost', roots: [pem(ROOT)], maxVersion: 'TLSv1.2' },
      GET,
      /<\/HTML>/i,
    );
    await expect(failure).rejects.toMatchObject({
      code: 'PEER_ALERT',
      peerAlert: AlertDescription.handshake_failure,
    });
  });

  it('a resolver is given openssl’s acceptable CAs and the version', async () => {
    const seen: { cas: number; version: string }[] = [];
    const mine = await loadClient('p256');
    const { received } = await webtlsExchange(
      port,
      {
        serverName: 'localhost',
        roots: [pem(ROOT)],
        maxVersion: 'TLSv1.2',
        clientCertResolver: (request) => {
          seen.push({ cas: request.certificateAuthorities.length, version: request.version });
          return mine;
        },
      },
      GET,
      /<\/HTML>/i,
    );
    expect(seen).toEqual([{ cas: 1, version: 'TLSv1.2' }]);
    expect(received).toContain('Client certificate');
  });
});

/** A webtls server (TLS 1.3-capable) requiring client certificates under the test root. */
async function requiringServer(): Promise<WebtlsServer> {
  const config: ServerConfig = {
    certificates: [await loadCert(certFiles('p256'))],
    clientAuth: 'required',
    clientRoots: [pem(ROOT)],
  };
  return startWebtlsServer(config);
}

describe.skipIf(!HAVE_OPENSSL)('openssl s_client -tls1_2 -cert → webtls server', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    server = await requiringServer();
  });
  afterAll(async () => {
    await killAllPeers();
    await server.close();
  });

  function client(extra: string[]) {
    return startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-tls1_2',
      '-servername',
      'localhost',
      '-verify_hostname',
      'localhost',
      '-CAfile',
      ROOT,
      '-verify_return_error',
      ...extra,
    ]);
  }

  it.each([
    ...CLIENT_TYPES.map((t) => [t, []] as const),
    ['rsa', ['-client_sigalgs', 'RSA+SHA256']] as const,
  ])('%s client certificate %j is verified', async (type, more) => {
    const files = clientFiles(type);
    const n = server.sessions.length;
    const proc = client([
      '-cert',
      files.leaf,
      '-key',
      files.key,
      '-cert_chain',
      files.inter,
      ...more,
    ]);
    proc.write('hello with a certificate\n');
    await proc.waitFor(/hello with a certificate\n/, { stream: 'stdout' });
    proc.endStdin();
    expect((await proc.waitExit()).code, proc.output).toBe(0);
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.verification).toBe('OK');
    expect(session.info?.peerSubject).toBe(SUBJECTS[type]);
    expect(session.info?.peerSignatureScheme).toMatch(
      more.length > 0 ? /^rsa_pkcs1_sha256$/ : SCHEMES[type],
    );
    expect(session.info?.peerCertificates).toHaveLength(2);
  });

  it('no certificate: handshake_failure', async () => {
    const n = server.sessions.length;
    const proc = client([]);
    const session = await server.session(n);
    expect(session.error).toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    await proc.waitFor(/alert handshake failure/, { stream: 'stderr' });
    proc.endStdin();
    await proc.waitExit();
  });

  it('a server certificate as client certificate: EKU refused with certificate_unknown', async () => {
    const files = certFiles('p256');
    const n = server.sessions.length;
    const proc = client(['-cert', files.leaf, '-key', files.key, '-cert_chain', files.inter]);
    const session = await server.session(n);
    expect(session.error).toMatchObject({ code: 'CERT_BAD_EKU' });
    await proc.waitFor(/alert certificate unknown/, { stream: 'stderr' });
    proc.endStdin();
    await proc.waitExit();
  });
});

describe.skipIf(!HAVE_GNUTLS)('gnutls-cli (TLS 1.2 only) --x509certfile → webtls server', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    server = await requiringServer();
  });
  afterAll(async () => {
    await killAllPeers();
    await server.close();
  });

  function client(extra: string[]) {
    return startProc('gnutls-cli', [
      '--x509cafile',
      ROOT,
      '--priority',
      'NORMAL:-VERS-ALL:+VERS-TLS1.2',
      '--sni-hostname',
      'localhost',
      '--verify-hostname',
      'localhost',
      '-p',
      String(server.port),
      ...extra,
      '127.0.0.1',
    ]);
  }

  it.each(CLIENT_TYPES)('%s client certificate is verified', async (type) => {
    const files = clientFiles(type);
    const n = server.sessions.length;
    const proc = client(['--x509certfile', files.chain, '--x509keyfile', files.key]);
    await proc.waitFor(/Handshake was completed/);
    proc.write('hello gnutls\n');
    await proc.waitFor(/\nhello gnutls\n/, { stream: 'stdout' });
    proc.endStdin();
    await proc.waitExit();
    expect(proc.output).toMatch(/Description: \(TLS1\.2-X\.509\)/);
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.verification).toBe('OK');
    expect(session.info?.peerSubject).toBe(SUBJECTS[type]);
    expect(session.info?.peerSignatureScheme).toMatch(SCHEMES[type]);
    expect(session.received).toBe('hello gnutls\n');
  });

  it('no certificate: handshake_failure', async () => {
    const n = server.sessions.length;
    const proc = client([]);
    const session = await server.session(n);
    expect(session.error).toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    await proc.waitExit();
    expect(proc.output).toMatch(/Handshake failed/i);
  });
});
