/**
 * The coverage-guided mutation fuzzer (Node only). Coverage comes from V8 through
 * node:inspector: Profiler.startPreciseCoverage with block granularity and call counts, read
 * (and reset) after every input with Profiler.takePreciseCoverage. An input is kept in the
 * working corpus when it produces a feature not seen before; a feature is one block range of a
 * script under src/ with its hit count bucketed (0, 1, 2, 3, 4-7, 8-15, ...).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { mutate, prng } from './mutate.ts';
import type { FuzzTarget } from './targets.ts';

/** The repository's test/fuzz directory. */
export const FUZZ_DIR = new URL('.', import.meta.url).pathname.replace(/\/$/, '');

/** One input that threw something other than an allowed error, or ran too long. */
export interface Finding {
  target: string;
  kind: 'crash' | 'slow';
  message: string;
  input: Uint8Array;
}

export interface FuzzOptions {
  target: FuzzTarget;
  /** Wall-clock budget in milliseconds. */
  timeMs: number;
  seed: number;
  /** An input running longer than this is a finding. Default 250 ms. */
  slowMs?: number;
  /** Longest input generated. Default 8192 bytes. */
  maxLength?: number;
  /** Where findings are written (one file per input). Undefined: not written. */
  crashDir?: string;
  /** Coverage guidance on (default) or plain mutation of the seeds. */
  coverage?: boolean;
}

export interface FuzzResult {
  execs: number;
  seeds: number;
  corpus: number;
  features: number;
  findings: Finding[];
}

/** The seed files of a target (test/fuzz/corpus/<name>/*.bin), sorted by name. */
export function loadSeeds(name: string): Uint8Array[] {
  const dir = join(FUZZ_DIR, 'corpus', name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

/** A precise-coverage session over this process. */
export class Coverage {
  private session = new Session();
  private features = new Set<string>();

  start(): void {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  stop(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.post('Profiler.disable');
    this.session.disconnect();
  }

  /** Forgets the features seen (each target starts afresh). */
  reset(): void {
    this.collect();
    this.features.clear();
  }

  get size(): number {
    return this.features.size;
  }

  /** Reads and resets the counters; returns how many features were new. */
  collect(): number {
    let fresh = 0;
    const result = this.post('Profiler.takePreciseCoverage') as {
      result: {
        url: string;
        functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[];
      }[];
    };
    for (const script of result.result) {
      if (!script.url.includes('/src/') || script.url.includes('node_modules')) continue;
      for (const fn of script.functions) {
        for (const r of fn.ranges) {
          const key = `${script.url}:${r.startOffset}:${r.endOffset}:${bucket(r.count)}`;
          if (!this.features.has(key)) {
            this.features.add(key);
            fresh++;
          }
        }
      }
    }
    return fresh;
  }

  private post(method: string, params?: object): unknown {
    let out: unknown;
    let failure: Error | null = null;
    // The inspector session in the same thread answers synchronously.
    this.session.post(method, params ?? {}, (err, result) => {
      failure = err;
      out = result;
    });
    if (failure) throw failure;
    return out;
  }
}

/** Inputs run between two coverage reads. */
const BATCH = 32;

function bucket(count: number): number {
  return count < 4 ? count : 31 - Math.clz32(count);
}

/** Runs `target` on one input; a finding when it throws a non-allowed error or is slow. */
export function runOne(target: FuzzTarget, input: Uint8Array, slowMs: number): Finding | undefined {
  const started = performance.now();
  try {
    target.run(input);
  } catch (e) {
    if (!target.allowed(e)) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return { target: target.name, kind: 'crash', message, input };
    }
  }
  const ms = performance.now() - started;
  if (ms > slowMs) {
    return { target: target.name, kind: 'slow', message: `took ${ms.toFixed(0)} ms`, input };
  }
  return undefined;
}

/** Writes a finding as test/fuzz/crashes/<target>-<kind>-<sha256 prefix>.bin. */
export function saveFinding(dir: string, f: Finding): string {
  mkdirSync(dir, { recursive: true });
  const digest = createHash('sha256').update(f.input).digest('hex').slice(0, 16);
  const path = join(dir, `${f.target}-${f.kind}-${digest}.bin`);
  writeFileSync(path, f.input);
  return path;
}

/** Fuzzes one target for `timeMs`. Findings are deduplicated by message. */
export function fuzz(options: FuzzOptions, coverage?: Coverage): FuzzResult {
  const { target, timeMs, seed } = options;
  const slowMs = options.slowMs ?? 250;
  const maxLength = options.maxLength ?? 8192;
  const rand = prng(seed);
  coverage?.reset();
  const seeds = (target.seedsFrom ?? [target.name]).flatMap(loadSeeds);
  // Random inputs join the seeds, so targets without captured messages still start somewhere.
  const corpus: Uint8Array[] = [...seeds];
  for (let i = 0; i < 8; i++) {
    corpus.push(Uint8Array.from({ length: 1 + rand(64) }, () => rand(256)));
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const report = (f: Finding | undefined) => {
    if (!f || seen.has(`${f.kind}:${f.message}`)) return;
    seen.add(`${f.kind}:${f.message}`);
    findings.push(f);
    if (options.crashDir) saveFinding(options.crashDir, f);
  };
  let execs = 0;
  // 1. The corpus as it is, which also records its coverage.
  for (const input of corpus) {
    report(runOne(target, input, slowMs));
    coverage?.collect();
    execs++;
  }
  // 2. Mutate until the time is up, in batches: coverage is read once per batch (reading it
  // costs more than most inputs), and only a batch that added features is re-run one input at a
  // time to find the inputs to keep.
  const deadline = performance.now() + timeMs;
  while (performance.now() < deadline) {
    const batch: Uint8Array[] = [];
    for (let i = 0; i < BATCH; i++) {
      const base = corpus[rand(corpus.length)];
      const other = corpus[rand(corpus.length)];
      const input =
        rand(16) === 0
          ? Uint8Array.from({ length: rand(512) }, () => rand(256))
          : mutate(base, other, rand, maxLength);
      report(runOne(target, input, slowMs));
      batch.push(input);
    }
    execs += batch.length;
    if (!coverage || coverage.collect() === 0) continue;
    for (const input of batch) {
      runOne(target, input, slowMs);
      execs++;
      if (coverage.collect() > 0) corpus.push(input);
    }
  }
  return {
    execs,
    seeds: seeds.length,
    corpus: corpus.length,
    features: coverage?.size ?? 0,
    findings,
  };
}
