/**
 * Long fuzz runs: `npm run fuzz -- [--target NAME] [--time SECONDS] [--seed N] [--slow MS]
 * [--no-coverage]`. Each target (all by default) is fuzzed for --time seconds (default 60) from
 * its seed corpus in test/fuzz/corpus/, with V8 block coverage guiding which inputs are kept.
 * Findings are written to test/fuzz/crashes/ and printed as hex; the exit code is 1 when any.
 */
import { parseArgs } from 'node:util';
import { Coverage, FUZZ_DIR, fuzz } from '../test/fuzz/engine.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    time: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    slow: { type: 'string', default: '250' },
    'no-coverage': { type: 'boolean', default: false },
  },
});

// Coverage starts before the parsers load, so V8 instruments them from the first call.
const coverage = values['no-coverage'] ? undefined : new Coverage();
coverage?.start();
const { TARGETS } = await import('../test/fuzz/targets.ts');

const chosen = values.target ? TARGETS.filter((t) => t.name === values.target) : TARGETS;
if (chosen.length === 0) {
  console.error(`unknown target ${values.target}; targets: ${TARGETS.map((t) => t.name)}`);
  process.exit(2);
}
const seed = Number(values.seed);
let found = 0;
for (const [i, target] of chosen.entries()) {
  const r = fuzz(
    {
      target,
      timeMs: Number(values.time) * 1000,
      seed: seed + i,
      slowMs: Number(values.slow),
      crashDir: `${FUZZ_DIR}/crashes`,
    },
    coverage,
  );
  console.log(
    `${target.name}: seed ${seed + i}, ${r.execs} execs, ${r.seeds} seeds, corpus ${r.corpus}, ` +
      `${r.features} features, ${r.findings.length} findings`,
  );
  for (const f of r.findings) {
    console.log(`  ${f.kind}: ${f.message}\n    ${Buffer.from(f.input).toString('hex')}`);
  }
  found += r.findings.length;
}
coverage?.stop();
process.exit(found > 0 ? 1 : 0);
