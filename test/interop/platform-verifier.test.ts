/**
 * `platformVerifier()` from `webtls/node`: the operating system's trust store, honouring
 * SSL_CERT_FILE and SSL_CERT_DIR, `tls.getCACertificates('system')` where it exists, and the
 * bundled roots as the fallback; and the core `platformVerifier()` (browsers, workers).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../src/crypto/index.ts';
import { platformVerifier } from '../../src/node/platform-verifier.ts';
import { processStore, type SystemStore, systemRoots } from '../../src/node/system-roots.ts';
import { pemCertificates } from '../../src/util/pem.ts';
import { certificateSummary } from '../../src/verify/index.ts';
import { platformVerifier as bundledVerifier } from '../../src/verify/platform.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';

const provider = defaultProvider();
const chain = pemCertificates(pem(certFiles('p256').chain));
const verify = (verifier: ReturnType<typeof platformVerifier>) =>
  verifier.verifyServer(chain, { name: 'localhost' }, { provider });

/** A store with no system files: only what the test puts in `files` and `env`. */
function fakeStore(files: Record<string, string>, env: Record<string, string> = {}): SystemStore {
  return {
    env,
    readFile: (path) => files[path],
    readDir: (dir) =>
      Object.keys(files).filter(
        (p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'),
      ),
  };
}

describe('systemRoots and platformVerifier (webtls/node)', () => {
  const saved = { file: process.env.SSL_CERT_FILE, dir: process.env.SSL_CERT_DIR };
  const dirs: string[] = [];
  afterEach(() => {
    for (const [name, value] of [
      ['SSL_CERT_FILE', saved.file],
      ['SSL_CERT_DIR', saved.dir],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('SSL_CERT_FILE names the only bundle: the test root is trusted, nothing else', async () => {
    process.env.SSL_CERT_FILE = ROOT;
    process.env.SSL_CERT_DIR = '/nonexistent';
    expect(systemRoots().map(certificateSummary)).toEqual(['O=webtls test,CN=webtls Test Root CA']);
    await expect(verify(platformVerifier())).resolves.toBeDefined();
    process.env.SSL_CERT_FILE = join(certFiles('p256').inter, '..', '..', 'untrusted-root.pem');
    await expect(verify(platformVerifier())).rejects.toMatchObject({ code: 'CERT_UNKNOWN_ISSUER' });
  });

  it('SSL_CERT_DIR: hashed names and .pem files in each listed directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webtls-certdir-'));
    dirs.push(dir);
    writeFileSync(join(dir, '1a2b3c4d.0'), pem(ROOT));
    writeFileSync(join(dir, 'README'), 'not a certificate');
    process.env.SSL_CERT_FILE = '/nonexistent';
    process.env.SSL_CERT_DIR = `/nonexistent:${dir}`;
    expect(systemRoots()).toHaveLength(1);
    await expect(verify(platformVerifier())).resolves.toBeDefined();
  });

  it('tls.getCACertificates("system") is used when present and no variable is set', async () => {
    const store = fakeStore({});
    store.getCACertificates = (type) => (type === 'system' ? [pem(ROOT)] : []);
    expect(systemRoots(store)).toHaveLength(1);
    await expect(verify(platformVerifier({}, store))).resolves.toBeDefined();
    // A variable set wins over the runtime's list.
    const pinned = fakeStore({ '/x/roots.pem': pem(ROOT) }, { SSL_CERT_FILE: '/x/roots.pem' });
    pinned.getCACertificates = () => [];
    expect(systemRoots(pinned)).toHaveLength(1);
  });

  it('a runtime that refuses getCACertificates (Deno without --allow-sys) falls back to files', () => {
    const store = fakeStore({ '/etc/ssl/certs/ca-certificates.crt': pem(ROOT) });
    store.getCACertificates = () => {
      throw new Error('NotCapable: Requires sys access to "ca"');
    };
    expect(systemRoots(store)).toHaveLength(1);
  });

  it('without variables: the first distribution bundle, duplicates and junk dropped', () => {
    const root = pem(ROOT);
    const store = fakeStore({
      '/etc/pki/tls/certs/ca-bundle.crt': `${root}\n${root}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
      '/etc/ssl/certs/extra.pem': root,
    });
    expect(systemRoots(store)).toHaveLength(1);
  });

  it('no store at all: the bundled Mozilla roots (the test root is not among them)', async () => {
    await expect(verify(platformVerifier({}, fakeStore({})))).rejects.toMatchObject({
      code: 'CERT_UNKNOWN_ISSUER',
    });
  });

  it.skipIf(!existsSync('/etc/ssl/certs/ca-certificates.crt'))(
    'reads this machine’s store (Debian bundle), indexing without parsing every root',
    () => {
      delete process.env.SSL_CERT_FILE;
      delete process.env.SSL_CERT_DIR;
      const roots = systemRoots(processStore());
      expect(roots.length).toBeGreaterThan(50);
      const started = performance.now();
      platformVerifier();
      expect(performance.now() - started).toBeLessThan(2000);
    },
  );
});

describe('platformVerifier (core: browsers and workers)', () => {
  it('uses the bundled roots: the test chain is not trusted', async () => {
    await expect(verify(bundledVerifier())).rejects.toMatchObject({ code: 'CERT_UNKNOWN_ISSUER' });
  });
});
