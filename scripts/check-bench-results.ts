/**
 * Checks a results directory written by `npm run bench`: every table bench/run.ts lists is
 * there, each row has at least one measured value, and summary.md was written. Prints
 * `N passed, N failed` (one per table) and exits non-zero on any failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from '../bench/lib/results.ts';
import { RESULTS_DIR } from '../bench/lib/results.ts';
import { TABLES } from '../bench/lib/summary.ts';

let passed = 0;
let failed = 0;
const fail = (why: string) => {
  failed++;
  console.error(`check-bench-results: ${why}`);
};
for (const name of TABLES) {
  const path = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(path)) {
    fail(`${name}.json was not written`);
    continue;
  }
  const result = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
  const empty = result.rows.filter((row) =>
    Object.values(row.values).every((v) => typeof v !== 'number' || !Number.isFinite(v)),
  );
  if (result.rows.length === 0) fail(`${name}: no rows`);
  else if (empty.length > 0)
    fail(`${name}: no value in ${empty.map((r) => r.scenario).join('; ')}`);
  else passed++;
}
if (!existsSync(join(RESULTS_DIR, 'summary.md'))) fail('summary.md was not written');
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
