/**
 * The client-certificate flags of `bin/webtls`: `s_server -Verify N / -verify N -CAfile F
 * [-CRL F]` against `openssl s_client -cert` and `webtls s_client -cert`, and
 * `s_client -cert F -key F [-CRL F] [-crl_check | -crl_check_all]` against
 * `openssl s_server -Verify 1`. The server's summary names the client's subject.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRL_DIR, CRL_ROOT, clientFiles, crlClientFiles } from './peers/client-pki.ts';
import { startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { runWebtlsClientCli, startWebtlsServerCli, WEBTLS_BIN } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const CLI_TIMEOUT = 90_000;
const SERVER = certFiles('p256');
const serverArgs = ['-cert', SERVER.chain, '-key', SERVER.key, '-naccept', '1'];

describe.skipIf(!HAVE)('bin/webtls and client certificates', () => {
  afterAll(killAllPeers);

  it(
    's_server -Verify 1 -CAfile: openssl s_client -cert is verified and named in the summary',
    async () => {
      const { proc, port } = await startWebtlsServerCli([
        ...serverArgs,
        '-Verify',
        '1',
        '-CAfile',
        ROOT,
      ]);
      const files = clientFiles('p256');
      const client = startOpensslClient({
        port,
        extra: ['-cert', files.leaf, '-key', files.key, '-cert_chain', files.inter],
      });
      client.write('from openssl\n');
      await proc.waitFor(/from openssl\n/, { stream: 'stdout' });
      client.endStdin();
      await client.waitExit();
      await proc.waitExit(30_000);
      expect(proc.stderr).toContain('Peer certificate: CN=webtls test client');
      expect(proc.stderr).toContain('Verification: OK');
      expect(proc.stderr).toContain('Peer signature: ecdsa_secp256r1_sha256');
    },
    CLI_TIMEOUT,
  );

  it(
    's_server -Verify 1: no certificate → certificate_required; -verify 1: accepted without',
    async () => {
      const required = await startWebtlsServerCli([...serverArgs, '-Verify', '1', '-CAfile', ROOT]);
      const noCert = [
        '-connect',
        `127.0.0.1:${required.port}`,
        '-servername',
        'localhost',
        '-CAfile',
        ROOT,
      ];
      // stdin stays open, so the client is still reading when the server's alert comes.
      const client = startProc(WEBTLS_BIN, ['s_client', ...noCert]);
      const { code } = await client.waitExit(60_000);
      await required.proc.waitExit(30_000);
      expect(code).toBe(1);
      expect(required.proc.stderr).toContain('CERTIFICATE_REQUIRED');
      expect(client.stderr).toMatch(/PEER_ALERT.*certificate_required/);

      const optional = await startWebtlsServerCli([...serverArgs, '-verify', '1', '-CAfile', ROOT]);
      const args = [
        '-connect',
        `127.0.0.1:${optional.port}`,
        '-servername',
        'localhost',
        '-CAfile',
        ROOT,
      ];
      const ok = await runWebtlsClientCli(args, 'hello\n');
      expect(ok.code, ok.output).toBe(0);
      await optional.proc.waitExit(30_000);
      expect(optional.proc.stdout).toContain('hello');
      expect(optional.proc.stderr).toContain('Peer certificate: none');
    },
    CLI_TIMEOUT,
  );

  it(
    's_client -cert -key → openssl s_server -Verify 1 -verify_return_error',
    async () => {
      const server = await startOpensslServer({
        cert: SERVER,
        extra: ['-Verify', '1', '-verify_return_error', '-CAfile', ROOT],
      });
      const files = clientFiles('ed25519');
      const args = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
      args.push('-CAfile', ROOT, '-cert', files.chain, '-key', files.key);
      const run = await runWebtlsClientCli(args, 'from webtls\n');
      expect(run.code, run.output).toBe(0);
      await server.proc.waitFor(/from webtls/, { stream: 'stdout' });
      expect(server.proc.stderr).toContain('depth=0 CN = webtls test client (ed25519)');
    },
    CLI_TIMEOUT,
  );

  it(
    's_server -CRL: a revoked client certificate is refused with certificate_revoked',
    async () => {
      const { proc, port } = await startWebtlsServerCli([
        ...serverArgs,
        '-Verify',
        '1',
        '-CAfile',
        CRL_ROOT,
        '-CRL',
        join(CRL_DIR, 'all.crl.pem'),
      ]);
      const files = crlClientFiles('revoked');
      const args = ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', ROOT];
      args.push('-cert', files.chain, '-key', files.key);
      const client = startProc(WEBTLS_BIN, ['s_client', ...args]);
      expect((await client.waitExit(60_000)).code).toBe(1);
      await proc.waitExit(30_000);
      expect(proc.stderr).toContain('CERT_REVOKED');
      expect(client.stderr).toMatch(/PEER_ALERT.*certificate_revoked/);
    },
    CLI_TIMEOUT,
  );

  it(
    's_client -crl_check without a CRL for the server: refused (status unknown)',
    async () => {
      const server = await startOpensslServer({ cert: SERVER, www: true });
      const args = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
      args.push('-CAfile', ROOT, '-crl_check');
      const run = await runWebtlsClientCli(args, 'GET / HTTP/1.0\r\n\r\n');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('CERT_REVOCATION_UNKNOWN');
      // With the intermediate's CRL missing, -CRL of an unrelated issuer does not help either.
      const all = await runWebtlsClientCli(
        [...args.slice(0, -1), '-crl_check_all', '-CRL', join(CRL_DIR, 'all.crl.pem')],
        'GET / HTTP/1.0\r\n\r\n',
      );
      expect(all.code).toBe(1);
      expect(all.stderr).toContain('CERT_REVOCATION_UNKNOWN');
    },
    CLI_TIMEOUT,
  );
});
