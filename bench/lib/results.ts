/**
 * The one result format every bench script writes: bench/results/<name>.json (the numbers),
 * <name>.md (a table with ratios to each row's baseline) and <name>.svg (a bar chart).
 *
 * Ratios are value ÷ baseline, whatever the direction: with `higherIsBetter` a ratio above 1
 * beats the baseline, without it (latencies, bytes) a ratio below 1 does. The table says which.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart } from './svg.ts';

/** One scenario: a value per column (null where that column cannot run it). */
export interface ResultRow {
  scenario: string;
  values: Record<string, number | null>;
  /** The column the others are divided by in the table (node:tls where it applies). */
  baseline?: string;
}

/** A bench script's results, as written to bench/results/<name>.json. */
export interface BenchResult {
  title: string;
  unit: string;
  higherIsBetter: boolean;
  columns: string[];
  rows: ResultRow[];
  notes: string[];
  machine: string;
  date: string;
}

/**
 * The directory results are written to: bench/results/, or $BENCH_RESULTS_DIR (the smoke test
 * writes its throwaway numbers elsewhere).
 */
export const RESULTS_DIR =
  process.env.BENCH_RESULTS_DIR ?? fileURLToPath(new URL('../results', import.meta.url));

/** Runtime, CPU, cores, memory and the load average when called: one line. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const openssl = process.versions.openssl;
  return (
    `Node ${process.version} (OpenSSL ${openssl}), ${process.platform}-${process.arch}, ` +
    `${cpu} × ${cpus().length}, ${gib} GiB, load average ${load}`
  );
}

/** Today's date in UTC, YYYY-MM-DD. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A number for a table: three significant digits, no exponent. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, useGrouping: false });
}

/** value ÷ baseline of a row's column, or null when either is missing. */
export function ratio(row: ResultRow, column: string): number | null {
  if (!row.baseline) return null;
  const base = row.values[row.baseline];
  const value = row.values[column];
  if (base == null || value == null || base === 0) return null;
  return value / base;
}

/** The markdown table of a result: values with their ratio to the row's baseline. */
export function markdown(result: BenchResult): string {
  const better = result.higherIsBetter ? 'higher is better' : 'lower is better';
  const lines = [
    `# ${result.title}`,
    '',
    `Unit: ${result.unit} (${better}). In brackets: the value ÷ the row's baseline (marked *).`,
    '',
    `| scenario | ${result.columns.join(' | ')} |`,
    `|---|${result.columns.map(() => '---:').join('|')}|`,
  ];
  for (const row of result.rows) {
    const cells = result.columns.map((column) => {
      const value = row.values[column];
      if (value == null) return '—';
      if (column === row.baseline) return `${formatNumber(value)} *`;
      const r = ratio(row, column);
      return r == null ? formatNumber(value) : `${formatNumber(value)} (${r.toFixed(2)}×)`;
    });
    lines.push(`| ${row.scenario} | ${cells.join(' | ')} |`);
  }
  lines.push('', `Machine: ${result.machine}. Date: ${result.date}.`);
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `- ${note}`));
  return `${lines.join('\n')}\n`;
}

/**
 * Writes bench/results/<name>.json, .md and .svg. `machine` and `date` default to this
 * machine and today. Returns the complete result.
 */
export function writeResults(
  name: string,
  result: Omit<BenchResult, 'machine' | 'date'> & Partial<Pick<BenchResult, 'machine' | 'date'>>,
): BenchResult {
  const full: BenchResult = { ...result, machine: result.machine ?? machineLine(), date: today() };
  if (result.date) full.date = result.date;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(full, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), markdown(full));
  writeFileSync(join(RESULTS_DIR, `${name}.svg`), barChart(full));
  return full;
}
