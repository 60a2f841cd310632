/**
 * Measuring: the `--quick` flag, warm-up, interleaved samples and medians. Contenders take turns
 * sample by sample, so a burst of load on a shared machine moves one sample, not one contender.
 */

/** `--quick`: a smoke run (short samples, fewer of them); its numbers are not for reading. */
export const QUICK = process.argv.includes('--quick');

/** Samples per contender (the median of them is reported). */
export const SAMPLES = QUICK ? 1 : 5;

/** Milliseconds per sample, and of warm-up before each sample. */
export const SAMPLE_MS = QUICK ? 60 : 700;
export const WARM_MS = QUICK ? 20 : 150;

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0..1) of `xs`, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Runs `step` for WARM_MS, then for SAMPLE_MS; each call returns the units it did (1 if it
 * returns nothing). Returns units per second of wall time.
 */
export async function rate(step: () => Promise<number | undefined>): Promise<number> {
  for (const end = performance.now() + WARM_MS; performance.now() < end; ) await step();
  let units = 0;
  const start = performance.now();
  const end = start + SAMPLE_MS;
  while (performance.now() < end) units += (await step()) ?? 1;
  return units / ((performance.now() - start) / 1000);
}

/** A contender's measurement of one scenario, or null where it cannot run it. */
export type Measure = (() => Promise<number>) | null;

/**
 * Takes SAMPLES samples of every contender, in turns, and returns each one's median (null for
 * contenders without a measure).
 */
export async function interleaved(
  measures: Record<string, Measure>,
): Promise<Record<string, number | null>> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(measures)) samples[name] = [];
  for (let round = 0; round < SAMPLES; round++) {
    for (const [name, measure] of Object.entries(measures)) {
      if (measure) samples[name].push(await measure());
    }
  }
  const out: Record<string, number | null> = {};
  for (const name of Object.keys(measures))
    out[name] = samples[name].length > 0 ? median(samples[name]) : null;
  return out;
}

/** Prints a progress line to stderr (the results go to files). */
export function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}
