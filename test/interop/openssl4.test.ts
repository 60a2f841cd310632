/**
 * OpenSSL 4 (Debian experimental, unpacked by scripts/get-openssl4.sh; optional, see
 * peers/openssl4.ts), both ways, for what OpenSSL 3.0 cannot do:
 * - RFC 8879 certificate compression: `openssl s_client` (it accepts zlib and zstd by default)
 *   → `webtls s_server -cert_comp zlib,zstd`, which compresses with zlib and which OpenSSL
 *   decompresses and verifies; `webtls s_client -cert_comp zstd|zlib` → `openssl s_server
 *   -cert_comp`, whose zstd and zlib output webtls decompresses.
 * - Encrypted Client Hello: a key made by `openssl ech` serves `webtls s_server -ech_key` (the
 *   PEM layout is shared) for `openssl s_client -ech_config_list`; a key made by `webtls ech`
 *   serves `openssl s_server -ech_key` for `webtls s_client -ech_config_list`; a config for a
 *   key the server does not hold gets ECH_REQUIRED with the server's retry configs.
 * - X25519MLKEM768, the hybrid post-quantum group, both ways (Chromium is the other foreign peer
 *   that has it: e2e/chromium-x25519mlkem768.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpensslServerOptions, startOpensslServer } from './peers/openssl.ts';
import { haveOpenssl4, OPENSSL4 } from './peers/openssl4.ts';
import { certFiles, otherCertFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, runProc } from './peers/proc.ts';
import { runWebtlsClientCli, startWebtlsServerCli, WEBTLS_BIN } from './peers/webtls.ts';

const HAVE = haveOpenssl4();
const TIMEOUT_MS = 60_000;
const PUBLIC_NAME = 'localhost';
const INNER_NAME = 'other.test';
const RSA = certFiles('rsa2048');
const P256 = certFiles('p256');
const OTHER = otherCertFiles();
const dir = mkdtempSync(join(tmpdir(), 'webtls-openssl4-'));

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

/** `openssl s_client` (OpenSSL 4) to 127.0.0.1:port, verifying against the test root. */
function opensslClient(port: number, serverName: string, extra: string[]) {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', serverName];
  args.push('-verify_hostname', serverName, '-CAfile', ROOT, '-verify_return_error', ...extra);
  return runProc(OPENSSL4, args, { input: 'hello\n', timeoutMs: TIMEOUT_MS });
}

/** The `Cert compression:` summary value, checked to be `ALG (N -> M bytes)` with M < N. */
function expectCompressed(output: string, alg: string): void {
  const m = /^Cert compression: (\w+) \((\d+) -> (\d+) bytes\)$/m.exec(output);
  expect(m, output).not.toBeNull();
  expect(m![1]).toBe(alg);
  expect(Number(m![3])).toBeLessThan(Number(m![2]));
}

/** The base64 ECHConfigList in an ECH key file's ECHCONFIG block (the openssl ech layout). */
function echConfigOf(file: string): string {
  const m = /-----BEGIN ECHCONFIG-----\n([\s\S]*?)-----END ECHCONFIG-----/.exec(
    readFileSync(file, 'utf8'),
  );
  if (!m) throw new Error(`${file}: no ECHCONFIG block`);
  return m[1].replace(/\s+/g, '');
}

/**
 * Runs `webtls s_client` (`args` after the connect, SNI and root flags) against an OpenSSL 4
 * `s_server` started for it with `server` options, and stops that server.
 */
async function webtlsClientToOpenssl(
  server: Omit<OpensslServerOptions, 'binary'>,
  serverName: string,
  args: string[],
) {
  const peer = await startOpensslServer({ ...server, binary: OPENSSL4 });
  try {
    const base = ['-connect', `127.0.0.1:${peer.port}`, '-servername', serverName];
    return await runWebtlsClientCli([...base, '-CAfile', ROOT, ...args], '');
  } finally {
    peer.proc.kill();
  }
}

describe.skipIf(!HAVE)('OpenSSL 4 ↔ webtls: certificate compression (RFC 8879)', () => {
  it(
    'openssl s_client → webtls s_server -cert_comp zlib,zstd: a zlib Certificate OpenSSL verifies',
    async () => {
      const cli = await startWebtlsServerCli([
        '-cert',
        RSA.chain,
        '-key',
        RSA.key,
        '-cert_comp',
        'zlib,zstd',
        '-naccept',
        '1',
      ]);
      const run = await opensslClient(cli.port, 'localhost', ['-tls1_3']);
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain('Verify return code: 0 (ok)');
      await cli.proc.waitExit(TIMEOUT_MS);
      // webtls cannot compress with zstd (decompress-only), so zlib is what it sent.
      expectCompressed(cli.proc.stderr, 'zlib');
    },
    TIMEOUT_MS * 2,
  );

  it.each(['zstd', 'zlib'])(
    'openssl s_server -cert_comp → webtls s_client -cert_comp %s: decompressed and verified',
    async (alg) => {
      const server = { cert: RSA, extra: ['-cert_comp', '-naccept', '1'] };
      const run = await webtlsClientToOpenssl(server, 'localhost', ['-cert_comp', alg]);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toContain('Verification: OK');
      expectCompressed(run.stderr, alg);
    },
    TIMEOUT_MS * 2,
  );
});

describe.skipIf(!HAVE)('OpenSSL 4 ↔ webtls: Encrypted Client Hello', () => {
  let opensslKey: string;
  let webtlsKey: string;

  beforeAll(async () => {
    opensslKey = join(dir, 'openssl-ech.pem');
    webtlsKey = join(dir, 'webtls-ech.pem');
    const a = await runProc(OPENSSL4, ['ech', '-public_name', PUBLIC_NAME, '-out', opensslKey]);
    expect(a.code, a.output).toBe(0);
    const b = await runProc(WEBTLS_BIN, ['ech', '-public_name', PUBLIC_NAME, '-out', webtlsKey]);
    expect(b.code, b.output).toBe(0);
    // `webtls ech` prints the list it wrote into the file.
    expect(b.stdout.trim()).toBe(echConfigOf(webtlsKey));
  }, TIMEOUT_MS);

  /** `webtls s_server -ech_key FILE` with a certificate for localhost and one for other.test. */
  function webtlsServer(keyFile: string) {
    return startWebtlsServerCli([
      ...['-cert', P256.chain, '-key', P256.key, '-cert2', OTHER.chain, '-key2', OTHER.key],
      ...['-ech_key', keyFile, '-naccept', '1'],
    ]);
  }

  /** `openssl s_client -ech_config_list` with the `openssl ech` key's list, inner SNI other.test. */
  function opensslEchClient(port: number, extra: string[]) {
    return opensslClient(port, INNER_NAME, [...extra, '-ech_config_list', echConfigOf(opensslKey)]);
  }

  it(
    'openssl s_client -ech_config_list → webtls s_server with an `openssl ech` key: accepted',
    async () => {
      const cli = await webtlsServer(opensslKey);
      const run = await opensslEchClient(cli.port, ['-tls1_3']);
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain('ECH: success');
      expect(run.stdout).toContain('Verify return code: 0 (ok)');
      await cli.proc.waitExit(TIMEOUT_MS);
      expect(cli.proc.stderr).toMatch(/SNI: other\.test\nOuter SNI: localhost\n/);
      expect(cli.proc.stderr).toContain('ECH: accepted');
    },
    TIMEOUT_MS * 2,
  );

  it(
    'openssl s_client without -tls1_3 offers TLS 1.2 inside: refused with illegal_parameter',
    async () => {
      // draft-ietf-tls-esni §6.1: ClientHelloInner "MUST NOT offer to negotiate TLS 1.2 or
      // below"; §7.1: the server "MUST abort with an illegal_parameter alert". OpenSSL 4's
      // s_client copies its whole version range into the inner hello unless told -tls1_3.
      const cli = await webtlsServer(opensslKey);
      const run = await opensslEchClient(cli.port, []);
      expect(run.code).not.toBe(0);
      expect(run.output).toContain('alert illegal parameter');
      await cli.proc.waitExit(TIMEOUT_MS);
      expect(cli.proc.stderr).toContain('ILLEGAL_PARAMETER');
      expect(cli.proc.stderr).toContain('ClientHelloInner offers TLS 1.2 or below');
    },
    TIMEOUT_MS * 2,
  );

  /**
   * `webtls s_client -ech_config_list` with the `webtls ech` key's list, to `openssl s_server
   * -ech_key keyFile`.
   */
  function webtlsEchClient(keyFile: string, serverName: string) {
    const server = { cert: P256, extra: ['-ech_key', keyFile, '-naccept', '1'] };
    return webtlsClientToOpenssl(server, serverName, ['-ech_config_list', echConfigOf(webtlsKey)]);
  }

  it(
    'webtls s_client -ech_config_list → openssl s_server with a `webtls ech` key: accepted',
    async () => {
      const run = await webtlsEchClient(webtlsKey, 'localhost');
      expect(run.code, run.output).toBe(0);
      // Accepted means the ServerHello carried the confirmation only a server that decrypted
      // the inner hello can compute (§7.2).
      expect(run.stderr).toContain('ECH: accepted');
      expect(run.stderr).toContain('Verification: OK');
    },
    TIMEOUT_MS * 2,
  );

  it(
    'a config for a key openssl s_server does not hold: ECH_REQUIRED with its retry configs',
    async () => {
      const run = await webtlsEchClient(opensslKey, INNER_NAME);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('ECH_REQUIRED');
      expect(run.stderr).toContain('ECH: rejected (retry configs offered)');
      // The retry configs are the server's own list, verified against the public name.
      const retry = /^ECH retry configs: (\S+)$/m.exec(run.stderr);
      expect(retry?.[1]).toBe(echConfigOf(opensslKey));
    },
    TIMEOUT_MS * 2,
  );
});

describe.skipIf(!HAVE)('OpenSSL 4 ↔ webtls: X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem)', () => {
  it(
    'webtls s_client -groups X25519MLKEM768 → openssl s_server -groups X25519MLKEM768',
    async () => {
      const server = { cert: P256, groups: 'X25519MLKEM768', extra: ['-naccept', '1'] };
      const run = await webtlsClientToOpenssl(server, 'localhost', ['-groups', 'X25519MLKEM768']);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toMatch(/^Group: X25519MLKEM768$/m);
      expect(run.stderr).toContain('Verification: OK');
    },
    TIMEOUT_MS * 2,
  );

  it(
    'openssl s_client -groups X25519MLKEM768 → webtls s_server',
    async () => {
      const cli = await startWebtlsServerCli([
        '-cert',
        P256.chain,
        '-key',
        P256.key,
        '-naccept',
        '1',
      ]);
      const run = await opensslClient(cli.port, 'localhost', ['-groups', 'X25519MLKEM768']);
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain('Negotiated TLS1.3 group: X25519MLKEM768');
      expect(run.stdout).toContain('Verify return code: 0 (ok)');
      await cli.proc.waitExit(TIMEOUT_MS);
      expect(cli.proc.stderr).toMatch(/^Group: X25519MLKEM768$/m);
    },
    TIMEOUT_MS * 2,
  );
});
