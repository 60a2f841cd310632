/**
 * The `bin/webtls` command against openssl: `s_client` fetches the page of
 * `openssl s_server -www` with each group and suite, `openssl s_client` exchanges data both ways
 * with `s_server`, and the flags that select names, certificates and protocols do what they say.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpensslServer, startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import {
  certFiles,
  GROUP_SUITE_PAIRS,
  ipOnlyCertFiles,
  otherCertFiles,
  ROOT,
} from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { runWebtlsClientCli, startWebtlsServerCli, WEBTLS_BIN } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const GET = 'GET / HTTP/1.0\r\n\r\n';
/** bin/webtls compiles TypeScript at start-up: give each run room on a loaded machine. */
const CLI_TIMEOUT = 90_000;

describe.skipIf(!HAVE)('bin/webtls s_client → openssl s_server -www', () => {
  let server: OpensslServer;
  beforeAll(async () => {
    server = await startOpensslServer({ cert: certFiles('p256'), www: true });
  });
  afterAll(killAllPeers);

  it.each(GROUP_SUITE_PAIRS)(
    'fetches the page with %s and %s',
    async (group, suite) => {
      const target = `127.0.0.1:${server.port}`;
      const args = ['-connect', target, '-servername', 'localhost', '-CAfile', ROOT];
      args.push('-groups', group, '-ciphersuites', suite);
      const run = await runWebtlsClientCli(args, GET);
      expect(run.code, run.output).toBe(0);
      const summary = run.stderr.split('\n');
      expect(summary).toContain('Protocol: TLSv1.3');
      expect(summary).toContain(`Cipher: ${suite}`);
      expect(summary).toContain(`Group: ${group}`);
      expect(summary).toContain('Verification: OK');
      expect(summary).toContain('Peer certificate: O=webtls test (p256),CN=localhost');
      expect(run.stdout).toMatch(/^HTTP\/1\.0 200 ok/);
      expect(run.stdout).toContain(`Cipher is ${suite}`);
    },
    CLI_TIMEOUT,
  );

  it(
    'exits when the server closes first, with stdin still open',
    async () => {
      const args = ['s_client', '-connect', `127.0.0.1:${server.port}`, '-CAfile', ROOT, '-quiet'];
      const client = startProc(WEBTLS_BIN, args);
      client.write(GET);
      const { code } = await client.waitExit(60_000);
      expect(code, client.output).toBe(0);
      expect(client.stdout).toMatch(/^HTTP\/1\.0 200 ok/);
      // -quiet: no summary.
      expect(client.stderr).not.toContain('Protocol:');
    },
    CLI_TIMEOUT,
  );

  it(
    'writes the same key-log lines as openssl, with the noble provider',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'webtls-keylog-'));
      try {
        const ours = join(dir, 'webtls.keys');
        const theirs = join(dir, 'openssl.keys');
        const logging = await startOpensslServer({
          cert: certFiles('p384'),
          www: true,
          extra: ['-keylogfile', theirs],
        });
        const args = ['-connect', `127.0.0.1:${logging.port}`, '-servername', 'localhost'];
        args.push('-CAfile', ROOT, '-keylogfile', ours, '-provider', 'noble');
        const run = await runWebtlsClientCli(args, GET);
        expect(run.code, run.output).toBe(0);
        logging.proc.kill();
        const lines = (path: string) =>
          readFileSync(path, 'utf8')
            .split('\n')
            .filter((line) => /^[A-Z0-9_]+ [0-9a-f]{64} [0-9a-f]+$/.test(line))
            .sort();
        const mine = lines(ours);
        expect(mine.map((line) => line.split(' ')[0])).toEqual([
          'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
          'CLIENT_TRAFFIC_SECRET_0',
          'EXPORTER_SECRET',
          'SERVER_HANDSHAKE_TRAFFIC_SECRET',
          'SERVER_TRAFFIC_SECRET_0',
        ]);
        const shared = lines(theirs).filter((line) => mine.includes(line));
        expect(shared.length).toBe(mine.length);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    CLI_TIMEOUT,
  );

  it(
    'verifies an IP-only certificate when dialled by address, and fails by name',
    async () => {
      const ipOnly = await startOpensslServer({ cert: ipOnlyCertFiles(), www: true });
      const target = `127.0.0.1:${ipOnly.port}`;
      const byIp = await runWebtlsClientCli(['-connect', target, '-CAfile', ROOT], GET);
      expect(byIp.code, byIp.output).toBe(0);
      expect(byIp.stderr).toContain('Verification: OK');
      // RFC 6066 §3: an address is not sent as SNI.
      expect(byIp.stderr).toContain('SNI: none');

      const byName = ['-connect', target, '-servername', 'localhost', '-CAfile', ROOT];
      const failed = await runWebtlsClientCli(byName, GET);
      expect(failed.code, failed.output).toBe(1);
      expect(failed.stderr).toMatch(/^error: CERT_NAME_MISMATCH: /m);
      ipOnly.proc.kill();
    },
    CLI_TIMEOUT,
  );

  it(
    'without -CAfile trusts only the bundled roots (the test CA is not one of them)',
    async () => {
      const args = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
      const run = await runWebtlsClientCli(args, GET);
      expect(run.code, run.output).toBe(1);
      expect(run.stderr).toMatch(/^error: CERT_UNKNOWN_ISSUER: /m);
    },
    CLI_TIMEOUT,
  );

  it(
    'dials [::1]:PORT and verifies the IPv6 address SAN',
    async () => {
      const proc = startProc('openssl', [
        's_server',
        '-accept',
        '[::1]:0',
        '-tls1_3',
        '-www',
        '-cert',
        certFiles('p256').leaf,
        '-cert_chain',
        certFiles('p256').inter,
        '-key',
        certFiles('p256').key,
      ]);
      const match = await proc.waitFor(/ACCEPT \[::1\]:(\d+)/, { stream: 'stdout' });
      const run = await runWebtlsClientCli(['-connect', `[::1]:${match[1]}`, '-CAfile', ROOT], GET);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toContain('Verification: OK');
      expect(run.stdout).toMatch(/^HTTP\/1\.0 200 ok/);
      proc.kill();
    },
    CLI_TIMEOUT,
  );
});

describe.skipIf(!HAVE)('openssl s_client → bin/webtls s_server', () => {
  afterAll(killAllPeers);

  it(
    'completes a handshake and exchanges data both ways',
    async () => {
      const p256 = certFiles('p256');
      const server = await startWebtlsServerCli([
        '-cert',
        p256.chain,
        '-key',
        p256.key,
        '-naccept',
        '1',
      ]);
      const client = startOpensslClient({ port: server.port });

      client.write('hello from openssl\n');
      await server.proc.waitFor(/hello from openssl\n/, { stream: 'stdout', timeoutMs: 30_000 });
      server.proc.write('hello from webtls\n');
      await client.waitFor(/hello from webtls\n/, { stream: 'stdout', timeoutMs: 30_000 });

      client.endStdin();
      expect((await client.waitExit()).code, client.output).toBe(0);
      expect(client.stdout).toMatch(/Verify return code: 0 \(ok\)/);
      expect((await server.proc.waitExit(30_000)).code, server.proc.output).toBe(0);
      const summary = server.proc.stderr.split('\n');
      expect(summary).toContain('Protocol: TLSv1.3');
      expect(summary).toContain('SNI: localhost');
      expect(summary.some((line) => /^Group: (X25519|P-256|P-384)$/.test(line))).toBe(true);
      expect(server.proc.stderr).not.toMatch(/error:/);
    },
    CLI_TIMEOUT,
  );

  it(
    'picks the -cert2 certificate by SNI and describes the connection with -www',
    async () => {
      const p256 = certFiles('p256');
      const other = otherCertFiles();
      const server = await startWebtlsServerCli([
        '-cert',
        p256.chain,
        '-key',
        p256.key,
        '-cert2',
        other.chain,
        '-key2',
        other.key,
        '-alpn',
        'http/1.1',
        '-www',
        '-naccept',
        '2',
      ]);

      for (const name of ['other.test', 'localhost']) {
        const client = startOpensslClient({
          port: server.port,
          serverName: name,
          alpn: 'http/1.1',
        });
        client.write(GET);
        await client.waitFor(/<\/html>/, { stream: 'stdout', timeoutMs: 30_000 });
        client.endStdin();
        await client.waitExit();
        expect(client.stdout).toMatch(/Verify return code: 0 \(ok\)/);
        expect(client.stdout).toMatch(new RegExp(`subject=.*CN = ${name.replace('.', '\\.')}`));
        expect(client.stdout).toContain('HTTP/1.0 200 ok');
        expect(client.stdout).toContain(`SNI: ${name}`);
        expect(client.stdout).toContain('ALPN: http/1.1');
        expect(client.stdout).toContain('Protocol: TLSv1.3');
      }
      expect((await server.proc.waitExit(30_000)).code, server.proc.output).toBe(0);
    },
    CLI_TIMEOUT,
  );
});
