/**
 * `npm run bench`: every benchmark, one after another, each in its own Node process (a fresh
 * heap, and the node flags it needs), then bench/results/summary.md with the targets.
 *
 * Usage: npm run bench [-- --quick] [-- --only name[,name]]
 *   --quick  a smoke run: every script with tiny samples (numbers not for reading)
 *   --only   run only these scripts (names below); the summary is rebuilt from all results
 *
 * Results go to bench/results/ (or $BENCH_RESULTS_DIR). Exits non-zero if a script failed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { progress, QUICK } from './lib/sample.ts';
import { writeSummary } from './lib/summary.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The scripts in running order (bench/<name>.ts), with the node flags each needs. */
const SCRIPTS: { name: string; flags: string[] }[] = [
  { name: 'handshakes', flags: [] },
  { name: 'throughput', flags: [] },
  { name: 'latency', flags: [] },
  { name: 'zero-rtt', flags: [] },
  { name: 'js-libs', flags: [] },
  { name: 'memory', flags: ['--expose-gc'] },
  {
    name: 'alloc',
    flags: ['--expose-gc', '--max-semi-space-size=512', '--min-semi-space-size=256'],
  },
  { name: 'size', flags: [] },
  { name: 'chromium', flags: [] },
  { name: 'browser', flags: [] },
];

function selected(): typeof SCRIPTS {
  const at = process.argv.indexOf('--only');
  if (at < 0) return SCRIPTS;
  const names = (process.argv[at + 1] ?? '').split(',');
  const unknown = names.filter((n) => !SCRIPTS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`bench: no script named ${unknown.join(', ')}`);
  return SCRIPTS.filter((s) => names.includes(s.name));
}

/** The test PKI the contenders' certificates come from (idempotent). */
function generatePki(): void {
  const run = spawnSync('bash', ['scripts/gen-test-pki.sh'], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error('bench: scripts/gen-test-pki.sh failed');
}

generatePki();
const failed: string[] = [];
for (const script of selected()) {
  const started = performance.now();
  progress(`bench: ${script.name}${QUICK ? ' (quick)' : ''}`);
  const args = ['--import', 'tsx', ...script.flags, `bench/${script.name}.ts`];
  if (QUICK) args.push('--quick');
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failed.push(script.name);
  progress(`bench: ${script.name} ${run.status === 0 ? 'done' : 'FAILED'} in ${seconds} s`);
}
writeSummary();
if (failed.length > 0) {
  progress(`bench: failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
