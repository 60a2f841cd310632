/**
 * Handshake latency under concurrency, in ms: C clients (1, 16, 128) each do back-to-back full
 * TLS 1.3 handshakes (P-256 certificate, X25519) against one server of the same contender, all
 * in one process over the in-memory link of bench/lib/duplex-pair.ts. One latency is the time
 * from connect() until both sides are open and a 1-byte echo went there and back. Reported: the
 * p50, p90 and p99 of each sample, median over the samples.
 *
 * Run: `npm run bench -- --only latency` (or node --import tsx bench/latency.ts [--quick]).
 */
import {
  BASELINE,
  NO_CRYPTO,
  pairFactories,
  standardContenders,
} from './lib/contenders/columns.ts';
import type { ClientFactory, ServerFactory, Setup } from './lib/contenders/types.ts';
import { duplexPair } from './lib/duplex-pair.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import {
  interleaved,
  type Measure,
  median,
  progress,
  QUICK,
  quantile,
  SAMPLES,
} from './lib/sample.ts';

const CONCURRENCY = [1, 16, 128];
/** How long clients keep starting handshakes in a sample, in ms. */
const SAMPLE_MS = QUICK ? 60 : 700;
const PERCENTILES = [
  { label: 'p50', q: 0.5 },
  { label: 'p90', q: 0.9 },
  { label: 'p99', q: 0.99 },
];
const ONE = new Uint8Array([0x2a]);

const setup: Setup = { cert: 'p256', version: 'TLSv1.3', group: 'X25519' };

/** One handshake plus echo on a fresh link; returns its latency in ms. */
async function handshake(makeClient: ClientFactory, makeServer: ServerFactory): Promise<number> {
  const [a, b] = duplexPair();
  const start = performance.now();
  const server = makeServer(b);
  const client = makeClient(a);
  try {
    await Promise.all([client.opened, server.opened]);
    await client.write(ONE);
    await server.read(1);
    await server.write(ONE);
    await client.read(1);
    return performance.now() - start;
  } finally {
    client.close();
    server.close();
  }
}

/**
 * C clients start handshakes back to back for SAMPLE_MS. Each client's first handshake is not
 * counted (they all start at once) and each does at least two, so slow contenders still give
 * latencies. Returns every counted latency. With --quick the first counts (a smoke run).
 */
async function run(
  clients: number,
  makeClient: ClientFactory,
  makeServer: ServerFactory,
): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + SAMPLE_MS;
  const loop = async () => {
    if (!QUICK) await handshake(makeClient, makeServer);
    do latencies.push(await handshake(makeClient, makeServer));
    while (performance.now() < deadline);
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return latencies;
}

const contenders = standardContenders(true);
const factories = await pairFactories(contenders, setup);

// Warm-up: compiled code and the contenders' caches, a little concurrency.
for (const { client, server } of factories.values()) await run(4, client, server);

const rows: ResultRow[] = [];
const started = performance.now();
let counted = 0;
for (const clients of CONCURRENCY) {
  progress(`latency: C=${clients}`);
  // interleaved() takes the median of one number per sample; the other percentiles ride along.
  const perSample = new Map<string, number[][]>();
  const measures: Record<string, Measure> = {};
  for (const contender of contenders) {
    const f = factories.get(contender.name);
    if (!f) {
      measures[contender.name] = null;
      continue;
    }
    perSample.set(contender.name, []);
    measures[contender.name] = async () => {
      const latencies = await run(clients, f.client, f.server);
      counted += latencies.length;
      const ps = PERCENTILES.map(({ q }) => quantile(latencies, q));
      perSample.get(contender.name)?.push(ps);
      return ps[0];
    };
  }
  await interleaved(measures);
  for (const [i, { label }] of PERCENTILES.entries()) {
    const values: Record<string, number | null> = {};
    for (const contender of contenders) {
      const samples = perSample.get(contender.name);
      values[contender.name] = samples ? median(samples.map((ps) => ps[i])) : null;
    }
    rows.push({ scenario: `C=${clients} ${label}`, values, baseline: BASELINE });
  }
}

writeResults('latency', {
  title: 'Handshake latency under concurrency (full TLS 1.3 handshake + 1-byte echo)',
  unit: 'ms',
  higherIsBetter: false,
  columns: contenders.map((c) => c.name),
  rows,
  notes: [
    'C clients each do back-to-back full TLS 1.3 handshakes (P-256 certificate, X25519, ' +
      'no resumption) against one server of the same contender; latency = connect() until ' +
      'both sides are open and a 1-byte echo went client → server → client.',
    'Clients, server and the in-memory link share one thread: at C=128 the latency is mostly ' +
      'queueing behind the other handshakes, so it reads as the cost of a handshake pair ' +
      '(client and server) × C.',
    `Each client's first handshake is not counted${QUICK ? ' (--quick: it is)' : ''}; ` +
      `clients start handshakes for ${SAMPLE_MS} ` +
      `ms per sample and do at least two. p50/p90/p99 per sample, median of ${SAMPLES} ` +
      `samples, the contenders taking turns (${counted} handshakes counted in all).`,
    `${NO_CRYPTO}: webtls over an INSECURE stand-in provider on both ends — the protocol ` +
      'without the crypto.',
    `Run time: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ],
});
progress('latency: done');
