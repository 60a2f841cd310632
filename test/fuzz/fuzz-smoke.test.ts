/**
 * The CI fuzz run: every target for a few seconds from its seed corpus, with a fixed seed and
 * V8 coverage guidance; any input that throws something other than the target's allowed error,
 * or runs longer than 250 ms, fails the test (and is written to test/fuzz/crashes/). The long run
 * is `npm run fuzz -- --time 600`; see docs/fuzzing.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coverage, FUZZ_DIR, fuzz } from './engine.ts';
import type { FuzzTarget } from './targets.ts';

/** Seconds per target; ten targets keep the file under a minute. */
const SECONDS = 4;
const SEED = 0x5eed;

const coverage = new Coverage();
let targets: FuzzTarget[] = [];

beforeAll(async () => {
  // Coverage first, then the parsers, so V8 counts blocks from their first call.
  coverage.start();
  targets = (await import('./targets.ts')).TARGETS;
});
afterAll(() => coverage.stop());

describe('fuzz smoke run (fixed seed)', () => {
  const names = [
    'deframer',
    'handshake',
    'extensions',
    'certificate',
    'crl',
    'der',
    'ech-config',
    'ech-inner',
    'dns',
    'sessions',
  ];
  it('covers every target', async () => {
    expect(targets.map((t) => t.name)).toEqual(names);
  });
  it.each(names)(
    '%s: no crash, no slow input',
    (name) => {
      const target = targets.find((t) => t.name === name)!;
      const r = fuzz(
        { target, timeMs: SECONDS * 1000, seed: SEED, crashDir: `${FUZZ_DIR}/crashes` },
        coverage,
      );
      const shown = r.findings.map(
        (f) => `${f.kind}: ${f.message} ${Buffer.from(f.input).toString('hex')}`,
      );
      expect(shown).toEqual([]);
      // The run did work: inputs beyond the corpus, and coverage was read.
      expect(r.execs).toBeGreaterThan(r.corpus);
      expect(r.features).toBeGreaterThan(0);
    },
    20_000,
  );
});
