/**
 * webtls in Chromium against webtls in Node: the same workload (bench/browser/workload.ts: a
 * client and a server in one thread, TLS 1.3, P-256 certificate, X25519) bundled for the page
 * and imported in Node, with the subtle (WebCrypto) and noble providers. Chromium is Debian's,
 * through playwright-core (e2e/chromium.ts); the page is served from 127.0.0.1 so that it is a
 * secure context (WebCrypto needs one).
 *
 * Run: npm run bench -- --only browser [--quick]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from '../e2e/chromium.ts';
import { measure, type ProviderName, type Scenario } from './browser/workload.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { interleaved, type Measure, progress, SAMPLE_MS } from './lib/sample.ts';

const bundle = await build({
  entryPoints: [fileURLToPath(new URL('./browser/workload.ts', import.meta.url))],
  bundle: true,
  format: 'iife',
  globalName: 'benchWorkload',
  platform: 'browser',
  minify: true,
  write: false,
});
const script = bundle.outputFiles[0].text;

const server = createServer((req, res) => {
  if (req.url === '/workload.js') {
    res.setHeader('content-type', 'text/javascript');
    res.end(script);
    return;
  }
  res.setHeader('content-type', 'text/html');
  res.end('<!doctype html><title>webtls bench</title><script src="/workload.js"></script>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

const chromium = await launchChromium();
try {
  const page = await chromium.context.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  const version = chromium.context.browser()?.version() ?? 'unknown';

  const inPage = (provider: ProviderName, scenario: Scenario) => () =>
    page.evaluate(
      ([p, s, ms]) =>
        (
          globalThis as unknown as {
            benchWorkload: { measure: (p: string, s: string, ms: number) => Promise<number> };
          }
        ).benchWorkload.measure(p, s, ms),
      [provider, scenario, SAMPLE_MS] as const,
    );
  const inNode = (provider: ProviderName, scenario: Scenario) => () =>
    measure(provider, scenario, SAMPLE_MS);

  const SCENARIOS: [Scenario, string][] = [
    ['full', 'full TLS 1.3 handshakes/s (client + server)'],
    ['resumed', 'resumed TLS 1.3 handshakes/s (client + server)'],
    ['bulk', 'AES-128-GCM 16 KiB records, MB/s (seal + open)'],
  ];
  const rows: ResultRow[] = [];
  for (const [scenario, label] of SCENARIOS) {
    progress(`browser: ${label}`);
    const measures: Record<string, Measure> = {
      'Node subtle': inNode('subtle', scenario),
      'Chromium subtle': inPage('subtle', scenario),
      'Node noble': inNode('noble', scenario),
      'Chromium noble': inPage('noble', scenario),
    };
    rows.push({ scenario: label, values: await interleaved(measures), baseline: 'Node subtle' });
  }
  writeResults('browser', {
    title: 'webtls in Chromium and in Node',
    unit: 'handshakes/s or MB/s',
    higherIsBetter: true,
    columns: ['Node subtle', 'Chromium subtle', 'Node noble', 'Chromium noble'],
    rows,
    notes: [
      `Chromium ${version} (headless, Debian's package), one page, one thread; Node in this ` +
        'process. The same bundle of bench/browser/workload.ts: client and server driven ' +
        'directly (no streams), TLS 1.3, ECDSA P-256 chain, X25519, AES-128-GCM.',
      'Handshakes count client and server work together (both run in the one thread).',
    ],
  });
} finally {
  await chromium.close();
  server.close();
}
