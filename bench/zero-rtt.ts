/**
 * Time to first byte, in ms: from the start of connect() until the server application has read
 * the first byte of the client's request, over the in-memory link of bench/lib/duplex-pair.ts
 * with no delay and with a simulated one-way delay (RTT twice it). Three handshakes: full,
 * resumed (1-RTT, the request follows the client's Finished) and resumed with the request as
 * 0-RTT early data. node:tls has no 0-RTT: that cell is empty.
 *
 * Run: `npm run bench -- --only zero-rtt` (or node --import tsx bench/zero-rtt.ts [--quick]).
 */
import {
  BASELINE,
  NO_CRYPTO,
  pairFactories,
  standardContenders,
} from './lib/contenders/columns.ts';
import type { ClientFactory, ClientOpen, ServerFactory, Setup } from './lib/contenders/types.ts';
import { duplexPair } from './lib/duplex-pair.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { interleaved, type Measure, median, progress, QUICK, SAMPLES } from './lib/sample.ts';

/** One-way link delays, in ms. */
const DELAYS = [0, 10];
/** Connections per sample (the sample is their median), after WARM unmeasured ones. */
const PER_SAMPLE = QUICK ? 2 : 10;
const WARM = QUICK ? 1 : 2;
/** The request: a small HTTP-like message. */
const REQUEST = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
const REPLY = new Uint8Array([0x2a]);

type Mode = 'full' | 'resumed' | '0-RTT';
const MODES: { mode: Mode; label: string }[] = [
  { mode: 'full', label: 'full handshake' },
  { mode: 'resumed', label: 'resumed (1-RTT)' },
  { mode: '0-RTT', label: 'resumed + 0-RTT early data' },
];

const setup: Setup = {
  cert: 'p256',
  version: 'TLSv1.3',
  group: 'X25519',
  maxEarlyData: 16384,
};

/**
 * One connection: returns the time to the server's first request byte. Then the rest of the
 * request and a reply, so the client has its new tickets before the next connection. With
 * `check`, throws unless it resumed (resumed, 0-RTT) and the early data was accepted (0-RTT).
 */
async function connection(
  makeClient: ClientFactory,
  makeServer: ServerFactory,
  mode: Mode,
  delayMs: number,
  check: boolean,
): Promise<number> {
  const [a, b] = duplexPair(undefined, delayMs);
  const server = makeServer(b); // a listening server: accepting costs nothing until bytes come
  const open: ClientOpen =
    mode === 'full'
      ? {}
      : mode === 'resumed'
        ? { resume: true }
        : { resume: true, earlyData: REQUEST };
  const start = performance.now();
  const client = makeClient(a, open);
  try {
    if (mode !== '0-RTT') void client.opened.then(() => client.write(REQUEST)).catch(() => {});
    await server.read(1);
    const ttfb = performance.now() - start;
    await server.read(REQUEST.length - 1);
    await server.write(REPLY);
    await client.read(1);
    await client.opened;
    if (check && mode !== 'full' && !client.resumed()) throw new Error(`${mode}: not resumed`);
    if (check && mode === '0-RTT' && !client.earlyAccepted()) {
      throw new Error('0-RTT: early data refused');
    }
    return ttfb;
  } finally {
    client.close();
    server.close();
  }
}

/** The median time to first byte of PER_SAMPLE connections, after WARM. */
async function sample(
  makeClient: ClientFactory,
  makeServer: ServerFactory,
  mode: Mode,
  delayMs: number,
): Promise<number> {
  // Unchecked: the very first resuming connection of a contender has no session yet.
  for (let i = 0; i < WARM; i++) await connection(makeClient, makeServer, mode, delayMs, false);
  const times: number[] = [];
  for (let i = 0; i < PER_SAMPLE; i++) {
    times.push(await connection(makeClient, makeServer, mode, delayMs, true));
  }
  return median(times);
}

const contenders = standardContenders(true);
const factories = await pairFactories(contenders, setup);

const rows: ResultRow[] = [];
const started = performance.now();
for (const delayMs of DELAYS) {
  for (const { mode, label } of MODES) {
    const link = delayMs > 0 ? `RTT ${2 * delayMs} ms` : 'no delay';
    const scenario = `${link}, ${label}`;
    progress(`zero-rtt: ${scenario}`);
    const measures: Record<string, Measure> = {};
    for (const contender of contenders) {
      const f = factories.get(contender.name);
      const can = f && !(mode === '0-RTT' && contender.name === BASELINE);
      const fail = (error: Error) => {
        throw new Error(`zero-rtt: ${contender.name}: ${error.message}`);
      };
      measures[contender.name] = can
        ? () => sample(f.client, f.server, mode, delayMs).catch(fail)
        : null;
    }
    rows.push({ scenario, values: await interleaved(measures), baseline: BASELINE });
  }
}

writeResults('zero-rtt', {
  title: 'Time to first byte: full, resumed and 0-RTT handshakes',
  unit: 'ms',
  higherIsBetter: false,
  columns: contenders.map((c) => c.name),
  rows,
  notes: [
    'Time from the start of connect() until the server application has read the first byte of ' +
      `a ${REQUEST.length}-byte request; the server end is set up before the clock starts.`,
    `Link: in memory, no delay or ${DELAYS[1]} ms each way (RTT ${2 * DELAYS[1]} ms), no ` +
      'bandwidth limit. Full and resumed handshakes send the request after the client ' +
      "Finished (one round trip plus the client's flight); 0-RTT sends it with the ClientHello.",
    'node:tls (OpenSSL through Node) has no 0-RTT API: its 0-RTT cell is empty, and the 0-RTT ' +
      'row has no ratio. The webtls 0-RTT rows check that the server accepted the early data ' +
      '(the run fails otherwise), and the resumed rows that the session resumed.',
    'TLS 1.3, P-256 certificate, X25519 (also for the resumptions: psk_dhe_ke).',
    `Median of ${PER_SAMPLE} connections per sample (after ${WARM} unmeasured), median of ` +
      `${SAMPLES} samples, the contenders taking turns.`,
    `${NO_CRYPTO}: webtls over an INSECURE stand-in provider on both ends.`,
    `Run time: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ],
});
progress('zero-rtt: done');
