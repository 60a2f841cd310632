/**
 * The handshake benchmark's unit and scenarios (bench/handshakes.ts; bench/handshake-loop.ts runs
 * one of them in a loop for a profiler): one connection over an in-memory link, each side's time
 * charged to it by a TurnClock.
 */
import type { Duplex } from 'node:stream';
import type { BenchConn, ClientFactory, ServerFactory, Setup } from './contenders/types.ts';
import { duplexPair } from './duplex-pair.ts';
import { type Side, TurnClock } from './turn-clock.ts';

/** What charges time to a side: TurnClock (wall time), or CpuTurnClock, or both at once. */
export interface Clock {
  turn(side: Side): void;
  stop(): void;
}

/** A row of the table: a setup, run full or resumed. */
export interface Scenario {
  name: string;
  setup: Setup;
  resumed: boolean;
}

export const P256_13: Setup = {
  cert: 'p256',
  version: 'TLSv1.3',
  group: 'X25519',
  suite: 'TLS_AES_128_GCM_SHA256',
};
export const P256_12: Setup = {
  cert: 'p256',
  version: 'TLSv1.2',
  // Not X25519: in TLS 1.2 supported_groups also limits the ECDSA certificate's curve
  // (RFC 8422 §5.1), so OpenSSL refuses a P-256 certificate to a client offering X25519 alone.
  group: 'P-256',
  suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
};

/** The rows, each measured on the client side and on the server side. */
export const SCENARIOS: Scenario[] = [
  { name: 'TLS 1.3 full, ECDSA P-256, X25519', setup: P256_13, resumed: false },
  {
    name: 'TLS 1.3 full, RSA-2048, X25519',
    setup: { ...P256_13, cert: 'rsa2048' },
    resumed: false,
  },
  {
    name: 'TLS 1.3 full, ECDSA P-256, X25519MLKEM768',
    setup: { ...P256_13, group: 'X25519MLKEM768' },
    resumed: false,
  },
  { name: 'TLS 1.3 resumed (psk_dhe_ke), ECDSA P-256, X25519', setup: P256_13, resumed: true },
  { name: 'TLS 1.2 full, ECDHE P-256, ECDSA P-256', setup: P256_12, resumed: false },
  {
    name: 'TLS 1.2 full, ECDHE P-256, RSA-2048',
    setup: { ...P256_12, cert: 'rsa2048', suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
    resumed: false,
  },
  { name: 'TLS 1.2 resumed (ticket), ECDSA P-256', setup: P256_12, resumed: true },
];

const ONE = new Uint8Array([0x2a]);
/** Resumptions tried when priming before a column counts as never running dry. */
const PROBE = 8;

/** A client factory and a server factory that meet, one of them under measure. */
export interface Pair {
  client: ClientFactory;
  server: ServerFactory;
  measured: Side;
  /** A resumed row: clients ask to resume from their own session cache. */
  resume: boolean;
  /**
   * Resumed rows: how many resumptions one full handshake's tickets allow (found when priming;
   * Infinity when every connection's tickets allow the next). webtls uses each ticket once, and
   * OpenSSL issues no new ticket on a resumed TLS 1.3 handshake, so a webtls client against a
   * node:tls server runs dry after two; an unmeasured full handshake then refills it.
   */
  resumesPerFull: number;
  /** Measured resumptions since the last full handshake. */
  sinceFull: number;
  /**
   * Per sample, for the accounting check: ms charged per handshake to each side, wall ms per
   * handshake, charged ÷ wall, and GC ms per handshake moved from the reference.
   */
  stats: {
    reference: number[];
    measured: number[];
    wall: number[];
    charged: number[];
    moved: number[];
  };
}

/** Lets already-queued callbacks run: a few turns of the event loop's check phase. */
async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** How long a side may take to release its end of the link after close(). */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * Closes one end and waits until it has released its end of the link (the Duplex's 'close'):
 * the whole of its close — close_notify sealed and written, streams torn down — happens now,
 * on the side the clock charges, rather than in the next handshake's time.
 */
async function closeEnd(conn: BenchConn, end: Duplex): Promise<void> {
  if (end.destroyed) {
    conn.close();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const released = new Promise<void>((resolve, reject) => {
    end.once('close', () => resolve());
    timer = setTimeout(
      () => reject(new Error('handshake unit: an end was not released')),
      CLOSE_TIMEOUT_MS,
    );
  });
  conn.close();
  try {
    await released;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One handshake unit, each side's time charged to it. The link switches the clock on each
 * delivery; the driver's own steps run as continuations of the side whose promise settled, so
 * they land on that side. Creating each end and closing it are charged to that end.
 */
export async function handshakeOnce(
  pair: Pair,
  clock: Clock,
  expectResumed: boolean | null = pair.resume,
): Promise<boolean> {
  let live = true;
  const [clientEnd, serverEnd] = duplexPair((to) => {
    if (live) clock.turn(to === 0 ? 'client' : 'server');
  });
  clock.turn('server');
  const server = pair.server(serverEnd);
  clock.turn('client');
  const client = pair.client(clientEnd, { resume: pair.resume });
  try {
    await Promise.all([client.opened, server.opened]);
    // Both are open. Let what is still in flight land (the server's tickets, each flight on its
    // receiver's turn), then it is the client's turn to write: the server does not get the byte
    // while it is still busy with the Finished, which would charge that work to the client.
    await settle();
    clock.turn('client');
    const served = (async () => {
      await server.read(1);
      await server.write(ONE);
    })();
    served.catch(() => undefined);
    await client.write(ONE);
    await client.read(1);
    await served;
    if (client.resumed() !== server.resumed()) {
      throw new Error('handshake unit: client and server disagree on resumption');
    }
    const resumed = client.resumed();
    if (expectResumed !== null && resumed !== expectResumed) {
      throw new Error(
        `handshake unit: the connection ${expectResumed ? 'did not resume' : 'resumed'}`,
      );
    }
    return resumed;
  } finally {
    // Each side closes on its own account; the peer's handling of its close_notify, if that
    // arrives meanwhile, is charged to it too (one alert record).
    live = false;
    clock.turn('client');
    await closeEnd(client, clientEnd);
    clock.turn('server');
    await closeEnd(server, serverEnd);
    clock.stop();
  }
}

/**
 * One handshake of the row's kind on `clock`. Resumed rows first run an unmeasured full
 * handshake (asserted to be one) when the client's tickets are used up. Returns the wall ms
 * spent on such refills.
 */
export async function measuredHandshake(pair: Pair, clock: Clock): Promise<number> {
  let refill = 0;
  if (pair.resume && pair.sinceFull >= pair.resumesPerFull) {
    const start = performance.now();
    await handshakeOnce(pair, new TurnClock(), false);
    pair.sinceFull = 0;
    refill = performance.now() - start;
  }
  await handshakeOnce(pair, clock);
  pair.sinceFull++;
  return refill;
}

/**
 * A pair for `scenario`. Resumed rows are primed: one full handshake stores tickets, then
 * resumptions are counted until one runs dry (up to PROBE) to set `resumesPerFull`.
 */
export async function makePair(
  client: ClientFactory,
  server: ServerFactory,
  measured: Side,
  scenario: Scenario,
): Promise<Pair> {
  const pair: Pair = {
    client,
    server,
    measured,
    resume: scenario.resumed,
    resumesPerFull: Number.POSITIVE_INFINITY,
    sinceFull: 0,
    stats: { reference: [], measured: [], wall: [], charged: [], moved: [] },
  };
  if (scenario.resumed) {
    // Prime: one full handshake stores tickets; then count how many resumptions they allow.
    const clock = new TurnClock();
    await handshakeOnce(pair, clock, false);
    for (let n = 0; n < PROBE; n++) {
      if (!(await handshakeOnce(pair, clock, null))) {
        if (n === 0) throw new Error('handshake unit: the pair never resumes');
        pair.resumesPerFull = n;
        break;
      }
    }
  }
  return pair;
}
