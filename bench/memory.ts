/**
 * Memory per idle established connection, at 100, 1,000 and 5,000 connections, for webtls with
 * each provider and for node:tls.
 *
 * Method, per contender and side in a fresh Node process (this script runs itself for each):
 * configs are built and 100 connections opened and dropped first (code compiled and optimised,
 * hidden classes made), then a full GC and the baseline. Connections are then opened in batches over
 * in-memory links until N are alive — webtls as sans-IO ClientConnection/ServerConnection
 * pairs pumped directly, node:tls as TLSSocket pairs over a Duplex link — each run until the
 * link is quiet (tickets delivered), and the side not under measure is dropped at once (node:tls:
 * destroyed and cut off the link, so the kept end never hears of it). At N: full GC, and
 * (V8 heap used + ArrayBuffer backing stores − baseline) ÷ N. Two passes: one keeps the clients,
 * one the servers, so each side is counted alone.
 *
 * Counted: everything the V8 heap and ArrayBuffers hold for the kept ends — JavaScript objects,
 * buffers, and node:tls's JavaScript side (TLSSocket, its stream state, the link). Not counted:
 * memory outside V8 — OpenSSL's SSL objects and buffers under node:tls (most of its state),
 * WebCrypto's and node:crypto's native key objects behind CryptoKey/KeyObject under webtls.
 * The process's RSS growth per connection is given in the notes as a rough proxy for the total:
 * it also holds freed memory not returned to the OS (the dropped ends) and V8's free space.
 *
 * Run: `npm run bench -- --only memory` (or node --import tsx --expose-gc bench/memory.ts
 * [--quick]).
 */
import { spawnSync } from 'node:child_process';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type { ClientConfig, ServerConfig } from '../src/config.ts';
import { ClientConnection } from '../src/conn/client.ts';
import { ServerConnection } from '../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../src/crypto/index.ts';
import type { CryptoProvider } from '../src/crypto/provider.ts';
import { NamedGroup } from '../src/msgs/enums.ts';
import { nodeProvider } from '../src/node/provider/index.ts';
import * as certs from '../test/unit/data/certs.ts';
import { certifiedKey, pump } from '../test/unit/helpers/loopback.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { progress, QUICK } from './lib/sample.ts';

const STEPS = QUICK ? [20, 100] : [100, 1000, 5000];
/** Connections opened at once. */
const BATCH = 25;
/**
 * Connections opened and dropped before the baseline, so that compiled code, feedback and
 * hidden classes are in it rather than charged to the first step's connections.
 */
const WARM_UP = QUICK ? 4 : 100;
const KIB = 1024;

type Side = 'client' | 'server';

/** One connection: both ends, and a way to drop one of them for good. */
interface Pair {
  /** The ends, kept reachable until `drop`. */
  ends: Record<Side, unknown>;
  /** Releases `side`: nothing the other end holds reaches it afterwards. */
  drop(side: Side): void;
}

/** Opens connections for one contender (configs built once); `kept` is the side measured. */
type Opener = (kept: Side) => Promise<Pair>;

// --- webtls: sans-IO connections pumped directly ------------------------------------------------

/**
 * webtls with `provider` on the side kept; the side dropped at once runs on `peer` (the node
 * provider: the fastest, so the passes stay short; it never shows in the measurement).
 */
async function webtlsOpener(provider: CryptoProvider, peer: CryptoProvider): Promise<Opener> {
  const configs = async (p: CryptoProvider) => {
    const key = await certifiedKey(p, certs.p256CertPem, certs.p256KeyPem);
    const groups = [NamedGroup.x25519];
    const client: ClientConfig = { provider: p, roots: [certs.caPem], sessionStore: null, groups };
    const server: ServerConfig = { provider: p, certificates: [key], groups };
    return { client, server };
  };
  const own = await configs(provider);
  const other = await configs(peer);
  return async (kept) => {
    const client = kept === 'client' ? own.client : other.client;
    const server = kept === 'server' ? own.server : other.server;
    const c = new ClientConnection(client, { serverName: 'localhost' });
    const s = new ServerConnection(server);
    await pump(c, s);
    if (!c.handshakeComplete || !s.handshakeComplete) throw new Error('webtls: no handshake');
    const ends: Record<Side, unknown> = { client: c, server: s };
    return {
      ends,
      drop(side) {
        ends[side] = undefined;
      },
    };
  };
}

// --- node:tls: TLSSocket pairs over an in-memory link that can be cut ---------------------------

/**
 * Two Duplex ends (as bench/lib/duplex-pair.ts: delivery on the next turn), plus `cut(end)`,
 * after which nothing reaches that end and the other end no longer references it. `quiet()`
 * resolves once nothing has crossed the link for a few turns.
 */
function cuttableLink() {
  const ends: (Duplex | undefined)[] = [];
  let moved = 0;
  const make = (self: 0 | 1): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        moved++;
        setImmediate(() => ends[1 - self]?.push(chunk));
        done();
      },
      final(done) {
        setImmediate(() => ends[1 - self]?.push(null));
        done();
      },
    });
  ends.push(make(0), make(1));
  const [a, b] = ends as [Duplex, Duplex];
  return {
    a,
    b,
    cut(end: 0 | 1) {
      ends[end] = undefined;
    },
    async quiet() {
      for (let still = 0, seen = -1; still < 4; ) {
        still = moved === seen ? still + 1 : 0;
        seen = moved;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

function secured(socket: tls.TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve());
    socket.once('error', reject);
  });
}

async function nodeTlsOpener(): Promise<Opener> {
  const clientContext = tls.createSecureContext({ ca: certs.caPem, ecdhCurve: 'X25519' });
  const serverContext = tls.createSecureContext({
    cert: certs.p256CertPem,
    key: certs.p256KeyPem,
    ecdhCurve: 'X25519',
  });
  return async () => {
    const link = cuttableLink();
    const client = tls.connect({
      socket: link.a,
      secureContext: clientContext,
      servername: 'localhost',
    });
    const server = new tls.TLSSocket(link.b, { isServer: true, secureContext: serverContext });
    await Promise.all([secured(client, 'secureConnect'), secured(server, 'secure')]);
    await link.quiet(); // the server's tickets reach the client
    const ends: Record<Side, tls.TLSSocket | undefined> = { client, server };
    return {
      ends,
      drop(side) {
        ends[side]?.destroy();
        ends[side] = undefined;
        link.cut(side === 'client' ? 0 : 1);
      },
    };
  };
}

// --- measuring ---------------------------------------------------------------------------------

const CONTENDERS: Record<string, () => Promise<Opener>> = {
  'node:tls': nodeTlsOpener,
  'webtls subtle': () => webtlsOpener(subtleProvider(), nodeProvider()),
  'webtls noble': () => webtlsOpener(nobleProvider(), nodeProvider()),
  'webtls node': () => webtlsOpener(nodeProvider(), nodeProvider()),
};

interface Sample {
  /** Bytes per kept connection: V8 heap + ArrayBuffers. */
  heap: number;
  /** Of which ArrayBuffer backing stores. */
  arrayBuffers: number;
  /** RSS growth per kept connection. */
  rss: number;
}

/** What a child process prints: per side, per N. */
type ChildResult = Record<Side, Record<number, Sample>>;

const gc = (globalThis as { gc?: () => void }).gc;

async function fullGc(): Promise<void> {
  // Twice, with turns between, so weak callbacks and finalizers of the first one have run.
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc!();
  }
}

function snapshot() {
  const usage = process.memoryUsage();
  return {
    heap: getHeapStatistics().used_heap_size,
    arrayBuffers: usage.arrayBuffers,
    rss: usage.rss,
  };
}

/** Keeps `side` of N connections for each N of STEPS, dropping the other side at once. */
async function pass(open: Opener, side: Side): Promise<Record<number, Sample>> {
  const other: Side = side === 'client' ? 'server' : 'client';
  for (let i = 0; i < WARM_UP; i++) (await open(side)).drop(other); // then let it all go
  await fullGc();
  const base = snapshot();
  const kept: unknown[] = [];
  const out: Record<number, Sample> = {};
  for (const n of STEPS) {
    while (kept.length < n) {
      const batch = Math.min(BATCH, n - kept.length);
      const pairs = await Promise.all(Array.from({ length: batch }, () => open(side)));
      for (const pair of pairs) {
        kept.push(pair.ends[side]);
        pair.drop(other);
      }
    }
    await fullGc();
    const now = snapshot();
    const heap = now.heap - base.heap;
    const arrayBuffers = now.arrayBuffers - base.arrayBuffers;
    out[n] = {
      heap: (heap + arrayBuffers) / n,
      arrayBuffers: arrayBuffers / n,
      rss: (now.rss - base.rss) / n,
    };
    const k = (x: number) => `${(x / KIB).toFixed(1)} KiB`;
    progress(`  ${side}s × ${n}: ${k(out[n].heap)} (buffers ${k(out[n].arrayBuffers)})`);
  }
  if (kept.length === 0) throw new Error('unreachable');
  return out;
}

/** In a child: measure one side of one contender, and print the result as JSON. */
async function child(name: string, side: Side): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (npm run bench does)');
  const open = await CONTENDERS[name]();
  process.stdout.write(JSON.stringify(await pass(open, side)));
}

async function parent(): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const results: Record<string, ChildResult> = {};
  for (const name of Object.keys(CONTENDERS)) {
    progress(`memory: ${name}`);
    results[name] = { client: {}, server: {} };
    for (const side of ['client', 'server'] as const) {
      const flags = ['--child', name, side, ...(QUICK ? ['--quick'] : [])];
      const run = spawnSync(process.execPath, [...process.execArgv, script, ...flags], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`memory: ${name} failed (exit ${run.status})`);
      results[name][side] = JSON.parse(run.stdout) as Record<number, Sample>;
    }
  }

  const names = Object.keys(CONTENDERS);
  const rows: ResultRow[] = [];
  for (const side of ['client', 'server'] as const) {
    for (const n of STEPS) {
      const values: Record<string, number> = {};
      for (const name of names) values[name] = results[name][side][n].heap;
      rows.push({
        scenario: `${side}, ${n.toLocaleString('en-US')} idle connections`,
        values,
        baseline: 'node:tls',
      });
    }
  }
  const top = STEPS[STEPS.length - 1];
  const perSide = (what: 'arrayBuffers' | 'rss') =>
    names
      .map((name) => {
        const r = results[name];
        const kib = (side: Side) => (r[side][top][what] / KIB).toFixed(1);
        return `${name} ${kib('client')} / ${kib('server')}`;
      })
      .join('; ');
  writeResults('memory', {
    title: 'Memory per idle established connection',
    unit: 'bytes per connection (V8 heap + ArrayBuffers)',
    higherIsBetter: false,
    columns: names,
    rows,
    notes: [
      'One side counted at a time: the clients with each server dropped once its connection ' +
        'is established, then the servers likewise (for webtls the dropped side runs the node ' +
        'provider, to keep the run short). TLS 1.3, ECDSA P-256 certificate, X25519, default ' +
        'suites, no client session store; the server sends its default tickets (webtls: none ' +
        'without a ticketer; node:tls: two).',
      'Counted: growth of the V8 heap plus ArrayBuffer backing stores after a full GC, over a ' +
        'baseline taken after warm-up, ÷ N. Not counted: memory outside V8 — OpenSSL under ' +
        "node:tls (its SSL objects and record buffers: most of node:tls's state, so its column " +
        'is its JavaScript side only), native key objects behind CryptoKey/KeyObject.',
      `Of which ArrayBuffers, KiB per client / server at ${top}: ${perSide('arrayBuffers')}.`,
      `RSS growth per connection, KiB per client / server at ${top} (a rough proxy for the ` +
        'total including native memory, each side in its own process; it also holds memory ' +
        `freed by the dropped ends and not returned to the OS): ${perSide('rss')}.`,
    ],
  });
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1], process.argv[at + 2] as Side);
else await parent();
