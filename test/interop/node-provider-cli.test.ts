/**
 * `-provider node` on the CLI against OpenSSL: `bin/webtls s_client -provider node` →
 * `openssl s_server -www` (the two key logs agree line for line), and `openssl s_client` →
 * `bin/webtls s_server -provider node` with data both ways; an unknown provider's usage error
 * lists node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { runWebtlsClientCli, startWebtlsServerCli } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const CLI_TIMEOUT = 90_000;
const GET = 'GET / HTTP/1.0\r\n\r\n';

/** The SSLKEYLOGFILE lines of a file, sorted. */
function keyLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z0-9_]+ [0-9a-f]{64} [0-9a-f]+$/.test(line))
    .sort();
}

describe.skipIf(!HAVE)('-provider node', () => {
  afterAll(killAllPeers);

  it(
    's_client -provider node → openssl s_server: the same key-log lines on both sides',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'webtls-node-keylog-'));
      try {
        const ours = join(dir, 'webtls.keys');
        const theirs = join(dir, 'openssl.keys');
        const server = await startOpensslServer({
          cert: certFiles('p384'),
          www: true,
          extra: ['-keylogfile', theirs],
        });
        const args = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
        args.push('-CAfile', ROOT, '-keylogfile', ours, '-provider', 'node');
        const run = await runWebtlsClientCli(args, GET);
        expect(run.code, run.output).toBe(0);
        expect(run.stdout).toMatch(/^HTTP\/1\.0 200 ok/);
        expect(run.stderr).toContain('Verification: OK');
        server.proc.kill();
        const mine = keyLines(ours);
        expect(mine.length).toBe(5);
        expect(keyLines(theirs).filter((line) => mine.includes(line)).length).toBe(5);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    CLI_TIMEOUT,
  );

  it(
    'openssl s_client → s_server -provider node: data both ways',
    async () => {
      const rsa = certFiles('rsa2048');
      const server = await startWebtlsServerCli([
        '-cert',
        rsa.chain,
        '-key',
        rsa.key,
        '-provider',
        'node',
        '-naccept',
        '1',
      ]);
      const client = startOpensslClient({ port: server.port, group: 'P-256' });
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
      expect(summary).toContain('Group: P-256');
    },
    CLI_TIMEOUT,
  );

  it('an unknown provider is a usage error that lists node', async () => {
    // Port 9 (discard) is never dialled: the flag is refused first.
    const run = await runWebtlsClientCli(['-connect', '127.0.0.1:9', '-provider', 'nod'], '');
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain("unknown provider 'nod' (subtle, noble, fips or node)");
  });
});
