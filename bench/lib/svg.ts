/**
 * A horizontal grouped bar chart of a bench result as standalone SVG text, no dependencies.
 * One group per scenario, one bar per column that has a value. Scenarios differ by orders of
 * magnitude (an RSA handshake against a resumption), so each group is scaled to its own largest
 * value; every bar carries its number, and the baseline column's ratio when there is one.
 */
import type { BenchResult } from './results.ts';
import { formatNumber, ratio } from './results.ts';

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];
const WIDTH = 760;
const LABEL = 250; // room for scenario names on the left
const BAR = 14;
const GAP = 10;

/** Escapes text for an SVG text node or attribute. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The chart of `result` as an SVG document. */
export function barChart(result: BenchResult): string {
  const parts: string[] = [];
  const legendY = 44;
  let y = legendY + 28;
  const barSpace = WIDTH - LABEL - 120;

  result.columns.forEach((column, i) => {
    const x = 10 + i * 150;
    parts.push(
      `<rect x="${x}" y="${legendY - 10}" width="10" height="10" fill="${COLORS[i % 7]}"/>`,
      `<text x="${x + 14}" y="${legendY}">${esc(column)}</text>`,
    );
  });

  for (const row of result.rows) {
    const present = result.columns.filter((c) => row.values[c] != null);
    const max = Math.max(...present.map((c) => row.values[c] as number), 0);
    parts.push(`<text x="10" y="${y + BAR}" font-weight="bold">${esc(row.scenario)}</text>`);
    for (const column of present) {
      const value = row.values[column] as number;
      const i = result.columns.indexOf(column);
      const length = max > 0 ? Math.max(1, (value / max) * barSpace) : 1;
      const r = ratio(row, column);
      const label =
        formatNumber(value) + (r != null && column !== row.baseline ? ` (${r.toFixed(2)}×)` : '');
      parts.push(
        `<rect x="${LABEL}" y="${y}" width="${length.toFixed(1)}" height="${BAR}" ` +
          `fill="${COLORS[i % 7]}"><title>${esc(`${column}: ${label}`)}</title></rect>`,
        `<text x="${(LABEL + length + 4).toFixed(1)}" y="${y + BAR - 3}">${esc(label)}</text>`,
      );
      y += BAR + 2;
    }
    y += GAP;
  }

  const height = y + 24;
  const better = result.higherIsBetter ? 'higher is better' : 'lower is better';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(result.title)}</text>`,
    `<text x="10" y="34" fill="#555">${esc(`${result.unit}, ${better}; bars scaled per scenario`)}</text>`,
    ...parts,
    `<text x="10" y="${height - 8}" fill="#555">${esc(`${result.machine}, ${result.date}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
