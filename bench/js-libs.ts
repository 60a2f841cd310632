/**
 * webtls against the JavaScript TLS libraries (subtls, @reclaimprotocol/tls, node-forge), with
 * node:tls as the baseline, in one process → bench/results/js-libs.{json,md,svg}.
 *
 * Usage: node --import tsx bench/js-libs.ts [--quick]
 *
 * Every column is a client; the server is always node:tls on the other end of an in-memory link
 * (bench/lib/duplex-pair.ts), configured for what that client can do (bench/lib/contenders/).
 * - Full handshakes per second, ECDSA P-256 and RSA-2048 certificates: the link tells a
 *   TurnClock (wall time) and a CpuTurnClock (process CPU time) whose turn it is on every
 *   delivery, and only the client's share counts — the node:tls server's work is left out, so
 *   columns differ by their client alone. A row for each clock: wall time is the latency of a
 *   lone handshake (WebCrypto's thread-pool round trips included, and any time the machine
 *   gave to other processes); CPU time is its cost, and holds up on a loaded machine. A
 *   handshake ends when the client can send and the server has its Finished.
 * - Bulk throughput: MB/s (10^6 bytes) of application data from client to server in 16 KiB
 *   writes, each awaited, over one connection; wall time, so the node:tls server's decryption
 *   is in it (the same AES-GCM for every column but forge's AES-CBC + HMAC-SHA1).
 * webtls runs through its sans-IO ClientConnection (bench/lib/contenders/webtls-conn.ts), as
 * the libraries run through their own engines: no Web Streams on either side.
 * Contenders take turns sample by sample (bench/lib/sample.ts); medians are reported.
 */
import * as tls from 'node:tls';
import { subtleProvider } from '../src/crypto/index.ts';
import { nodeProvider } from '../src/node/index.ts';
import { forgeLib } from './lib/contenders/forge.ts';
import {
  bulkSend,
  type JsLib,
  type JsLibPlan,
  nodeTlsServer,
  serverOptions,
} from './lib/contenders/js-lib.ts';
import { nodeTlsContender } from './lib/contenders/node-tls.ts';
import { reclaimLib } from './lib/contenders/reclaim.ts';
import { subtlsLib } from './lib/contenders/subtls.ts';
import type { CertKind, Contender, Setup } from './lib/contenders/types.ts';
import { webtlsConnLib } from './lib/contenders/webtls-conn.ts';
import { CpuTurnClock } from './lib/cpu-turn-clock.ts';
import { duplexPair } from './lib/duplex-pair.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import {
  interleaved,
  type Measure,
  median,
  progress,
  QUICK,
  SAMPLE_MS,
  WARM_MS,
} from './lib/sample.ts';
import { TurnClock } from './lib/turn-clock.ts';

/** Bytes per write, and per timed transfer in the bulk scenario. */
const WRITE = 16 * 1024;
const TRANSFER = QUICK ? 256 * 1024 : 1024 * 1024;

/** node:tls (`tls.connect` over the link): TLS 1.3, X25519, AES-128-GCM, full verification. */
function nodeTlsLib(contender: Contender, version: string): JsLib {
  return {
    name: contender.name,
    version,
    async plan(cert) {
      const setup: Setup = {
        cert,
        version: 'TLSv1.3',
        group: 'X25519',
        suite: 'TLS_AES_128_GCM_SHA256',
      };
      const client = await contender.client(setup);
      if (!client) return null;
      return {
        protocol: 'TLS 1.3, X25519, TLS_AES_128_GCM_SHA256',
        verifies: 'full path to the test root (signatures, validity, CA and usage), name',
        server: serverOptions(cert),
        client: (link) => client(link),
      };
    },
  };
}

const LIBS: JsLib[] = [
  nodeTlsLib(nodeTlsContender, `OpenSSL ${process.versions.openssl}`),
  webtlsConnLib('webtls subtle', subtleProvider()),
  webtlsConnLib('webtls node', nodeProvider()),
  subtlsLib,
  reclaimLib,
  forgeLib,
];

/** A plan with its server context, built once. */
interface Ready {
  plan: JsLibPlan;
  context: tls.SecureContext;
}

async function ready(lib: JsLib, cert: CertKind): Promise<Ready | null> {
  const plan = await lib.plan(cert);
  return plan && { plan, context: tls.createSecureContext(plan.server) };
}

/** What a handshake is timed with: a wall-time TurnClock and a CpuTurnClock, side by side. */
type Clock = Pick<TurnClock, 'turn' | 'stop' | 'client'>;

/** One full handshake, the client's share charged to each clock's `client`. */
async function handshake({ plan, context }: Ready, clocks: Clock[]): Promise<void> {
  let live = true;
  const turn = (side: 'client' | 'server') => {
    for (const clock of clocks) clock.turn(side);
  };
  const [clientEnd, serverEnd] = duplexPair((to) => {
    if (live) turn(to === 0 ? 'client' : 'server');
  });
  const server = nodeTlsServer(serverEnd, context);
  turn('client');
  const client = plan.client(clientEnd);
  try {
    await Promise.all([client.opened, server.opened]);
  } finally {
    for (const clock of clocks) clock.stop();
    live = false;
    client.close();
    server.close();
  }
}

/**
 * Handshakes per second of the client's wall time and of its CPU time (in that order), after
 * WARM_MS of warm-up, over SAMPLE_MS of wall time.
 */
async function handshakeRates(r: Ready): Promise<number[]> {
  const warm = [new TurnClock()];
  for (const end = performance.now() + WARM_MS; performance.now() < end; ) {
    await handshake(r, warm);
  }
  const clocks = [new TurnClock(), new CpuTurnClock()];
  let count = 0;
  for (const end = performance.now() + SAMPLE_MS; performance.now() < end; count++) {
    await handshake(r, clocks);
  }
  return clocks.map((clock) => count / (clock.client / 1000));
}

/** MB/s of client → server application data over one connection, wall time. */
async function bulkRate({ plan, context }: Ready): Promise<number> {
  const [clientEnd, serverEnd] = duplexPair();
  const server = nodeTlsServer(serverEnd, context);
  const client = plan.client(clientEnd);
  try {
    await Promise.all([client.opened, server.opened]);
    const chunk = crypto.getRandomValues(new Uint8Array(WRITE));
    for (const end = performance.now() + WARM_MS; performance.now() < end; ) {
      await bulkSend(client, server, chunk, TRANSFER);
    }
    let bytes = 0;
    const start = performance.now();
    while (performance.now() < start + SAMPLE_MS) {
      await bulkSend(client, server, chunk, TRANSFER);
      bytes += TRANSFER;
    }
    return bytes / ((performance.now() - start) / 1000) / 1e6;
  } finally {
    client.close();
    server.close();
  }
}

interface Scenario {
  /** The rows it gives, one per value its measure returns. */
  rows: string[];
  /** The certificate each client runs it with: the first of these it has a plan for. */
  certs: CertKind[];
  measure: (r: Ready) => Promise<number[]>;
}

const handshakeRows = (cert: string) => [
  `full handshake, ${cert}, client wall time`,
  `full handshake, ${cert}, client CPU time`,
];

const SCENARIOS: Scenario[] = [
  { rows: handshakeRows('ECDSA P-256'), certs: ['p256'], measure: handshakeRates },
  { rows: handshakeRows('RSA-2048'), certs: ['rsa2048'], measure: handshakeRates },
  {
    rows: ['bulk, 16 KiB writes (MB/s)'],
    certs: ['p256', 'rsa2048'],
    measure: async (r) => [await bulkRate(r)],
  },
];

const rows: ResultRow[] = [];
/** Per library, for the notes: the protocols it ran, and what it verified per certificate. */
const ran = new Map<string, Set<string>>(LIBS.map((lib) => [lib.name, new Set()]));
const verified = new Map<string, Map<string, CertKind[]>>(LIBS.map((lib) => [lib.name, new Map()]));
for (const scenario of SCENARIOS) {
  progress(`js-libs: ${scenario.rows[0]}`);
  // interleaved() takes one number per sample: the first row's; the others are kept aside.
  const others = new Map<string, number[][]>();
  const measures: Record<string, Measure> = {};
  for (const lib of LIBS) {
    let r: Ready | null = null;
    let cert: CertKind | undefined;
    for (cert of scenario.certs) {
      r = await ready(lib, cert);
      if (r) break;
    }
    if (!r) {
      measures[lib.name] = null;
      continue;
    }
    ran.get(lib.name)?.add(r.plan.protocol);
    const checks = verified.get(lib.name);
    if (cert && checks) checks.set(r.plan.verifies, [...(checks.get(r.plan.verifies) ?? []), cert]);
    const prepared = r;
    others.set(lib.name, []);
    measures[lib.name] = async () => {
      const [first, ...rest] = await scenario.measure(prepared);
      others.get(lib.name)?.push(rest);
      return first;
    };
  }
  const first = await interleaved(measures);
  scenario.rows.forEach((name, i) => {
    const values: Record<string, number | null> = {};
    for (const lib of LIBS) {
      const samples = others.get(lib.name);
      values[lib.name] =
        i === 0 ? first[lib.name] : samples ? median(samples.map((s) => s[i - 1])) : null;
    }
    progress(
      `js-libs:   ${name}: ${Object.entries(values)
        .map(([k, v]) => `${k} ${v == null ? '—' : v.toFixed(1)}`)
        .join(', ')}`,
    );
    rows.push({ scenario: name, values, baseline: 'node:tls' });
  });
}

const notes = [
  'Every column is a client; the server is node:tls on the other end of an in-memory ' +
    'stream.Duplex pair in the same process. Handshake rows: full handshakes per second of ' +
    'the client’s share alone (the pair’s deliveries pass the turn: each side is charged from ' +
    'the moment bytes reach it until its answer reaches the peer; node:tls server work is left ' +
    'out), one handshake at a time. "Wall time" counts that share in wall time (a TurnClock): ' +
    'latency, so WebCrypto clients also pay their thread-pool round trips, and time lost to ' +
    'other processes counts too. "CPU time" counts the process’s CPU time (user + system, all ' +
    'threads) in that share instead (a CpuTurnClock): cost, steadier on a shared machine. ' +
    'Bulk row: MB/s (10^6 bytes) client → server in awaited 16 KiB writes, wall time, node:tls ' +
    'server decryption included.',
  'webtls is driven through its sans-IO ClientConnection with a few lines of glue to the ' +
    'Duplex, as the libraries are through their own APIs; its streams API (connect()) adds ' +
    'Web Streams on top (see bench/README.md).',
  ...LIBS.map((lib) => {
    const protocols = [...(ran.get(lib.name) ?? [])].join(' / ');
    const checks = [...(verified.get(lib.name) ?? [])]
      .map(([what, kinds]) => `${[...new Set(kinds)].join(' and ')}: ${what}`)
      .join('; ');
    return `${lib.name} (${lib.version}): ${protocols}. Verifies — ${checks}.`;
  }),
  'forge has no plan for P-256 (RSA key transport only, no ECDSA) and runs the bulk row ' +
    'with the RSA-2048 certificate; its node:tls server is opened to TLS 1.1 and AES128-SHA ' +
    '(minVersion/maxVersion TLSv1.1, ciphers "AES128-SHA:@SECLEVEL=0").',
  'subtls and reclaim cannot verify the test PKI’s RSA-2048 chain (its root signs the ' +
    'intermediate with RSASSA-PSS), so their RSA-2048 server has the unit-test RSA-2048 ' +
    'certificate, signed directly by an ECDSA P-256 CA: one ECDSA signature to check where ' +
    'node:tls and webtls check two RSA ones. subtls also runs with requireDigitalSigKeyUsage ' +
    'off (the test root lacks digitalSignature, which RFC 5280 does not ask of a CA).',
  'subtls offers only P-256 for key exchange; the others were pinned to X25519 and ' +
    'TLS_AES_128_GCM_SHA256 (reclaim would otherwise make three key shares and prefer ' +
    'ChaCha20-Poly1305 in JavaScript).',
];
if (QUICK) notes.push('--quick run: numbers not for reading.');

writeResults('js-libs', {
  title: 'webtls against JavaScript TLS libraries',
  unit: 'handshakes/s of client wall or CPU time (handshake rows), MB/s (bulk row)',
  higherIsBetter: true,
  columns: LIBS.map((lib) => lib.name),
  rows,
  notes,
});
progress('js-libs: done');
