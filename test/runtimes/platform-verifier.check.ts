/**
 * `platformVerifier()` from `webtls/node` against the real process environment, as a plain script
 * so the same file runs unchanged under Node (tsx), Deno (`deno run`) and Bun (`bun run`):
 * SSL_CERT_FILE and SSL_CERT_DIR pointing at the test root make the test chain verify, pointing
 * elsewhere makes it fail with CERT_UNKNOWN_ISSUER, and with neither set the machine's own store
 * is read. Needs the test PKI (scripts/gen-test-pki.sh). Prints `N passed, N failed` last and
 * exits non-zero on a failure. Run by scripts/test-platform.sh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { defaultProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { platformVerifier, systemRoots } from '../../src/node/index.ts';
import { pemCertificates } from '../../src/util/pem.ts';
import { certificateSummary } from '../../src/verify/index.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PKI = join(REPO, 'test/pki/out');
const TEST_ROOT = 'O=webtls test,CN=webtls Test Root CA';
/** A root every distribution bundle carries (Let's Encrypt's). */
const KNOWN_ROOT = 'CN=ISRG Root X1,O=Internet Security Research Group,C=US';
const DEBIAN_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
const runtime = g.Deno
  ? `Deno ${g.Deno.version.deno}`
  : g.Bun
    ? `Bun ${g.Bun.version}`
    : `Node ${process.version}`;

const provider = defaultProvider();
const read = (path: string) => readFileSync(join(PKI, path), 'latin1');
const chain = pemCertificates(read('p256/chain.pem'));

let passed = 0;
let failed = 0;
async function check(name: string, body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e instanceof Error ? e.message : String(e)}`);
  }
}
function assert(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

/** Sets (or, for undefined, removes) SSL_CERT_FILE and SSL_CERT_DIR. */
function setStore(file: string | undefined, dir: string | undefined): void {
  for (const [name, value] of [
    ['SSL_CERT_FILE', file],
    ['SSL_CERT_DIR', dir],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Verifies the P-256 test chain for localhost; resolves to 'OK' or the TlsError code. */
async function verifyTestChain(): Promise<string> {
  try {
    await platformVerifier().verifyServer(chain, { name: 'localhost' }, { provider });
    return 'OK';
  } catch (e) {
    if (e instanceof TlsError) return e.code;
    throw e;
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'webtls-platform-'));
console.log(`platformVerifier on ${runtime}`);
try {
  const bundle = join(tmp, 'bundle.pem');
  const otherBundle = join(tmp, 'other.pem');
  const emptyDir = join(tmp, 'empty');
  const hashedDir = join(tmp, 'certs');
  mkdirSync(emptyDir);
  mkdirSync(hashedDir);
  // A bundle of two roots, the test root second; another with only a root that signed nothing.
  writeFileSync(bundle, read('untrusted-root.pem') + read('root.pem'));
  writeFileSync(otherBundle, read('untrusted-root.pem'));
  // The layout c_rehash makes: <subject hash>.<n>, next to files that are not certificates.
  writeFileSync(join(hashedDir, '41e84c55.0'), read('root.pem'));
  writeFileSync(join(hashedDir, 'README'), 'not a certificate\n');

  await check(
    'SSL_CERT_FILE names a bundle holding the test root: the chain verifies',
    async () => {
      setStore(bundle, emptyDir);
      const subjects = systemRoots().map(certificateSummary);
      assert(subjects.length === 2, `expected 2 roots from the bundle, got ${subjects.length}`);
      assert(subjects.includes(TEST_ROOT), `test root not read: ${subjects.join(' | ')}`);
      const got = await verifyTestChain();
      assert(got === 'OK', `expected OK, got ${got}`);
    },
  );

  await check('SSL_CERT_DIR lists a hashed directory with the test root: verifies', async () => {
    setStore(join(tmp, 'missing.pem'), `${join(tmp, 'missing')}:${hashedDir}`);
    const subjects = systemRoots().map(certificateSummary);
    assert(subjects.length === 1 && subjects[0] === TEST_ROOT, `read ${subjects.join(' | ')}`);
    const got = await verifyTestChain();
    assert(got === 'OK', `expected OK, got ${got}`);
  });

  await check('neither variable points at the test root: CERT_UNKNOWN_ISSUER', async () => {
    setStore(otherBundle, emptyDir);
    const subjects = systemRoots().map(certificateSummary);
    assert(subjects.length === 1 && !subjects.includes(TEST_ROOT), `read ${subjects.join(' | ')}`);
    const got = await verifyTestChain();
    assert(got === 'CERT_UNKNOWN_ISSUER', `expected CERT_UNKNOWN_ISSUER, got ${got}`);
  });

  await check('no variable set: the machine store is read and lacks the test root', async () => {
    setStore(undefined, undefined);
    const hasGet = typeof (tls as { getCACertificates?: unknown }).getCACertificates === 'function';
    const subjects = systemRoots().map(certificateSummary);
    console.log(
      `     ${subjects.length} roots via ${hasGet ? "tls.getCACertificates('system')" : 'files'}`,
    );
    if (subjects.length === 0) {
      // No store on this machine: the bundled Mozilla roots are used; they lack the test root.
      assert(!existsSync(DEBIAN_BUNDLE), `${DEBIAN_BUNDLE} exists but nothing was read`);
    } else {
      assert(!subjects.includes(TEST_ROOT), 'the test root is installed system-wide');
    }
    const got = await verifyTestChain();
    assert(got === 'CERT_UNKNOWN_ISSUER', `expected CERT_UNKNOWN_ISSUER, got ${got}`);
  });

  if (existsSync(DEBIAN_BUNDLE)) {
    await check(`the system store holds the distribution's roots (${KNOWN_ROOT})`, () => {
      setStore(undefined, undefined);
      const subjects = systemRoots().map(certificateSummary);
      assert(subjects.length > 50, `only ${subjects.length} roots`);
      assert(subjects.includes(KNOWN_ROOT), `${KNOWN_ROOT} not among ${subjects.length} roots`);
    });
    await check(`SSL_CERT_FILE=${DEBIAN_BUNDLE} is read (${KNOWN_ROOT})`, () => {
      setStore(DEBIAN_BUNDLE, emptyDir);
      const subjects = systemRoots().map(certificateSummary);
      const inFile = readFileSync(DEBIAN_BUNDLE, 'latin1').split('-----BEGIN CERTIFICATE').length;
      assert(subjects.length > 50, `only ${subjects.length} roots`);
      assert(subjects.length <= inFile - 1, `${subjects.length} roots from ${inFile - 1} blocks`);
      assert(subjects.includes(KNOWN_ROOT), `${KNOWN_ROOT} not among ${subjects.length} roots`);
    });
  } else {
    console.log(`skip ${DEBIAN_BUNDLE} is absent: the distribution-bundle checks did not run`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
