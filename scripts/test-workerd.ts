/**
 * Runs the runtime-neutral unit suite (test/unit/**\/*.test.ts, and the shim's own conformance
 * test) inside workerd, the Cloudflare Workers runtime, through miniflare.
 *
 * 1. esbuild bundles a generated Worker entry that maps each test file to a dynamic import, with
 *    `vitest` aliased to test/runtimes/vitest-shim.ts (the shim Deno uses too). Code splitting
 *    keeps each file in its own chunk, loaded only when its turn comes.
 * 2. miniflare loads the chunks as the Worker's ES modules, with the compatibility date of the
 *    installed workerd and no compatibility flags: no `nodejs_compat`, so a Node API reached by
 *    a test or the code under test fails the run.
 * 3. One request per file runs its tests (test/runtimes/workerd-worker.ts); failures are printed
 *    with their names and errors, then `N passed, N failed`. Exits non-zero on any failure.
 *
 * miniflare does not enforce Workers' per-request CPU limit unless told to, so slow tests (RSA
 * key generation, fuzzing) run as they do in Node; the shim's 30 s test timeout still applies.
 *
 * Usage: tsx scripts/test-workerd.ts [substring ...]   (only files whose path contains one)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import type { FileReport } from '../test/runtimes/workerd-worker.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHIM = join(ROOT, 'test/runtimes/vitest-shim.ts');
const WORKER = join(ROOT, 'test/runtimes/workerd-worker.ts');
/** brotli-wasm's web build, initialised with its .wasm imported as a module (workerd's way). */
const BROTLI = join(ROOT, 'test/runtimes/brotli-wasm-workerd.ts');

/**
 * Tests that cannot run in workerd, by full name, with the reason printed when they are skipped.
 * Keep it empty unless a test needs something workerd genuinely lacks.
 */
const SKIP: Record<string, string> = {};

/** `*.test.ts` files under `dir`, as paths relative to the repository, sorted. */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.test.ts')) {
      out.push(relative(ROOT, join(entry.parentPath, entry.name)));
    }
  }
  return out.sort();
}

/** `YYYY-MM-DD` from the version of the workerd that miniflare runs (`1.YYYYMMDD.n`). */
function workerdDate(): string {
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve('miniflare'));
  const pkg = fromMiniflare.resolve('workerd/package.json');
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  const m = /^\d+\.(\d{4})(\d{2})(\d{2})\./.exec(version);
  if (!m) throw new Error(`test-workerd: unexpected workerd version ${version}`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Bundles the Worker into `outdir`; returns the entry first, then the chunks and .wasm files. */
async function bundle(files: string[], dir: string, outdir: string): Promise<string[]> {
  const entry = join(dir, 'entry.ts');
  const source = [
    `import { testWorker } from ${JSON.stringify(WORKER)};`,
    'export default testWorker({',
    ...files.map((f) => `  ${JSON.stringify(f)}: () => import(${JSON.stringify(join(ROOT, f))}),`),
    '});',
    '',
  ];
  writeFileSync(entry, source.join('\n'));
  const result = await build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { vitest: SHIM, 'brotli-wasm': BROTLI },
    // .wasm files are copied beside the chunks and loaded as CompiledWasm modules.
    loader: { '.wasm': 'copy' },
    // Left for workerd to refuse, so a test file that imports Node fails alone, as it loads.
    external: ['node:*'],
    metafile: true,
    absWorkingDir: ROOT,
    logLevel: 'error',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(ROOT, p));
  const main = join(outdir, 'entry.js');
  return [main, ...outputs.filter((p) => p !== main && /\.(js|wasm)$/.test(p))];
}

/** Prints one file's failures and skips; returns its counts. */
function report(r: FileReport): { passed: number; failed: number; skipped: number } {
  if (r.loadError !== undefined) {
    console.log(`FAIL ${r.file}: failed to load\n${indent(r.loadError)}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const count = (s: string) => r.tests.filter((t) => t.status === s).length;
  const counts = { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
  const mark = counts.failed > 0 ? 'FAIL' : 'ok  ';
  const ms = Math.round(r.tests.reduce((sum, t) => sum + t.ms, 0));
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
  console.log(`${mark} ${r.file} (${counts.passed} passed${skipped}, ${ms} ms)`);
  for (const t of r.tests) {
    if (t.status === 'failed') console.log(`  FAILED ${t.name}\n${indent(t.error ?? '')}`);
    if (t.status === 'skipped' && t.error) console.log(`  SKIPPED ${t.name}: ${t.error}`);
  }
  return counts;
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(0, 40)
    .map((line) => `      ${line}`)
    .join('\n');
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = [...testFiles('test/unit'), 'test/runtimes/shim-conformance.test.ts'].filter(
    (f) => filters.length === 0 || filters.some((s) => f.includes(s)),
  );
  if (files.length === 0) {
    console.error('test-workerd: no test files');
    console.log('0 passed, 0 failed');
    return 1;
  }

  const dir = mkdtempSync(join(tmpdir(), 'webtls-workerd-'));
  let mf: Miniflare | undefined;
  const totals = { passed: 0, failed: 0, skipped: 0 };
  try {
    const outdir = join(dir, 'out');
    const [main, ...chunks] = await bundle(files, dir, outdir);
    const compatibilityDate = workerdDate();
    console.log(`workerd: compatibility date ${compatibilityDate}, no compatibility flags`);
    mf = new Miniflare({
      modulesRoot: outdir,
      modules: [main, ...chunks].map((path) => ({
        type: path.endsWith('.wasm') ? ('CompiledWasm' as const) : ('ESModule' as const),
        path,
      })),
      compatibilityDate,
      compatibilityFlags: [],
    });
    await mf.ready;
    for (const file of files) {
      const url = `http://workerd/run?file=${encodeURIComponent(file)}`;
      const response = await mf.dispatchFetch(url, { method: 'POST', body: JSON.stringify(SKIP) });
      if (!response.ok) {
        console.log(`FAIL ${file}: HTTP ${response.status}\n${indent(await response.text())}`);
        totals.failed++;
        continue;
      }
      const counts = report((await response.json()) as FileReport);
      totals.passed += counts.passed;
      totals.failed += counts.failed;
      totals.skipped += counts.skipped;
    }
  } finally {
    await mf?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  if (totals.skipped > 0) console.log(`${totals.skipped} skipped`);
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  return totals.failed > 0 || totals.passed === 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error('test-workerd: the run stopped:', error);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
}
