/**
 * The CLI's TLS 1.2 flags against OpenSSL: `bin/webtls s_client -tls1_2 -cipher NAME` →
 * `openssl s_server -tls1_2 -www`, and `openssl s_client -tls1_2` → `bin/webtls s_server
 * -tls1_2 -cipher NAME`; the summary prints `Protocol: TLSv1.2`, the suite and `Resumed: no`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { runWebtlsClientCli, startWebtlsServerCli } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');

describe.skipIf(!HAVE)('CLI -tls1_2 / -cipher with openssl', () => {
  afterAll(killAllPeers);

  it('webtls s_client -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305 → openssl s_server', async () => {
    const cert = certFiles('rsa2048');
    const server = startProc('openssl', [
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
    const port = Number((await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
    const run = await runWebtlsClientCli(
      [
        '-connect',
        `127.0.0.1:${port}`,
        '-servername',
        'localhost',
        '-CAfile',
        ROOT,
        '-tls1_2',
        '-cipher',
        'ECDHE-RSA-CHACHA20-POLY1305',
      ],
      'GET / HTTP/1.0\r\n\r\n',
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toContain('Protocol: TLSv1.2');
    expect(run.stderr).toContain('Cipher: TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256');
    expect(run.stderr).toContain('Resumed: no');
    expect(run.stdout).toContain('Cipher    : ECDHE-RSA-CHACHA20-POLY1305');
  });

  it('openssl s_client → webtls s_server -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384', async () => {
    const cert = certFiles('p256');
    const { proc, port } = await startWebtlsServerCli([
      '-cert',
      cert.chain,
      '-key',
      cert.key,
      '-tls1_2',
      '-cipher',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      '-www',
    ]);
    // A TLS 1.3-capable openssl client: the server's -tls1_2 makes it TLS 1.2.
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
    await client.waitFor(/Protocol: TLSv1\.2/, { stream: 'stdout' });
    client.endStdin();
    await client.waitExit();
    expect(client.stdout).toContain('New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384');
    await proc.waitFor(/Cipher: TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384/, { stream: 'stderr' });
    expect(proc.stderr).toContain('Protocol: TLSv1.2');
    expect(proc.stderr).toContain('Resumed: no');
  });
});
