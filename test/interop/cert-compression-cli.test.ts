/**
 * `-cert_comp LIST` on `webtls s_client` and `s_server` (RFC 8879): the summary line
 * `Cert compression: ALG (N -> M bytes)` on both sides, the server's preference, zstd as
 * decompress-only, usage errors; and the installed foreign peers, none of which can compress
 * certificates here (OpenSSL 3.0 has no -cert_comp; Debian's gnutls 3.7.9 is built without
 * zlib, brotli and zstd), so they get the plain Certificate from a server that offers all three.
 * Chromium, the peer that does compress, is in e2e/chromium-cert-compression.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, runProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { runWebtlsClientCli, startWebtlsServerCli, WEBTLS_BIN } from './peers/webtls.ts';

const CERT = certFiles('rsa2048');
const CLI_TIMEOUT_MS = 60_000;

/** Every `Cert compression:` value in a summary output, in order. */
function reports(output: string): string[] {
  return [...output.matchAll(/^Cert compression: (.*)$/gm)].map((m) => m[1]);
}

/** `ALG (N -> M bytes)` with 0 < M < N. */
function expectCompressed(report: string | undefined, name: string): void {
  const m = /^(\w+) \((\d+) -> (\d+) bytes\)$/.exec(report ?? '');
  expect(m, `Cert compression: ${report}`).not.toBeNull();
  expect(m![1]).toBe(name);
  expect(Number(m![3])).toBeGreaterThan(0);
  expect(Number(m![3])).toBeLessThan(Number(m![2]));
}

/** Starts `webtls s_server -cert_comp LIST` for `n` connections. */
function server(list: string, n: number) {
  return startWebtlsServerCli(
    ['-cert', CERT.chain, '-key', CERT.key, '-naccept', String(n)].concat(
      list ? ['-cert_comp', list] : [],
    ),
  );
}

/** `webtls s_client -cert_comp LIST` to `port`, verifying against the test root. */
function client(port: number, list: string) {
  const args = ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', ROOT];
  return runWebtlsClientCli(list ? [...args, '-cert_comp', list] : args, 'hello\n');
}

describe('webtls s_client -cert_comp ↔ webtls s_server -cert_comp', () => {
  afterAll(killAllPeers);

  it(
    'brotli, zlib, zstd-only and mixed lists: both summaries agree',
    async () => {
      const { proc, port } = await server('brotli,zlib', 4);
      const cases: [string, string | undefined][] = [
        ['brotli', 'brotli'],
        ['zlib', 'zlib'],
        // The server prefers brotli, which this client cannot decompress; zlib is common.
        ['zstd,zlib', 'zlib'],
        // The server cannot compress with zstd: nothing in common, the plain Certificate.
        ['zstd', undefined],
      ];
      for (const [list, expected] of cases) {
        const run = await client(port, list);
        expect(run.code, run.output).toBe(0);
        expect(run.stderr).toContain('Verification: OK');
        const [report] = reports(run.stderr);
        if (expected) expectCompressed(report, expected);
        else expect(report).toBe('none');
      }
      await proc.waitExit(CLI_TIMEOUT_MS);
      // The server printed one summary per connection, with the same values, in order.
      const seen = reports(proc.stderr);
      expect(seen).toHaveLength(4);
      expectCompressed(seen[0], 'brotli');
      expectCompressed(seen[1], 'zlib');
      expectCompressed(seen[2], 'zlib');
      expect(seen[3]).toBe('none');
    },
    CLI_TIMEOUT_MS * 2,
  );

  it(
    'without -cert_comp on either side: Cert compression: none',
    async () => {
      const { proc, port } = await server('', 1);
      const run = await client(port, 'brotli');
      expect(run.code, run.output).toBe(0);
      expect(reports(run.stderr)).toEqual(['none']);
      await proc.waitExit(CLI_TIMEOUT_MS);
      expect(reports(proc.stderr)).toEqual(['none']);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'unknown, empty and repeated names are usage errors (exit 2, with the usage text)',
    async () => {
      for (const [command, list, message] of [
        ['s_client', 'lz4', "unknown algorithm 'lz4'"],
        ['s_client', 'brotli,,zlib', 'empty name'],
        ['s_server', 'zlib,zlib', "names 'zlib' twice"],
        ['s_server', 'Brotli', "unknown algorithm 'Brotli'"],
      ]) {
        const base =
          command === 's_client'
            ? ['-connect', '127.0.0.1:1']
            : ['-cert', CERT.chain, '-key', CERT.key, '-accept', '127.0.0.1:0'];
        const run = await runProc(WEBTLS_BIN, [command, ...base, '-cert_comp', list], {
          timeoutMs: CLI_TIMEOUT_MS,
        });
        expect(run.code, run.output).toBe(2);
        expect(run.stderr).toContain(message);
        expect(run.stderr).toContain('-cert_comp LIST');
      }
    },
    CLI_TIMEOUT_MS * 4,
  );
});

describe.skipIf(!requirePeer('gnutls-cli'))('gnutls-cli 3.7 → webtls s_server -cert_comp', () => {
  afterAll(killAllPeers);

  it(
    '--compress-cert=brotli: this gnutls has no codec, the plain Certificate works',
    async () => {
      const { proc, port } = await server('brotli,zlib,zstd', 1);
      const run = await runProc(
        'gnutls-cli',
        [
          '-p',
          String(port),
          '--x509cafile',
          ROOT,
          '--sni-hostname',
          'localhost',
          '--verify-hostname',
          'localhost',
          '--compress-cert',
          'brotli',
          '127.0.0.1',
        ],
        { input: '', timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(run.output).toContain('Handshake was completed');
      // Debian's libgnutls30 3.7.9 is built without zlib, brotli and zstd. Should a build that
      // has them appear, this fails and the test must become a compression test.
      expect(run.output).toContain('Unknown compression method: brotli');
      await proc.waitExit(CLI_TIMEOUT_MS);
      expect(reports(proc.stderr)).toEqual(['none']);
    },
    CLI_TIMEOUT_MS * 2,
  );
});
