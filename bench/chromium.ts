/**
 * The subtle provider's AES-GCM seal throughput over 16 KiB records against raw WebCrypto with
 * DEPTH encryptions in flight, in Node and in Chromium: bench/lib/aead-throughput.ts measures,
 * loaded directly in Node and as an esbuild bundle in a Chromium page (playwright-core,
 * /usr/bin/chromium). The page is served by request interception at an https origin, which is a
 * secure context (about:blank is not, and has no crypto.subtle); nothing listens on a port.
 *
 * The three ways of one runtime and algorithm take turns sample by sample (interleaved
 * medians); each is reported as MB/s and as a ratio to raw WebCrypto.
 *
 * Run: `npm run bench -- --only webcrypto` (or node --import tsx bench/chromium.ts [--quick]).
 * Set CHROMIUM to use another executable.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import {
  type AeadBench,
  aeadBench,
  DEPTH,
  type GcmAlgorithm,
  RECORD,
  WAYS,
  type Way,
} from './lib/aead-throughput.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { interleaved, type Measure, progress, SAMPLE_MS, WARM_MS } from './lib/sample.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORIGIN = 'https://webtls-bench.invalid/';
const ALGORITHMS: GcmAlgorithm[] = ['AES-128-GCM', 'AES-256-GCM'];

/** Measures one way in a runtime: MB/s. */
type Runner = (alg: GcmAlgorithm, way: Way) => Promise<number>;

async function pageScript(): Promise<string> {
  const result = await build({
    stdin: {
      contents:
        "import { aeadBench } from './bench/lib/aead-throughput.ts';\n" +
        'globalThis.aeadBench = aeadBench;\n',
      resolveDir: ROOT,
      sourcefile: 'page.ts',
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    absWorkingDir: ROOT,
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

async function nodeRunner(): Promise<Runner> {
  const benches = new Map<GcmAlgorithm, AeadBench>();
  for (const alg of ALGORITHMS) benches.set(alg, await aeadBench(alg));
  return (alg, way) => benches.get(alg)!.measure(way, SAMPLE_MS, WARM_MS);
}

async function chromiumRunner(): Promise<{ run: Runner; version: string; close(): Promise<void> }> {
  const script = await pageScript();
  const browser = await chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><title>webtls bench</title>',
      }),
    );
    await page.goto(ORIGIN);
    await page.addScriptTag({ content: script });
    const ready = await page.evaluate(async (algs) => {
      const g = globalThis as unknown as {
        aeadBench: typeof aeadBench;
        benches: Record<string, AeadBench>;
      };
      g.benches = {};
      for (const alg of algs) g.benches[alg] = await g.aeadBench(alg);
      return isSecureContext;
    }, ALGORITHMS);
    if (!ready) throw new Error('webcrypto: the page is not a secure context');
    const run: Runner = (alg, way) =>
      page.evaluate(
        ([a, w, ms, warm]) => {
          const g = globalThis as unknown as { benches: Record<string, AeadBench> };
          return g.benches[a].measure(w as Way, ms as number, warm as number);
        },
        [alg, way, SAMPLE_MS, WARM_MS] as const,
      );
    return { run, version: browser.version(), close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

async function rowsFor(runtime: string, run: Runner): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const alg of ALGORITHMS) {
    progress(`webcrypto: ${runtime}, ${alg}`);
    const measures: Record<string, Measure> = {};
    for (const way of WAYS) measures[way] = () => run(alg, way);
    const values = await interleaved(measures);
    const ratio = (way: Way) => ((values[way] ?? 0) / (values['raw WebCrypto'] ?? 1)).toFixed(2);
    progress(
      `  raw ${values['raw WebCrypto']?.toFixed(0)} MB/s; ` +
        WAYS.slice(1)
          .map((way) => `${way} ${ratio(way)}×`)
          .join(', '),
    );
    rows.push({ scenario: `${runtime}, ${alg}`, values, baseline: 'raw WebCrypto' });
  }
  return rows;
}

const rows = await rowsFor(`Node ${process.version}`, await nodeRunner());
const browser = await chromiumRunner();
try {
  rows.push(...(await rowsFor(`Chromium ${browser.version}`, browser.run)));
} finally {
  await browser.close();
}

writeResults('webcrypto', {
  title: 'AES-GCM seal throughput, 16 KiB records: subtle provider vs raw WebCrypto',
  unit: 'MB/s of plaintext',
  higherIsBetter: true,
  columns: WAYS,
  rows,
  notes: [
    `raw WebCrypto: crypto.subtle.encrypt with a key imported once, ${DEPTH} calls of ` +
      `${RECORD} bytes in flight at all times, a fresh IV each; webtls AeadKey.seal: the ` +
      'subtle provider driven the same way; webtls records: two ClientConnection.writes of ' +
      `${DEPTH} records' worth in flight after a TLS 1.3 handshake, then takeTls (each write's ` +
      'records are sealed concurrently; the engine runs writes one after another, so the ' +
      "second's records start when the first's are all sealed); webtls write-through: the " +
      'same through ClientConnection.encrypt into two output buffers allocated once and ' +
      'reused.',
    'The buffered API (which the streams API uses) gives each write a fresh output buffer; ' +
      'in Chromium the first writes into fresh memory fault its pages in, which costs about ' +
      'as much as the encryption (the write-through column reuses its buffers).',
    'Chromium headless, the page served by request interception at an https origin (a secure ' +
      'context); Node and Chromium measured one after the other in the same run.',
  ],
});
