/**
 * TLS 1.2 against OpenSSL, both directions, for each of the six suites and each group:
 * a TLS 1.3-capable webtls client → `openssl s_server -tls1_2`, and `openssl s_client -tls1_2`
 * → a TLS 1.3-capable webtls server (which must still talk TLS 1.2 to it). The extended master
 * secret and secure renegotiation are confirmed from OpenSSL's own report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroups } from '../../src/cli/names.ts';
import { TLS12_SUITES } from '../../src/crypto/index.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import { certFiles, GROUPS, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, type Proc, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer, webtlsExchange } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const GET = 'GET / HTTP/1.0\r\n\r\n';

/** suite × group, with the certificate type the suite needs. */
const CASES = TLS12_SUITES.flatMap((suite) =>
  GROUPS.map((group) => [suite.opensslName, group, suite.name, suite.auth] as const),
);

/** `openssl s_server -tls1_2 -www` on 127.0.0.1:0 with one certificate. */
async function startServer12(type: 'p256' | 'rsa2048'): Promise<{ proc: Proc; port: number }> {
  const cert = certFiles(type);
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
  ]);
  const match = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, { stream: 'stdout' });
  return { proc, port: Number(match[1]) };
}

describe.skipIf(!HAVE)('TLS 1.3-capable webtls client → openssl s_server -tls1_2', () => {
  const ports = new Map<string, number>();
  beforeAll(async () => {
    ports.set('ECDSA', (await startServer12('p256')).port);
    ports.set('RSA', (await startServer12('rsa2048')).port);
  });
  afterAll(killAllPeers);

  it.each(CASES)('%s over %s', async (opensslName, group, suiteName, auth) => {
    const suite = TLS12_SUITES.find((s) => s.name === suiteName)!;
    const { info, received } = await webtlsExchange(
      ports.get(auth)!,
      {
        serverName: 'localhost',
        roots: [pem(ROOT)],
        // OpenSSL requires its P-256 certificate's curve in the list (RFC 8422 §4); it picks
        // the first group we list.
        groups: parseGroups(group === 'P-256' ? [group] : [group, 'P-256']),
        // A TLS 1.3 suite too, so the client offers both versions and the server picks 1.2.
        cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, suite.code],
      },
      GET,
      /<\/HTML>/i,
    );
    expect(info.protocol).toBe('TLSv1.2');
    expect(info.cipherSuite).toBe(suiteName);
    expect(info.group).toBe(group);
    expect(info.verification).toBe('OK');
    // s_server -www describes the session it negotiated.
    expect(received).toContain(`Cipher    : ${opensslName}`);
    expect(received).toMatch(/Protocol\s+: TLSv1\.2/);
    expect(received).toMatch(/Extended master secret: yes/);
  });
});

describe.skipIf(!HAVE)('openssl s_client -tls1_2 → webtls accept() (TLS 1.3-capable)', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256')), await loadCert(certFiles('rsa2048'))],
      // P-256 last, so that the group under test wins when the client also lists P-256.
      groups: parseGroups(['X25519', 'P-384', 'P-256']),
    });
  });
  afterAll(async () => {
    await killAllPeers();
    await server.close();
  });

  it.each(CASES)('%s over %s', async (opensslName, group, suiteName) => {
    const n = server.sessions.length;
    const client = startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-tls1_2',
      '-cipher',
      opensslName,
      '-groups',
      // OpenSSL lists the P-256 certificate's curve too (RFC 8422 §4); we prefer the group
      // under test.
      group === 'P-256' ? group : `${group}:P-256`,
      '-servername',
      'localhost',
      '-verify_hostname',
      'localhost',
      '-CAfile',
      ROOT,
      '-verify_return_error',
    ]);
    const line = `hello over ${opensslName} ${group}`;
    client.write(`${line}\n`);
    await client.waitFor(new RegExp(`\\n${line}\\n`), { stream: 'stdout' });
    client.endStdin();
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    expect(client.stdout).toContain(`New, TLSv1.2, Cipher is ${opensslName}`);
    expect(client.stdout).toContain('Secure Renegotiation IS supported');
    expect(client.stdout).toMatch(/Extended master secret: yes/);
    expect(client.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.cipherSuite).toBe(suiteName);
    expect(session.info?.group).toBe(group);
    expect(session.received).toBe(`${line}\n`);
  });

  it.each([
    ['RSA+SHA256', 'RSA'],
    ['RSA-PSS+SHA256', 'RSA-PSS'],
  ])('signs ServerKeyExchange for a client offering only %s', async (sigalgs, expected) => {
    const n = server.sessions.length;
    const client = startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-tls1_2',
      '-cipher',
      'ECDHE-RSA-AES128-GCM-SHA256',
      '-sigalgs',
      sigalgs,
      '-servername',
      'localhost',
      '-CAfile',
      ROOT,
      '-verify_return_error',
    ]);
    client.write('pkcs1\n');
    await client.waitFor(/\npkcs1\n/, { stream: 'stdout' });
    client.endStdin();
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    expect(client.output).toMatch(new RegExp(`Peer signature type: ${expected}\\n`));
    expect((await server.session(n)).info?.protocol).toBe('TLSv1.2');
  });

  it('a TLS 1.3-capable openssl client accepts our TLS 1.2 answer (no sentinel when 1.2-only)', async () => {
    const only12 = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256'))],
      maxVersion: 'TLSv1.2',
    });
    try {
      const client = startProc('openssl', [
        's_client',
        '-connect',
        `127.0.0.1:${only12.port}`,
        '-servername',
        'localhost',
        '-CAfile',
        ROOT,
        '-verify_return_error',
      ]);
      client.write('x\n');
      await client.waitFor(/\nx\n/, { stream: 'stdout' });
      client.endStdin();
      expect((await client.waitExit()).code, client.output).toBe(0);
      expect(client.stdout).toContain('New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256');
    } finally {
      await only12.close();
    }
  });

  it("openssl's renegotiation (R) is answered with a no_renegotiation warning", async () => {
    const n = server.sessions.length;
    const client = startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-tls1_2',
      '-servername',
      'localhost',
      '-CAfile',
      ROOT,
    ]);
    client.write('before\n');
    await client.waitFor(/\nbefore\n/, { stream: 'stdout' });
    // "R" on a line of its own makes s_client renegotiate: it sends a new ClientHello, which
    // the server refuses with a no_renegotiation warning (RFC 5246 §7.2.2).
    client.write('R\n');
    await client.waitFor(/no renegotiation|no_renegotiation/i, { stream: 'any' });
    client.endStdin();
    await client.waitExit();
    const session = await server.session(n);
    expect(session.info?.protocol).toBe('TLSv1.2');
  });
});
