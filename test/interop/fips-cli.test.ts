/**
 * `-provider fips` against OpenSSL: `bin/webtls s_client -provider fips` → `openssl s_server`
 * (which prefers X25519) negotiates an AES-GCM suite on P-256 or P-384 and prints `FIPS: yes`;
 * `openssl s_client` (one X25519 key share) → `bin/webtls s_server -provider fips` goes through
 * HelloRetryRequest to P-256; TLS 1.2 gets ECDHE with AES-GCM; `-groups X25519` and ChaCha20
 * under `-provider fips` are usage errors naming them, on both commands.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, runProc, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { runWebtlsClientCli, startWebtlsServerCli, WEBTLS_BIN } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');

/** Starts `openssl s_server -www` on a free loopback port with `args` added. */
async function opensslServer(type: 'p256' | 'rsa2048', args: string[] = []) {
  const cert = certFiles(type);
  const server = startProc('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-www',
    '-cert',
    cert.leaf,
    '-cert_chain',
    cert.inter,
    '-key',
    cert.key,
    ...args,
  ]);
  const port = Number((await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
  return { server, port };
}

function fipsClient(port: number, args: string[] = []) {
  return runWebtlsClientCli(
    [
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      'localhost',
      '-CAfile',
      ROOT,
      '-provider',
      'fips',
      ...args,
    ],
    'GET / HTTP/1.0\r\n\r\n',
  );
}

describe.skipIf(!HAVE)('CLI -provider fips with openssl', () => {
  afterAll(killAllPeers);

  it('webtls s_client -provider fips → openssl s_server (X25519 first): AES-GCM on P-256', async () => {
    const { server, port } = await opensslServer('p256');
    const run = await fipsClient(port);
    server.kill();
    expect(run.code, run.output).toBe(0);
    const summary = run.stderr.split('\n');
    expect(summary).toContain('Protocol: TLSv1.3');
    expect(run.stderr).toMatch(/^Cipher: TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)$/m);
    expect(summary).toContain('Group: P-256');
    expect(summary).toContain('Verification: OK');
    expect(summary).toContain('FIPS: yes');
    expect(run.stdout).toMatch(/Cipher {4}: TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)/);
  });

  it('openssl s_server -groups X25519:P-384 with an RSA-2048 certificate: P-384, RSA-PSS', async () => {
    const { server, port } = await opensslServer('rsa2048', ['-groups', 'X25519:P-384']);
    const run = await fipsClient(port);
    server.kill();
    expect(run.code, run.output).toBe(0);
    const summary = run.stderr.split('\n');
    expect(summary).toContain('Group: P-384');
    expect(run.stderr).toMatch(/^Peer signature: rsa_pss_rsae_sha(256|384|512)$/m);
    expect(summary).toContain('FIPS: yes');
  });

  it('TLS 1.2: webtls s_client -provider fips -tls1_2 gets ECDHE with AES-GCM', async () => {
    const { server, port } = await opensslServer('rsa2048', ['-tls1_2']);
    const run = await fipsClient(port, ['-tls1_2']);
    server.kill();
    expect(run.code, run.output).toBe(0);
    const summary = run.stderr.split('\n');
    expect(summary).toContain('Protocol: TLSv1.2');
    expect(run.stderr).toMatch(/^Cipher: TLS_ECDHE_RSA_WITH_AES_(128_GCM_SHA256|256_GCM_SHA384)$/m);
    expect(summary).toContain('FIPS: yes');
    // openssl's -www page prints the session: the extended master secret was used.
    expect(run.stdout).toContain('Extended master secret: yes');
  });

  it('openssl s_client (X25519 share) → webtls s_server -provider fips: HRR to P-256', async () => {
    const cert = certFiles('p256');
    const { proc, port } = await startWebtlsServerCli([
      '-cert',
      cert.chain,
      '-key',
      cert.key,
      '-provider',
      'fips',
      '-www',
      '-naccept',
      '1',
    ]);
    const client = startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      'localhost',
      '-CAfile',
      ROOT,
      '-verify_return_error',
      '-ign_eof',
    ]);
    client.write('GET / HTTP/1.0\r\n\r\n');
    await client.waitFor(/FIPS: yes/, { stream: 'stdout' });
    client.endStdin();
    await client.waitExit();
    expect(client.stdout).toMatch(
      /New, TLSv1\.3, Cipher is TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)/,
    );
    await proc.waitFor(/FIPS: yes/, { stream: 'stderr' });
    const summary = proc.stderr.split('\n');
    expect(summary).toContain('HelloRetryRequest: yes');
    expect(summary).toContain('Group: P-256');
    proc.kill();
  });

  it('-provider fips -groups X25519 is a usage error naming X25519 (s_client, s_server)', async () => {
    // Port 9 (discard) is never dialled: the flags are refused first.
    const run = await runWebtlsClientCli(
      ['-connect', '127.0.0.1:9', '-provider', 'fips', '-groups', 'P-256:X25519'],
      '',
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain('webtls: -provider fips refuses group X25519');
    expect(run.stderr).toContain('usage: webtls s_client');

    const cert = certFiles('p256');
    const server = await runProc(WEBTLS_BIN, [
      's_server',
      '-accept',
      '127.0.0.1:0',
      '-cert',
      cert.chain,
      '-key',
      cert.key,
      '-provider',
      'fips',
      '-groups',
      'X25519',
    ]);
    expect(server.code, server.output).toBe(2);
    expect(server.stderr).toContain('refuses group X25519');
    expect(server.stdout).not.toContain('ACCEPT');
  });

  it('-provider fips with a ChaCha20-Poly1305 suite is a usage error naming it', async () => {
    const run = await runWebtlsClientCli(
      [
        '-connect',
        '127.0.0.1:9',
        '-provider',
        'fips',
        '-ciphersuites',
        'TLS_CHACHA20_POLY1305_SHA256',
      ],
      '',
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain('refuses cipher suite TLS_CHACHA20_POLY1305_SHA256');
    // Without it, -ciphersuites alone leaves only the AES-GCM TLS 1.2 suites: no usage error.
    const { server, port } = await opensslServer('p256', ['-tls1_2']);
    const ok = await fipsClient(port, ['-ciphersuites', 'TLS_AES_256_GCM_SHA384']);
    server.kill();
    expect(ok.code, ok.output).toBe(0);
    expect(ok.stderr).toMatch(
      /^Cipher: TLS_ECDHE_ECDSA_WITH_AES_(128_GCM_SHA256|256_GCM_SHA384)$/m,
    );
  });

  it('the default provider reports FIPS: no (X25519 in effect)', async () => {
    const { server, port } = await opensslServer('p256');
    const run = await runWebtlsClientCli(
      ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', ROOT],
      'GET / HTTP/1.0\r\n\r\n',
    );
    server.kill();
    expect(run.code, run.output).toBe(0);
    expect(run.stderr.split('\n')).toContain('FIPS: no');
  });
});
