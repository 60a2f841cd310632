/**
 * bench/results/summary.md: the targets checked against the results on disk, with the
 * worst measured ratio for each, and links to every table. Rebuilt after every `npm run bench`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchResult, formatNumber, RESULTS_DIR, type ResultRow } from './results.ts';

/** The result tables, in the order the summary lists them (every one `npm run bench` writes). */
export const TABLES = [
  'handshakes',
  'throughput',
  'latency',
  'zero-rtt',
  'js-libs',
  'memory',
  'alloc',
  'alloc-api',
  'size',
  'webcrypto',
  'browser',
];

/** The JavaScript libraries' columns in js-libs. */
const JS_LIBS = ['subtls', 'reclaim', 'forge'];

function load(name: string): BenchResult | undefined {
  const path = join(RESULTS_DIR, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BenchResult) : undefined;
}

/** One measured comparison: a / b in some row. */
interface Measured {
  value: number;
  where: string;
}

/** The smallest of `pairs`, or undefined when nothing was measured. */
function worst(pairs: Measured[]): Measured | undefined {
  return pairs.reduce<Measured | undefined>((w, m) => (!w || m.value < w.value ? m : w), undefined);
}

/** column ÷ other in each row that has both and passes `filter`. */
function ratios(
  result: BenchResult | undefined,
  column: string,
  other: string,
  filter: (row: ResultRow) => boolean = () => true,
): Measured[] {
  const out: Measured[] = [];
  for (const row of result?.rows ?? []) {
    const a = row.values[column];
    const b = row.values[other];
    if (a == null || b == null || b === 0 || !filter(row)) continue;
    out.push({ value: a / b, where: `${row.scenario} (${column} ÷ ${other})` });
  }
  return out;
}

interface Target {
  text: string;
  /** What to compare against `goal`, higher is better (ratios), or lower (bytes). */
  measured: Measured | undefined;
  goal: number;
  higherIsBetter: boolean;
  format: (x: number) => string;
}

const asRatio = (x: number) => `${x.toFixed(2)}×`;
const asKiB = (x: number) => `${formatNumber(x / 1024)} KiB`;

function targets(): Target[] {
  const handshakes = load('handshakes');
  const throughput = load('throughput');
  const jsLibs = load('js-libs');
  const webcrypto = load('webcrypto');
  const memory = load('memory');
  const full = (row: ResultRow) => !/resum/i.test(row.scenario);
  // Client CPU time: wall time on a shared machine also counts other processes.
  const cpuRow = (row: ResultRow) => hsRow(row) && /CPU/.test(row.scenario);
  const libRatios = JS_LIBS.flatMap((lib) => ratios(jsLibs, 'webtls node', lib, cpuRow));
  const subtleLibRatios = JS_LIBS.flatMap((lib) => ratios(jsLibs, 'webtls subtle', lib, cpuRow));
  const at16k = (row: ResultRow) => /16 KiB/.test(row.scenario);
  const idle: Measured[] = [];
  for (const row of memory?.rows ?? []) {
    for (const [column, value] of Object.entries(row.values)) {
      if (column.startsWith('webtls') && value != null) {
        // Worst = largest: negate so `worst` (the minimum) finds it.
        idle.push({ value: -value, where: `${row.scenario}, ${column}` });
      }
    }
  }
  const largest = worst(idle);
  return [
    {
      text: 'node provider ≥ 1.0× node:tls full handshakes per second',
      measured: worst(ratios(handshakes, 'webtls node', 'node:tls', full)),
      goal: 1,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: 'node provider ≥ 0.8× node:tls bulk throughput, 16 KiB writes',
      measured: worst(ratios(throughput, 'webtls node', 'node:tls', at16k)),
      goal: 0.8,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: 'node provider ≥ 0.8× node:tls bulk throughput, 1 KiB writes',
      measured: worst(ratios(throughput, 'webtls node', 'node:tls', (row) => !at16k(row))),
      goal: 0.8,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: '≥ 5× the handshake rate of each JavaScript library (node provider)',
      measured: worst(libRatios),
      goal: 5,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: '≥ 5× the handshake rate of each JavaScript library (subtle provider)',
      measured: worst(subtleLibRatios),
      goal: 5,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: 'subtle provider ≥ 80% of raw WebCrypto AES-GCM at 16 KiB: the provider (AeadKey.seal)',
      measured: worst(ratios(webcrypto, 'webtls AeadKey.seal', 'raw WebCrypto')),
      goal: 0.8,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: 'the same through the write-through API (caller-owned buffers)',
      measured: worst(ratios(webcrypto, 'webtls write-through', 'raw WebCrypto')),
      goal: 0.8,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: 'the same through the buffered API (what connect() uses)',
      measured: worst(ratios(webcrypto, 'webtls records', 'raw WebCrypto')),
      goal: 0.8,
      higherIsBetter: true,
      format: asRatio,
    },
    {
      text: '≤ 16 KiB of heap per idle established connection',
      measured: largest && { value: -largest.value, where: largest.where },
      goal: 16 * 1024,
      higherIsBetter: false,
      format: asKiB,
    },
  ];
}

function hsRow(row: ResultRow): boolean {
  return /handshake/i.test(row.scenario);
}

/** Writes summary.md from the results on disk; returns its text. */
export function writeSummary(): string {
  const lines = [
    '# Benchmark summary',
    '',
    'Written by `npm run bench` from the tables below. Each target shows the worst case measured',
    '(the row where it is closest to failing or fails).',
    '',
    '| target | worst measured | met | where |',
    '|---|---:|:---:|---|',
  ];
  for (const t of targets()) {
    if (!t.measured) {
      lines.push(`| ${t.text} | — | not measured | |`);
      continue;
    }
    const v = t.measured.value;
    const met = t.higherIsBetter ? v >= t.goal : v <= t.goal;
    lines.push(`| ${t.text} | ${t.format(v)} | ${met ? 'yes' : '**no**'} | ${t.measured.where} |`);
  }
  lines.push('', '## Tables', '');
  for (const name of TABLES) {
    const result = load(name);
    if (!result) {
      lines.push(`- ${name}: not run`);
      continue;
    }
    lines.push(`- [${result.title}](${name}.md) — ${result.date} ([chart](${name}.svg))`);
  }
  // The machine lines differ only in their load average, which each table keeps.
  const machines = new Set(
    TABLES.map((n) => load(n)?.machine.replace(/, load average.*$/, '')).filter((m) => m),
  );
  lines.push('', ...[...machines].map((m) => `Machine: ${m}.`));
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(RESULTS_DIR, 'summary.md'), text);
  return text;
}
