/**
 * Times certificate parsing and verification (the numbers in docs/verification.md).
 *
 * "Cold" cases run in a fresh Node process each (modules loaded first, then the clock starts),
 * seven times, and report the median; "warm" cases repeat after a warm-up and report the mean.
 * Needs the test PKI (test/pki/out, made by scripts/gen-test-pki.sh). Node only.
 *
 * Usage: tsx scripts/bench-x509.ts            (prints a table)
 *        tsx scripts/bench-x509.ts --case NAME (one cold case, prints milliseconds as JSON)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { subtleProvider } from '../src/crypto/index.ts';
import { pemCertificates } from '../src/util/pem.ts';
import { parseTrustAnchors } from '../src/verify/anchors.ts';
import { certificateIdentity } from '../src/verify/cert-layout.ts';
import { buildPath } from '../src/verify/path.ts';
import { mozillaRoots } from '../src/verify/roots/index.ts';
import { webpkiVerifier } from '../src/verify/webpki.ts';
import { EkuOid, parseCertificate } from '../src/verify/x509.ts';

const PKI = 'test/pki/out';
const pem = (path: string) => pemCertificates(readFileSync(`${PKI}/${path}`, 'utf8'));
const root = pem('root.pem')[0];
const chain = pem('p256/chain.pem');
const provider = subtleProvider();
const now = new Date();

/** Fresh copies, so no cache keyed by the input object can answer. */
const fresh = (ders: readonly Uint8Array[]) => ders.map((d) => d.slice());

/** The cases, each returning a promise of nothing; timed by the caller. */
const CASES: Record<string, () => Promise<unknown> | unknown> = {
  /** One certificate (the P-256 leaf), the first parse in the process. */
  'parse-one': () => parseCertificate(chain[0].slice()),
  /** Every bundled root through the full parser. */
  'parse-roots': () => {
    for (const der of fresh(mozillaRoots())) parseCertificate(der);
  },
  /** Every bundled root through the anchor index (minimal walk). */
  'index-roots': () => parseTrustAnchors(fresh(mozillaRoots())),
  /** webpkiVerifier({ roots: [test root] }) built, then one leaf + intermediate verified. */
  'verify-test-root': () =>
    webpkiVerifier({ roots: [root] }).verifyServer(
      fresh(chain),
      { name: 'localhost' },
      { provider, now },
    ),
  /** The bundled roots plus the test root, indexed lazily as the default store is. */
  'verify-bundled': () => {
    const anchors = parseTrustAnchors([...mozillaRoots(), root]);
    const [leaf, inter] = fresh(chain).map((d) => parseCertificate(d));
    return buildPath(leaf, {
      anchors,
      intermediates: [inter],
      provider,
      now,
      eku: EkuOid.serverAuth,
    });
  },
  /** webpkiVerifier({ roots }) with the bundled roots and the test root: each is parsed now. */
  'configure-bundled': () => webpkiVerifier({ roots: [...mozillaRoots(), root] }),
  /** webpkiVerifier() (bundled roots only) on the test chain: CERT_UNKNOWN_ISSUER. */
  'verify-default-unknown': () =>
    webpkiVerifier()
      .verifyServer(fresh(chain), { name: 'localhost' }, { provider, now })
      .then(
        () => {
          throw new Error('the test PKI must not verify against the bundled roots');
        },
        () => undefined,
      ),
};

async function time(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs one case in a fresh process, `runs` times; the median in milliseconds. */
function cold(name: string, runs = 7): number {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [
      '--import',
      'tsx',
      import.meta.filename,
      '--case',
      name,
    ]);
    results.push(JSON.parse(out.toString()));
  }
  return median(results);
}

/** Mean milliseconds per call after `warmup` calls. */
async function warm(f: () => unknown, n: number, warmup = Math.min(n, 20)): Promise<number> {
  for (let i = 0; i < warmup; i++) await f();
  let total = 0;
  for (let i = 0; i < n; i++) total += await time(f);
  return total / n;
}

async function main(): Promise<void> {
  const caseArg = process.argv.indexOf('--case');
  if (caseArg > 0) {
    const f = CASES[process.argv[caseArg + 1]];
    if (!f) throw new Error(`unknown case ${process.argv[caseArg + 1]}`);
    process.stdout.write(JSON.stringify(await time(f)));
    return;
  }
  const roots = mozillaRoots();
  const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} ms`;
  const rows: [string, string][] = [
    ['bundled roots', String(roots.length)],
    ['cold: parse one certificate', ms(cold('parse-one'))],
    ['cold: parse every bundled root', ms(cold('parse-roots'))],
    ['cold: index every bundled root (anchor index)', ms(cold('index-roots'))],
    ['cold: verify leaf+inter against the test root', ms(cold('verify-test-root'))],
    ['cold: verify against bundled roots + test root', ms(cold('verify-bundled'))],
    ['cold: default verifier, test chain (unknown issuer)', ms(cold('verify-default-unknown'))],
    ['cold: webpkiVerifier({ roots: bundled + test root })', ms(cold('configure-bundled'))],
  ];
  const perRoot = (await warm(CASES['parse-roots'], 20)) / roots.length;
  rows.push(['warm: parse, per bundled root', ms(perRoot)]);
  rows.push(['warm: parse the P-256 leaf', ms(await warm(CASES['parse-one'], 500))]);
  const identity = async () => {
    for (const der of roots) certificateIdentity(der);
  };
  rows.push([
    'warm: anchor index, per bundled root',
    ms((await warm(identity, 50)) / roots.length),
  ]);
  const verifier = webpkiVerifier({ roots: [root] });
  const reused = () =>
    verifier.verifyServer(fresh(chain), { name: 'localhost' }, { provider, now });
  rows.push(['warm: verify, test-root verifier reused', ms(await warm(reused, 200))]);
  rows.push([
    'warm: build test-root verifier + verify',
    ms(await warm(CASES['verify-test-root'], 200)),
  ]);
  rows.push([
    'warm: verify against bundled + test root',
    ms(await warm(CASES['verify-bundled'], 50)),
  ]);
  rows.push([
    'warm: webpkiVerifier({ roots: bundled + test })',
    ms(await warm(CASES['configure-bundled'], 10)),
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

await main();
