/**
 * ECH configurations and keys against BoringSSL (`bssl-tool`, Debian android-boringssl):
 * - `bssl-tool generate-ech` writes an ECHConfigList, the bare ECHConfig and the raw X25519
 *   private key; our decoder reads the list, its `raw` is byte for byte the ECHConfig file, the
 *   key matches, and HPKE works with the pair.
 * - a key from our `generateEchKey` is handed to `bssl-tool server -ech-config FILE -ech-key FILE`
 *   (one bare ECHConfig, the raw 32-byte private key), and our ECHConfigList to `bssl-tool client
 *   -ech-config-list FILE`. Both sides report `Encrypted ClientHello: yes`: BoringSSL parsed our
 *   config and list, and the private key decrypts what a client encrypts to the published key.
 *   bssl-tool server binds every interface, so both run inside `unshare -n`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEchConfigList, encodeEchConfigList } from '../../src/ech/config.ts';
import { setupReceiver, setupSender } from '../../src/ech/hpke.ts';
import { type EchKeyPair, echKeyFromPem, echKeyToPem, generateEchKey } from '../../src/ech/keys.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { runWithBsslServer } from './peers/bssl.ts';
import { shQuote } from './peers/gnutls.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';

const HAVE = requirePeer('bssl-tool');
const HAVE_NETNS = HAVE && requirePeer('unshare', 'ip', 'ss') && canUnshareNet();
const dir = mkdtempSync(join(tmpdir(), 'webtls-ech-bssl-'));

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('bssl-tool generate-ech → our decoder', () => {
  it('decodes its ECHConfigList, matches its ECHConfig and key, and runs HPKE with them', async () => {
    const list = join(dir, 'gen.list');
    const config = join(dir, 'gen.config');
    const key = join(dir, 'gen.key');
    execFileSync(
      'bssl-tool',
      [
        'generate-ech',
        '-out-ech-config-list',
        list,
        '-out-ech-config',
        config,
        '-out-private-key',
        key,
        '-public-name',
        'public.example',
        '-config-id',
        '201',
        '-max-name-length',
        '77',
      ],
      { timeout: 20_000 },
    );
    const configs = decodeEchConfigList(readFileSync(list));
    expect(configs).toHaveLength(1);
    const [c] = configs;
    expect(c.contents).toMatchObject({
      configId: 201,
      kemId: 0x0020,
      maximumNameLength: 77,
      publicName: 'public.example',
      extensions: [],
    });
    expect(c.contents.cipherSuites.length).toBeGreaterThan(0);
    expect(toHex(c.raw)).toBe(toHex(readFileSync(config)));
    expect(toHex(encodeEchConfigList(configs))).toBe(toHex(readFileSync(list)));

    const privateKey = new Uint8Array(readFileSync(key));
    expect(toHex(x25519.getPublicKey(privateKey))).toBe(toHex(c.contents.publicKey));
    const pair: EchKeyPair = { privateKey, config: c };
    const back = echKeyFromPem(echKeyToPem(pair));
    expect(toHex(back.config.raw)).toBe(toHex(c.raw));

    for (const suite of c.contents.cipherSuites) {
      const info = new Uint8Array([...utf8('tls ech'), 0, ...c.raw]);
      const sealer = await setupSender(c, suite, info);
      const opener = await setupReceiver(privateKey, c.contents.kemId, suite, sealer.enc, info);
      const ct = await sealer.seal(utf8('aad'), utf8('inner hello'));
      expect(new TextDecoder().decode(await opener.open(utf8('aad'), ct))).toBe('inner hello');
    }
  });
});

describe.skipIf(!HAVE_NETNS)('our ECH keys → bssl-tool server and client (netns)', () => {
  const cases = [
    { name: 'default suites', suites: undefined },
    { name: 'ChaCha20-Poly1305 only', suites: [{ kdfId: 1, aeadId: 3 }] },
  ];
  for (const { name, suites } of cases) {
    it(`an ECH handshake succeeds with a generated key (${name})`, async () => {
      const key = await generateEchKey({ publicName: 'public.example', suites });
      const tag = suites ? 'chacha' : 'default';
      const configFile = join(dir, `${tag}.config`);
      const keyFile = join(dir, `${tag}.key`);
      const listFile = join(dir, `${tag}.list`);
      writeFileSync(configFile, key.config.raw);
      writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
      writeFileSync(listFile, encodeEchConfigList([key.config]));
      const port = 4433;
      const client = [
        'echo hello | timeout 15 bssl-tool client',
        `-connect 127.0.0.1:${port} -server-name secret.example`,
        `-ech-config-list ${shQuote(listFile)} -root-certs ${shQuote(ROOT)}`,
      ].join(' ');
      const run = await runWithBsslServer(
        {
          port,
          cert: certFiles('p256'),
          extra: ['-ech-config', configFile, '-ech-key', keyFile],
        },
        client,
        60_000,
      );
      expect(run.client, run.server).toMatch(/Encrypted ClientHello: yes/);
      expect(run.server, run.client).toMatch(/Encrypted ClientHello: yes/);
      // The server saw the inner SNI, which only the decrypted ClientHelloInner carries.
      expect(run.server).toMatch(/Client sent SNI: secret\.example/);
    });
  }

  it('a config for another key is rejected: the server falls back to the outer hello', async () => {
    // public_name localhost, which the server's certificate covers, so the rejected client
    // authenticates the outer handshake and then aborts with ech_required (draft §6.1.6).
    const served = await generateEchKey({ publicName: 'localhost', configId: 1 });
    const other = await generateEchKey({ publicName: 'localhost', configId: 1 });
    writeFileSync(join(dir, 'srv.config'), served.config.raw);
    writeFileSync(join(dir, 'srv.key'), served.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'other.list'), encodeEchConfigList([other.config]));
    const client = [
      'echo hello | timeout 15 bssl-tool client -connect 127.0.0.1:4433',
      `-server-name secret.example -ech-config-list ${shQuote(join(dir, 'other.list'))}`,
      `-root-certs ${shQuote(ROOT)}`,
    ].join(' ');
    const run = await runWithBsslServer(
      {
        port: 4433,
        cert: certFiles('p256'),
        extra: ['-ech-config', join(dir, 'srv.config'), '-ech-key', join(dir, 'srv.key')],
      },
      client,
      60_000,
    );
    expect(run.client).not.toMatch(/Encrypted ClientHello: yes/);
    expect(run.server, run.client).toMatch(/Client sent SNI: localhost/);
    expect(run.server).toMatch(/Encrypted ClientHello: no/);
    expect(run.client).toMatch(/ECH_REJECTED|ECH_REQUIRED/);
  });
});
