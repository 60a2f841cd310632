/**
 * Bytes allocated per handshake and per megabyte transferred: the buffered API against the
 * write-through API, in one process, same configs. Run: `npm run bench:alloc`.
 *
 * Method: with a young generation far larger than a run (--max-semi-space-size) and a full GC
 * before each run, no collection happens during it (checked through 'gc' performance entries;
 * a run that saw one is repeated smaller), so the growth of the V8 heap plus the growth of
 * ArrayBuffer backing stores is what the run allocated. Memory that WebCrypto allocates inside
 * the runtime, outside V8, is not seen: both APIs pay it alike.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { ClientConfig, ServerConfig } from '../src/config.ts';
import { ClientConnection } from '../src/conn/client.ts';
import { ServerConnection } from '../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../src/crypto/index.ts';
import type { CryptoProvider } from '../src/crypto/provider.ts';
import { CipherSuite } from '../src/msgs/enums.ts';
import * as certs from '../test/unit/data/certs.ts';
import { certifiedKey, pump } from '../test/unit/helpers/loopback.ts';
import { pumpWriteThrough, WriteThroughEndpoint } from '../test/unit/helpers/write-through.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench:alloc does)');

let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

function allocated(): number {
  return getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}

/** Bytes `run` allocates, per unit; repeated with fewer units if a GC interfered. */
async function measure(units: number, run: (units: number) => Promise<void>): Promise<number> {
  await run(1); // warm-up: code and caches
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
  throw new Error('a collection ran during every attempt');
}

interface Case {
  name: string;
  provider: CryptoProvider;
  client: Partial<ClientConfig>;
}

async function configs(c: Case): Promise<{ client: ClientConfig; server: ServerConfig }> {
  const key = await certifiedKey(c.provider, certs.p256CertPem, certs.p256KeyPem);
  return {
    client: { provider: c.provider, roots: [certs.caPem], sessionStore: null, ...c.client },
    server: { provider: c.provider, certificates: [key], sessionTickets: 0 },
  };
}

const MB = 1 << 20;
const CHUNK = 16 * 1024;

async function bufferedPair(cfg: { client: ClientConfig; server: ServerConfig }) {
  const c = new ClientConnection(cfg.client, { serverName: 'localhost' });
  const s = new ServerConnection(cfg.server);
  await pump(c, s);
  return { c, s };
}

/** Buffers sized for one record in and a handshake flight out (the output grows if it must). */
const INBOX = 17 * 1024 + 512;
const OUTBOX = 4 * 1024;

async function writeThroughPair(cfg: { client: ClientConfig; server: ServerConfig }) {
  const client = new ClientConnection(cfg.client, { serverName: 'localhost' });
  const c = new WriteThroughEndpoint(client, INBOX, OUTBOX);
  const s = new WriteThroughEndpoint(new ServerConnection(cfg.server), INBOX, OUTBOX);
  await pumpWriteThrough(c, s);
  return { c, s };
}

async function rows(c: Case): Promise<string[]> {
  const cfg = await configs(c);
  const chunk = new Uint8Array(CHUNK).fill(7);
  const hsBuffered = await measure(10, async (n) => {
    for (let i = 0; i < n; i++) await bufferedPair(cfg);
  });
  const hsWriteThrough = await measure(10, async (n) => {
    for (let i = 0; i < n; i++) await writeThroughPair(cfg);
  });

  const b = await bufferedPair(cfg);
  const mbBuffered = await measure(8, async (n) => {
    for (let sent = 0; sent < n * MB; sent += CHUNK) {
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
  const mbWriteThrough = await measure(8, async (n) => {
    for (let sent = 0; sent < n * MB; sent += CHUNK) {
      w.s.deliver(await w.c.encryptView(chunk));
      await w.s.drive();
    }
  });
  if (received === 0) throw new Error('nothing arrived');
  const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  return [
    `| ${c.name} | handshake (client + server) | ${kib(hsBuffered)} | ${kib(hsWriteThrough)} | ${ratio(hsBuffered, hsWriteThrough)} |`,
    `| ${c.name} | 1 MiB in 16 KiB writes (both ends) | ${kib(mbBuffered)} | ${kib(mbWriteThrough)} | ${ratio(mbBuffered, mbWriteThrough)} |`,
  ];
}

const cases: Case[] = [
  { name: 'subtle, AES-128-GCM', provider: subtleProvider(), client: {} },
  {
    name: 'noble, ChaCha20-Poly1305 (in place)',
    provider: nobleProvider(),
    client: { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
  },
];

const lines = [
  '# Bytes allocated: buffered API vs write-through API',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'} ` +
    `(${cpus().length} cores), Node ${process.version}, by \`npm run bench:alloc\` ` +
    '(bench/alloc.ts: V8 heap plus ArrayBuffer growth with no GC during the run; WebCrypto’s ' +
    'own memory outside V8 is not seen). Ratio: buffered ÷ write-through.',
  '',
  '| provider | scenario | buffered | write-through | ratio |',
  '| --- | --- | ---: | ---: | ---: |',
];
for (const c of cases) lines.push(...(await rows(c)));
const table = `${lines.join('\n')}\n`;
writeFileSync(new URL('./results/alloc.md', import.meta.url), table);
process.stdout.write(table);
