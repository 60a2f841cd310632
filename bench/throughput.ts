/**
 * Bulk throughput, client → server, in MB/s (10^6 bytes per second): each contender talks to
 * itself (webtls X ↔ webtls X, node:tls ↔ node:tls) over the in-memory link of
 * bench/lib/duplex-pair.ts, in one process. Both ends share the one thread, so the rate is the
 * whole pipe's: the client's sealing and the server's opening together.
 *
 * Per cipher suite (TLS 1.3 AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305; TLS 1.2
 * ECDHE-ECDSA-AES128-GCM) and write size (1 KiB, 16 KiB). The writer streams: it issues writes
 * without awaiting each, keeping up to WINDOW of them unsettled, as a streaming application
 * does; a burst ends when the server has received every byte (the integrity check: the count).
 *
 * Run: `npm run bench -- --only throughput` (or node --import tsx bench/throughput.ts [--quick]).
 */

import { BURST, burst, WINDOW } from './lib/burst.ts';
import { BASELINE, NO_CRYPTO, standardContenders } from './lib/contenders/columns.ts';
import type { BenchConn, GroupName, Setup, SuiteName } from './lib/contenders/types.ts';
import { duplexPair } from './lib/duplex-pair.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { interleaved, type Measure, median, progress, QUICK, SAMPLES } from './lib/sample.ts';

/** Time per sample and warm-up before each, in ms (shorter than sample.ts's: 8 scenarios). */
const SAMPLE_MS = QUICK ? 40 : 400;
const WARM_MS = QUICK ? 10 : 100;

/** The suites. TLS 1.2 uses P-256: a TLS 1.2 peer must offer the ECDSA certificate's curve. */
const SUITES: { label: string; suite: SuiteName; version: Setup['version']; group: GroupName }[] = [
  {
    label: 'TLS 1.3 AES-128-GCM',
    suite: 'TLS_AES_128_GCM_SHA256',
    version: 'TLSv1.3',
    group: 'X25519',
  },
  {
    label: 'TLS 1.3 AES-256-GCM',
    suite: 'TLS_AES_256_GCM_SHA384',
    version: 'TLSv1.3',
    group: 'X25519',
  },
  {
    label: 'TLS 1.3 ChaCha20',
    suite: 'TLS_CHACHA20_POLY1305_SHA256',
    version: 'TLSv1.3',
    group: 'X25519',
  },
  {
    label: 'TLS 1.2 ECDHE-ECDSA-AES128-GCM',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    version: 'TLSv1.2',
    group: 'P-256',
  },
];
const WRITE_SIZES = [1024, 16 * 1024];

/** Seconds of CPU the process has used (user + system, every thread). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Back-to-back bursts for SAMPLE_MS, after WARM_MS of them: MB per second of wall time, and MB
 * per second of the process's CPU time (what the pipe costs, whatever else the machine runs).
 */
async function sample(
  client: BenchConn,
  server: BenchConn,
  chunk: Uint8Array,
): Promise<{ wall: number; cpu: number }> {
  for (const end = performance.now() + WARM_MS; performance.now() < end; ) {
    await burst(client, server, chunk);
  }
  let bytes = 0;
  const start = performance.now();
  const cpuStart = cpuSeconds();
  while (performance.now() < start + SAMPLE_MS) bytes += await burst(client, server, chunk);
  const mb = bytes / 1e6;
  return { wall: mb / ((performance.now() - start) / 1000), cpu: mb / (cpuSeconds() - cpuStart) };
}

const contenders = standardContenders(true);
const rows: ResultRow[] = [];
const started = performance.now();

for (const { label, suite, version, group } of SUITES) {
  const setup: Setup = { cert: 'p256', version, group, suite };
  // One connection per contender for the suite, both write sizes over it.
  const pairs = new Map<string, { client: BenchConn; server: BenchConn }>();
  for (const contender of contenders) {
    const makeClient = await contender.client(setup);
    const makeServer = await contender.server(setup);
    if (!makeClient || !makeServer) continue;
    const [a, b] = duplexPair();
    const server = makeServer(b);
    const client = makeClient(a);
    await Promise.all([client.opened, server.opened]);
    pairs.set(contender.name, { client, server });
  }
  for (const size of WRITE_SIZES) {
    const chunk = new Uint8Array(size).fill(0x61);
    const scenario = `${label}, ${size / 1024} KiB writes`;
    progress(`throughput: ${scenario}`);
    // interleaved() takes the median of the wall rates; the CPU rates ride along.
    const cpuRates = new Map<string, number[]>();
    const measures: Record<string, Measure> = {};
    for (const contender of contenders) {
      const pair = pairs.get(contender.name);
      if (!pair) {
        measures[contender.name] = null;
        continue;
      }
      cpuRates.set(contender.name, []);
      measures[contender.name] = async () => {
        const { wall, cpu } = await sample(pair.client, pair.server, chunk);
        cpuRates.get(contender.name)?.push(cpu);
        return wall;
      };
    }
    rows.push({ scenario, values: await interleaved(measures), baseline: BASELINE });
    const perCpu: Record<string, number | null> = {};
    for (const contender of contenders) {
      const rates = cpuRates.get(contender.name);
      perCpu[contender.name] = rates ? median(rates) : null;
    }
    rows.push({ scenario: `${scenario}, per CPU second`, values: perCpu, baseline: BASELINE });
  }
  for (const { client, server } of pairs.values()) {
    client.close();
    server.close();
  }
}

writeResults('throughput', {
  title: 'Bulk throughput, client → server, one process',
  unit: 'MB/s',
  higherIsBetter: true,
  columns: contenders.map((c) => c.name),
  rows,
  notes: [
    'Each contender talks to itself over an in-memory link in one process: both ends share the ' +
      'one thread, so the rate is the whole pipe (sealing plus opening), not one side.',
    `Writes of 1 KiB or 16 KiB, up to ${WINDOW} unsettled at once, in bursts of ` +
      `${BURST / 2 ** 20} MiB timed until the server has received every byte; median of ` +
      `${SAMPLES} samples of ${SAMPLE_MS} ms, the contenders taking turns.`,
    '"per CPU second" rows: the same samples in MB per second of the process\'s CPU time (user ' +
      "+ system, all threads: WebCrypto's thread pool included) — the cost of the pipe, which " +
      'holds up on a loaded machine where wall time also counts other processes.',
    'P-256 certificate; X25519 for TLS 1.3, P-256 for TLS 1.2 (there the client must offer ' +
      "the certificate's curve); one connection per contender and suite.",
    `${NO_CRYPTO}: webtls over an INSECURE stand-in provider (identity AEAD) on both ends — ` +
      'the record layer and streams without the crypto. It offers X25519 only, so it has no ' +
      'TLS 1.2 (P-256) cell.',
    `Run time: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ],
});
progress('throughput: done');
