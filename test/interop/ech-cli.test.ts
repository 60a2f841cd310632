/**
 * `webtls ech -public_name NAME -out FILE`: the key file is written owner-only in the openssl ech
 * PEM layout, stdout carries the same ECHConfigList in base64, OpenSSL reads the PRIVATE KEY
 * block as an X25519 key, and BoringSSL accepts an ECH handshake with the pair (netns).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEchConfigList, encodeEchConfigList } from '../../src/ech/config.ts';
import { echKeyFromPem } from '../../src/ech/keys.ts';
import { fromBase64, toHex } from '../../src/util/bytes.ts';
import { pemDecode } from '../../src/util/pem.ts';
import { runWithBsslServer } from './peers/bssl.ts';
import { shQuote } from './peers/gnutls.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import { WEBTLS_BIN } from './peers/webtls.ts';

const dir = mkdtempSync(join(tmpdir(), 'webtls-ech-cli-'));
const HAVE_OPENSSL = requirePeer('openssl');
const HAVE_BSSL = requirePeer('bssl-tool') && requirePeer('unshare', 'ip', 'ss') && canUnshareNet();

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

function webtls(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(WEBTLS_BIN, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('webtls ech', () => {
  const out = join(dir, 'ech.pem');

  it('writes the key file with mode 0600 and prints the matching ECHConfigList', () => {
    const r = webtls(['ech', '-public_name', 'public.example', '-out', out, '-config_id', '17']);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const list = fromBase64(r.stdout.trim());
    const [config] = decodeEchConfigList(list);
    expect(config.contents.publicName).toBe('public.example');
    expect(config.contents.configId).toBe(17);
    const key = echKeyFromPem(readFileSync(out, 'utf8'));
    expect(toHex(key.config.raw)).toBe(toHex(config.raw));
    expect(toHex(pemDecode(readFileSync(out, 'utf8'), 'ECHCONFIG')[0])).toBe(toHex(list));
  });

  it('tightens an existing file to 0600 and honours -max_name_len and -suite', () => {
    const existing = join(dir, 'existing.pem');
    writeFileSync(existing, 'old', { mode: 0o644 });
    const r = webtls([
      'ech',
      '-public_name',
      'public.example',
      '-out',
      existing,
      '-max_name_len',
      '42',
      '-suite',
      'chachapoly1305',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(existing).mode & 0o777).toBe(0o600);
    const key = echKeyFromPem(readFileSync(existing, 'utf8'));
    expect(key.config.contents.maximumNameLength).toBe(42);
    expect(key.config.contents.cipherSuites).toEqual([{ kdfId: 1, aeadId: 3 }]);
  });

  it('refuses bad input with a usage error or a config error', () => {
    expect(webtls(['ech', '-out', join(dir, 'x.pem')]).status).toBe(2);
    expect(webtls(['ech', '-public_name', 'a.example']).status).toBe(2);
    expect(
      webtls(['ech', '-public_name', 'a.example', '-out', 'x', '-config_id', '256']).status,
    ).toBe(2);
    expect(webtls(['ech', '-public_name', 'a.example', '-out', 'x', '-suite', 'des']).status).toBe(
      2,
    );
    const ip = webtls(['ech', '-public_name', '10.0.0.1', '-out', join(dir, 'ip.pem')]);
    expect(ip.status).toBe(1);
    expect(ip.stderr).toMatch(/public_name/);
    // Five CLI starts in a row: each loads TypeScript through tsx, slow on a loaded machine.
  }, 120_000);

  it.skipIf(!HAVE_OPENSSL)('OpenSSL reads the PRIVATE KEY block as X25519', () => {
    const text = execFileSync('openssl', ['pkey', '-in', out, '-noout', '-text'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(text).toMatch(/X25519 Private-Key/);
    // OpenSSL's public key is the one in the ECHConfig.
    const pub = execFileSync('openssl', ['pkey', '-in', out, '-pubout', '-outform', 'DER'], {
      timeout: 20_000,
    });
    const key = echKeyFromPem(readFileSync(out, 'utf8'));
    expect(toHex(new Uint8Array(pub).subarray(-32))).toBe(toHex(key.config.contents.publicKey));
  });

  it.skipIf(!HAVE_BSSL)(
    'BoringSSL completes an ECH handshake with the generated pair',
    async () => {
      const key = echKeyFromPem(readFileSync(out, 'utf8'));
      writeFileSync(join(dir, 'cli.config'), key.config.raw);
      writeFileSync(join(dir, 'cli.key'), key.privateKey, { mode: 0o600 });
      writeFileSync(join(dir, 'cli.list'), encodeEchConfigList([key.config]));
      const run = await runWithBsslServer(
        {
          port: 4433,
          cert: certFiles('p256'),
          extra: ['-ech-config', join(dir, 'cli.config'), '-ech-key', join(dir, 'cli.key')],
        },
        `echo hi | timeout 15 bssl-tool client -connect 127.0.0.1:4433 -server-name inner.example ` +
          `-ech-config-list ${shQuote(join(dir, 'cli.list'))} -root-certs ${shQuote(ROOT)}`,
        60_000,
      );
      expect(run.client, run.server).toMatch(/Encrypted ClientHello: yes/);
      expect(run.server).toMatch(/Client sent SNI: inner\.example/);
    },
  );
});
