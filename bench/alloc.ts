/**
 * Bytes allocated per handshake and per MiB transferred, in one process. Two tables:
 *
 * - `alloc`: the contenders (node:tls, webtls with each provider through its streams API, as an
 *   application uses them) over the in-memory link of bench/lib/duplex-pair.ts;
 * - `alloc-api`: webtls's buffered Connection API against its write-through API, same configs
 *   (what the write-through API saves; docs/write-through.md).
 *
 * Method: with a young generation far larger than a run (--max-semi-space-size) and a full GC
 * before each run, no collection happens during it (checked through 'gc' performance entries;
 * a run that saw one is repeated smaller), so the growth of the V8 heap plus the growth of
 * ArrayBuffer backing stores is what the run allocated. Memory allocated outside V8 — OpenSSL's
 * own heap under node:tls and node:crypto, WebCrypto's internals — is not seen.
 *
 * Run: `npm run bench -- --only alloc` (or node --import tsx --expose-gc
 * --max-semi-space-size=512 bench/alloc.ts [--quick]).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { ClientConfig, ServerConfig } from '../src/config.ts';
import { ClientConnection } from '../src/conn/client.ts';
import { ServerConnection } from '../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../src/crypto/index.ts';
import type { CryptoProvider } from '../src/crypto/provider.ts';
import { CipherSuite } from '../src/msgs/enums.ts';
import { nodeProvider } from '../src/node/provider/index.ts';
import * as certs from '../test/unit/data/certs.ts';
import { certifiedKey, pump } from '../test/unit/helpers/loopback.ts';
import { pumpWriteThrough, WriteThroughEndpoint } from '../test/unit/helpers/write-through.ts';
import { nodeTlsContender } from './lib/contenders/node-tls.ts';
import type { Contender, Setup } from './lib/contenders/types.ts';
import { webtlsContender } from './lib/contenders/webtls.ts';
import { duplexPair } from './lib/duplex-pair.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { progress, QUICK } from './lib/sample.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench does)');

let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

function allocated(): number {
  return getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}

/** Rounds of attempts (each from `units` down to 1) before a measurement gives up. */
const ROUNDS = 4;

/**
 * Bytes `run` allocates, per unit; repeated with fewer units, then in further rounds, if a GC
 * interfered (V8 also collects on its own schedule, e.g. under external-memory pressure).
 */
async function measure(units: number, run: (units: number) => Promise<void>): Promise<number> {
  await run(1); // warm-up: code and caches
  for (let round = 0; round < ROUNDS; round++) {
    for (let n = units; n >= 1; n = Math.floor(n / 2)) {
      gc!();
      await new Promise((r) => setTimeout(r, 20));
      const seen = collections;
      const before = allocated();
      await run(n);
      const after = allocated();
      await new Promise((r) => setTimeout(r, 0));
      if (collections === seen) return (after - before) / n;
    }
  }
  throw new Error(`a collection ran during every attempt (${ROUNDS} rounds)`);
}

const KIB = 1024;
const MIB = 1 << 20;
const CHUNK = 16 * KIB;
/** Units per measurement: handshakes, MiB. */
const HANDSHAKES = QUICK ? 2 : 10;
const MIBS = QUICK ? 1 : 8;

// --- the contenders, through their streams APIs -------------------------------------------------

const SETUP: Setup = { cert: 'p256', version: 'TLSv1.3', group: 'X25519' };

/** KiB per handshake (client and server together) and per MiB (sender and receiver). */
async function contenderRow(contender: Contender): Promise<[number, number]> {
  const makeClient = await contender.client(SETUP);
  const makeServer = await contender.server(SETUP);
  if (!makeClient || !makeServer) throw new Error(`${contender.name}: no ${SETUP.cert} setup`);
  const open = async () => {
    const [a, b] = duplexPair();
    const client = makeClient(a);
    const server = makeServer(b);
    await Promise.all([client.opened, server.opened]);
    return { client, server };
  };
  const handshake = await measure(HANDSHAKES, async (n) => {
    for (let i = 0; i < n; i++) {
      const { client, server } = await open();
      client.close();
      server.close();
    }
  });
  const { client, server } = await open();
  const chunk = new Uint8Array(CHUNK).fill(7);
  const perMib = await measure(MIBS, async (n) => {
    const received = server.read(n * MIB);
    for (let sent = 0; sent < n * MIB; sent += CHUNK) await client.write(chunk);
    await received;
  });
  client.close();
  server.close();
  return [handshake / KIB, perMib / KIB];
}

const CONTENDERS: Contender[] = [
  nodeTlsContender,
  webtlsContender('webtls subtle', subtleProvider()),
  webtlsContender('webtls noble', nobleProvider()),
  webtlsContender('webtls node', nodeProvider()),
];

const byContender: ResultRow[] = [
  { scenario: 'TLS 1.3 handshake, P-256, X25519', values: {}, baseline: 'node:tls' },
  { scenario: '1 MiB in 16 KiB writes, AES-128-GCM', values: {}, baseline: 'node:tls' },
];
for (const contender of CONTENDERS) {
  progress(`alloc: ${contender.name}`);
  const [handshake, mib] = await contenderRow(contender);
  byContender[0].values[contender.name] = handshake;
  byContender[1].values[contender.name] = mib;
}
writeResults('alloc', {
  title: 'Bytes allocated per handshake and per MiB',
  unit: 'KiB allocated (V8 heap + ArrayBuffers)',
  higherIsBetter: false,
  columns: CONTENDERS.map((c) => c.name),
  rows: byContender,
  notes: [
    'Client and server together, in one process, over an in-memory link; webtls through its ' +
      'streams API (connect/accept), node:tls through TLSSockets.',
    'Counted: growth of the V8 heap and of ArrayBuffer backing stores during a run with no ' +
      "garbage collection. Not counted: memory allocated outside V8 — OpenSSL's heap under " +
      "node:tls and the node provider, WebCrypto's internals. node:tls does most of its work in " +
      'OpenSSL, so its figure is a floor, not a total.',
  ],
});

// --- webtls's buffered API against its write-through API ----------------------------------------

interface ApiCase {
  name: string;
  provider: CryptoProvider;
  client: Partial<ClientConfig>;
}

async function configs(c: ApiCase): Promise<{ client: ClientConfig; server: ServerConfig }> {
  const key = await certifiedKey(c.provider, certs.p256CertPem, certs.p256KeyPem);
  return {
    client: { provider: c.provider, roots: [certs.caPem], sessionStore: null, ...c.client },
    server: { provider: c.provider, certificates: [key], sessionTickets: 0 },
  };
}

async function bufferedPair(cfg: { client: ClientConfig; server: ServerConfig }) {
  const c = new ClientConnection(cfg.client, { serverName: 'localhost' });
  const s = new ServerConnection(cfg.server);
  await pump(c, s);
  return { c, s };
}

/** Buffers sized for one record in and a handshake flight out (the output grows if it must). */
const INBOX = 17 * KIB + 512;
const OUTBOX = 4 * KIB;

async function writeThroughPair(cfg: { client: ClientConfig; server: ServerConfig }) {
  const client = new ClientConnection(cfg.client, { serverName: 'localhost' });
  const c = new WriteThroughEndpoint(client, INBOX, OUTBOX);
  const s = new WriteThroughEndpoint(new ServerConnection(cfg.server), INBOX, OUTBOX);
  await pumpWriteThrough(c, s);
  return { c, s };
}

async function apiRows(c: ApiCase): Promise<ResultRow[]> {
  const cfg = await configs(c);
  const chunk = new Uint8Array(CHUNK).fill(7);
  const hsBuffered = await measure(HANDSHAKES, async (n) => {
    for (let i = 0; i < n; i++) await bufferedPair(cfg);
  });
  const hsWriteThrough = await measure(HANDSHAKES, async (n) => {
    for (let i = 0; i < n; i++) await writeThroughPair(cfg);
  });

  const b = await bufferedPair(cfg);
  const mbBuffered = await measure(MIBS, async (n) => {
    for (let sent = 0; sent < n * MIB; sent += CHUNK) {
      await b.c.write(chunk);
      b.s.readTls(b.c.takeTls()!);
      await b.s.process();
      b.s.read();
    }
  });
  const w = await writeThroughPair(cfg);
  let received = 0;
  w.s.sink = (d) => {
    received += d.length;
  };
  const mbWriteThrough = await measure(MIBS, async (n) => {
    for (let sent = 0; sent < n * MIB; sent += CHUNK) {
      w.s.deliver(await w.c.encryptView(chunk));
      await w.s.drive();
    }
  });
  if (received === 0) throw new Error('nothing arrived');
  const row = (scenario: string, buffered: number, writeThrough: number): ResultRow => ({
    scenario: `${c.name}: ${scenario}`,
    values: { buffered: buffered / KIB, 'write-through': writeThrough / KIB },
    baseline: 'buffered',
  });
  return [
    row('handshake', hsBuffered, hsWriteThrough),
    row('1 MiB in 16 KiB writes', mbBuffered, mbWriteThrough),
  ];
}

const API_CASES: ApiCase[] = [
  { name: 'subtle, AES-128-GCM', provider: subtleProvider(), client: {} },
  { name: 'node, AES-128-GCM', provider: nodeProvider(), client: {} },
  {
    name: 'noble, ChaCha20-Poly1305 (in place)',
    provider: nobleProvider(),
    client: { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
  },
];

const byApi: ResultRow[] = [];
for (const c of API_CASES) {
  progress(`alloc: API, ${c.name}`);
  byApi.push(...(await apiRows(c)));
}
writeResults('alloc-api', {
  title: 'Bytes allocated: webtls buffered API vs write-through API',
  unit: 'KiB allocated (V8 heap + ArrayBuffers)',
  higherIsBetter: false,
  columns: ['buffered', 'write-through'],
  rows: byApi,
  notes: [
    'Client and server together, driven directly (no streams); handshakes without tickets.',
    'Counted as in the alloc table: V8 heap and ArrayBuffer growth, nothing outside V8.',
  ],
});
