/**
 * Handshakes per second, the client side and the server side measured apart, for node:tls and
 * webtls with each provider → bench/results/handshakes.{json,md,svg}.
 *
 * Usage: node --import tsx bench/handshakes.ts [--quick]
 *
 * A handshake (the unit) is one connection over an in-memory link (bench/lib/duplex-pair.ts):
 * connect, both sides opened, one byte client → server, one byte back (so the client has
 * received the session tickets and every contender does the same work), close.
 *
 * Client-side rows: each column's client meets one fixed reference server — node:tls's, or
 * webtls with the node provider where node:tls cannot do the setup (X25519MLKEM768) — and only
 * the client's time counts: the link tells a TurnClock (bench/lib/turn-clock.ts) whose turn it
 * is on every delivery, and the rate is handshakes ÷ seconds charged to the client. Server-side
 * rows likewise, against node:tls's client. The no-crypto column (INSECURE null provider) meets
 * its own null peer. Resumed rows are primed with one connection and throw if a measured
 * connection did not resume. Contenders take turns sample by sample; medians are reported.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nobleProvider, subtleProvider } from '../src/crypto/index.ts';
import type { CryptoProvider, KeyExchangeGroup } from '../src/crypto/provider.ts';
import { NamedGroup } from '../src/msgs/enums.ts';
import { nodeProvider } from '../src/node/provider/index.ts';
import { nodeTlsContender } from './lib/contenders/node-tls.ts';
import type { Contender, Setup } from './lib/contenders/types.ts';
import { webtlsContender } from './lib/contenders/webtls.ts';
import { GcChargedClock, stopObservingGc } from './lib/gc-charged-clock.ts';
import {
  makePair,
  measuredHandshake,
  type Pair,
  SCENARIOS,
  type Scenario,
} from './lib/handshake-unit.ts';
import { nullProvider } from './lib/null-provider.ts';
import { type ResultRow, writeResults } from './lib/results.ts';
import { interleaved, type Measure, median, progress, QUICK } from './lib/sample.ts';
import { type Side, TurnClock } from './lib/turn-clock.ts';

/** Samples per contender, and the wall time of each sample and of the warm-up before it. */
const SAMPLES = QUICK ? 1 : 5;
const SAMPLE_MS = QUICK ? 50 : 500;
const WARM_MS = QUICK ? 15 : 100;

/**
 * The null provider with P-256 as well, shaped like it (65-byte uncompressed points, the same
 * constant secret): a TLS 1.2 server only uses a P-256 certificate with a client that offers
 * P-256 (RFC 8422 §5.1), webtls's as OpenSSL's. INSECURE, like the provider it wraps.
 */
function nullWithP256(base: CryptoProvider): CryptoProvider {
  const x25519 = base.keyExchange(NamedGroup.x25519);
  if (!x25519) throw new Error('handshakes: the null provider lost X25519');
  const share = () => {
    const point = base.random(65);
    point[0] = 4;
    return point;
  };
  const p256: KeyExchangeGroup = {
    group: NamedGroup.secp256r1,
    name: 'P-256',
    fips: false,
    async generate() {
      const own = await x25519.generate();
      return { group: NamedGroup.secp256r1, publicKey: share(), complete: own.complete };
    },
    async encapsulate(peer) {
      const { secret } = await x25519.encapsulate(peer);
      return { share: share(), secret };
    },
  };
  return {
    ...base,
    groups: [...base.groups, NamedGroup.secp256r1],
    keyExchange: (group) => (group === NamedGroup.secp256r1 ? p256 : base.keyExchange(group)),
  };
}

const NODE_TLS = nodeTlsContender;
const WEBTLS_NODE = webtlsContender('webtls node', nodeProvider());
const NO_CRYPTO = webtlsContender('webtls no-crypto', nullWithP256(nullProvider(subtleProvider())));
const COLUMNS: Contender[] = [
  NODE_TLS,
  webtlsContender('webtls subtle', subtleProvider()),
  webtlsContender('webtls noble', nobleProvider()),
  WEBTLS_NODE,
  NO_CRYPTO,
];

/**
 * A full garbage collection, so that one column's garbage is not collected on the next one's
 * time (columns share the heap). node --expose-gc gives `gc`; otherwise the flag is set now.
 */
const collectGarbage: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

/** Handshakes per second of the measured side's charged time, over one sample. */
async function sampleRate(pair: Pair): Promise<number> {
  collectGarbage();
  const warm = new TurnClock();
  for (const end = performance.now() + WARM_MS; performance.now() < end; ) {
    await measuredHandshake(pair, warm);
  }
  const clock = new GcChargedClock(pair.measured);
  let count = 0;
  let refills = 0;
  const start = performance.now();
  for (const end = start + SAMPLE_MS; performance.now() < end; count++) {
    refills += await measuredHandshake(pair, clock);
  }
  const wall = performance.now() - start - refills;
  await clock.settle();
  const reference: Side = pair.measured === 'client' ? 'server' : 'client';
  pair.stats.measured.push(clock.charged(pair.measured) / count);
  pair.stats.reference.push(clock.charged(reference) / count);
  pair.stats.wall.push(wall / count);
  pair.stats.charged.push((clock.wall.client + clock.wall.server) / wall);
  pair.stats.moved.push(clock.moved / count);
  return count / (clock.charged(pair.measured) / 1000);
}

/** The peer a column meets on `scenario`: node:tls, or webtls node where node:tls cannot. */
async function referenceFor(column: Contender, setup: Setup, side: Side): Promise<Contender> {
  if (column === NO_CRYPTO) return NO_CRYPTO;
  const nodeTls = side === 'client' ? await NODE_TLS.server(setup) : await NODE_TLS.client(setup);
  return nodeTls ? NODE_TLS : WEBTLS_NODE;
}

/** Where resumed rows needed unmeasured refills: resumptions per full handshake. */
const refilled = new Set<string>();

/** Builds the pair for one column on one side (fresh reference, so sessions are its own). */
async function pairFor(
  column: Contender,
  scenario: Scenario,
  measured: Side,
): Promise<{ pair: Pair; reference: Contender } | null> {
  const setup = scenario.setup;
  const reference = await referenceFor(column, setup, measured);
  const [clientOf, serverOf] = measured === 'client' ? [column, reference] : [reference, column];
  const client = await clientOf.client(setup);
  const server = await serverOf.server(setup);
  if (!client || !server) return null;
  const pair = await makePair(client, server, measured, scenario);
  if (Number.isFinite(pair.resumesPerFull)) {
    refilled.add(`${scenario.name}, ${measured} side, ${column.name}: ${pair.resumesPerFull}`);
  }
  return { pair, reference };
}

const rows: ResultRow[] = [];
const referenceNotes = new Set<string>();
/** Per row: the reference side's ms per handshake in each column (the accounting check). */
const accounting: string[] = [];
let chargedMin = 1;
/** The largest spread of the reference's ms/handshake across the columns of a row. */
let worstSpread = { value: 0, row: '' };
let chargedMax = 0;
const started = performance.now();

for (const scenario of SCENARIOS) {
  for (const side of ['client', 'server'] as const) {
    const row = `${scenario.name} — ${side} side`;
    progress(`handshakes: ${row}`);
    const measures: Record<string, Measure> = {};
    const pairs = new Map<string, Pair>();
    for (const column of COLUMNS) {
      const built = await pairFor(column, scenario, side);
      if (!built) {
        measures[column.name] = null;
        continue;
      }
      pairs.set(column.name, built.pair);
      if (column !== NO_CRYPTO && built.reference !== NODE_TLS) {
        referenceNotes.add(
          `${scenario.name}: node:tls cannot do this setup (OpenSSL ${process.versions.openssl} ` +
            `has no ${scenario.setup.group}), so the reference peer is webtls node and the ` +
            'ratios in this row are to webtls node.',
        );
      }
      measures[column.name] = () => sampleRate(built.pair);
    }
    const values = await interleaved(measures);
    const hasNodeTls = values['node:tls'] != null;
    rows.push({ scenario: row, values, baseline: hasNodeTls ? 'node:tls' : 'webtls node' });
    const refs: string[] = [];
    const refMs: number[] = [];
    for (const [name, pair] of pairs) {
      for (const c of pair.stats.charged) {
        chargedMin = Math.min(chargedMin, c);
        chargedMax = Math.max(chargedMax, c);
      }
      if (name === NO_CRYPTO.name) continue;
      const ms = median(pair.stats.reference);
      refMs.push(ms);
      refs.push(`${name} ${ms.toFixed(3)} (GC moved ${median(pair.stats.moved).toFixed(3)})`);
    }
    if (refMs.length > 1) {
      const spread = (Math.max(...refMs) - Math.min(...refMs)) / median(refMs);
      if (spread > worstSpread.value) worstSpread = { value: spread, row };
    }
    accounting.push(
      `${row}: reference ${side === 'client' ? 'server' : 'client'} ms/handshake — ${refs.join(', ')}`,
    );
    progress(
      `handshakes:   ${Object.entries(values)
        .map(([k, v]) => `${k} ${v == null ? '—' : v.toFixed(0)}`)
        .join(', ')}`,
    );
    progress(`handshakes:   ${accounting[accounting.length - 1]}`);
  }
}
progress(`handshakes: ${((performance.now() - started) / 1000).toFixed(0)} s`);
progress(`handshakes: charged ÷ wall ${chargedMin.toFixed(3)}–${chargedMax.toFixed(3)}`);
stopObservingGc();

const notes = [
  'A handshake: a connection over an in-memory stream.Duplex pair in one process — connect, ' +
    'both sides opened, 1 byte client → server, 1 byte back (the client has its session ' +
    'tickets), close. Rate = handshakes ÷ seconds charged to the measured side: the link tells ' +
    'a TurnClock whose turn it is on every delivery, so a side is charged from the moment bytes ' +
    'reach it until its answer reaches the peer (its crypto, protocol code and stream ' +
    'machinery, node:tls work inside its socket callbacks included).',
  'Client-side rows: every column’s client meets the same reference server, node:tls; ' +
    'server-side rows: every server meets node:tls’s client. The reference’s own time is not ' +
    'counted. TLS 1.3 rows offer TLS_AES_128_GCM_SHA256; TLS 1.2 rows ECDHE over P-256 ' +
    '(a P-256 certificate needs P-256 in TLS 1.2 supported_groups) with AES-128-GCM.',
  ...referenceNotes,
  'Columns: node:tls (OpenSSL, the baseline); webtls subtle / noble / node: webtls through its ' +
    'streams API with the WebCrypto, @noble and node:crypto providers (noble does not sign ' +
    'with RSA: no server for RSA rows); webtls no-crypto: webtls over an INSECURE null provider ' +
    '(bench/lib/null-provider.ts: trivial stand-ins for hashes, AEAD, key exchange and ' +
    'signatures) on both sides, meeting its own null peer — only for isolating the protocol’s ' +
    'own cost (encoding, state machines, key schedule bookkeeping, X.509 parsing, streams), ' +
    'never for real traffic. For the TLS 1.2 rows it has a P-256-shaped stand-in as well.',
  'Resumed rows are primed with one connection, and each measured connection must resume ' +
    '(the script throws otherwise). Both clients offer psk_dhe_ke only (their defaults), so ' +
    'TLS 1.3 resumption runs a fresh X25519; TLS 1.2 resumption is by session ticket. ' +
    'webtls uses each ticket once and OpenSSL issues no new ticket on a resumed handshake, so ' +
    'a webtls client against node:tls runs dry after the tickets of one full handshake; an ' +
    'unmeasured full handshake (asserted full) then refills it. Resumptions per refill: ' +
    ([...refilled].join('; ') || 'none needed') +
    '.',
  'GC: both sides share one heap and V8 collects when it fills, not necessarily in the turn of ' +
    'the side whose garbage it is, ' +
    'so every GC pause in the reference’s turns is moved to the measured side ' +
    '(bench/lib/gc-charged-clock.ts): conservative for the measured side.',
  `Accounting check: charged client + server time ÷ wall time of each sample ${chargedMin.toFixed(2)}–` +
    `${chargedMax.toFixed(2)} (the rest: creating the link, the driver between handshakes). The ` +
    'reference’s charged ms per handshake should not depend on the column it meets (a leak of ' +
    'the measured side’s time would grow with the slower columns); its largest spread across ' +
    `the columns of a row: ${(100 * worstSpread.value).toFixed(0)}% (${worstSpread.row}). ` +
    'See bench/README.md.',
  `Method: ${SAMPLES} samples per column of ${SAMPLE_MS} ms wall (after a full GC and ` +
    `${WARM_MS} ms of warm-up), columns taking turns sample by sample; the median is reported.`,
  `Versions: Node ${process.version}, OpenSSL ${process.versions.openssl} (node:tls and the ` +
    'node provider’s node:crypto); webtls from this tree.',
];

writeResults('handshakes', {
  title: 'Handshakes per second (client side and server side apart)',
  unit: 'handshakes/s',
  higherIsBetter: true,
  columns: COLUMNS.map((c) => c.name),
  rows,
  notes,
});
