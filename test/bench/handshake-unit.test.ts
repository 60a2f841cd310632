/**
 * The handshake benchmark's unit (bench/lib/handshake-unit.ts) and its GC accounting
 * (bench/lib/gc-charged-clock.ts): resumed rows really resume and find how far a full
 * handshake's tickets go, a connection that does not do what the row says throws, and a GC
 * pause in the reference's turn is moved to the measured side.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { nodeTlsContender } from '../../bench/lib/contenders/node-tls.ts';
import type { Contender } from '../../bench/lib/contenders/types.ts';
import { webtlsContender } from '../../bench/lib/contenders/webtls.ts';
import { GcChargedClock, stopObservingGc } from '../../bench/lib/gc-charged-clock.ts';
import {
  handshakeOnce,
  makePair,
  measuredHandshake,
  SCENARIOS,
} from '../../bench/lib/handshake-unit.ts';
import { TurnClock } from '../../bench/lib/turn-clock.ts';
import { nodeProvider } from '../../src/node/index.ts';

const WEBTLS = webtlsContender('webtls node', nodeProvider());
const scenario = (name: string) => {
  const found = SCENARIOS.find((s) => s.name.startsWith(name));
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
};

async function pairOf(client: Contender, server: Contender, name: string) {
  const s = scenario(name);
  const c = await client.client(s.setup);
  const v = await server.server(s.setup);
  if (!c || !v) throw new Error('contender cannot run the scenario');
  return makePair(c, v, 'client', s);
}

describe('handshake unit', () => {
  it('full rows do full handshakes and charge both sides', async () => {
    const pair = await pairOf(WEBTLS, nodeTlsContender, 'TLS 1.3 full, ECDSA P-256, X25519');
    const clock = new TurnClock();
    for (let i = 0; i < 3; i++) await measuredHandshake(pair, clock);
    expect(clock.client).toBeGreaterThan(0);
    expect(clock.server).toBeGreaterThan(0);
    // A full row's connection that resumed would be a lie: the unit refuses it.
    await expect(handshakeOnce(pair, clock, true)).rejects.toThrow(/did not resume/);
  });

  it.each([
    ['TLS 1.3 resumed', 2],
    ['TLS 1.2 resumed', 1],
  ])(
    '%s: a webtls client gets %i resumptions from a node:tls server per full handshake',
    async (name, n) => {
      // OpenSSL issues no ticket on a resumed handshake and webtls uses each ticket once.
      const pair = await pairOf(WEBTLS, nodeTlsContender, name);
      expect(pair.resumesPerFull).toBe(n);
      const clock = new TurnClock();
      for (let i = 0; i < 2 * n + 1; i++) await measuredHandshake(pair, clock);
    },
  );

  it('a node:tls client keeps resuming with its newest session', async () => {
    const pair = await pairOf(nodeTlsContender, nodeTlsContender, 'TLS 1.3 resumed');
    expect(pair.resumesPerFull).toBe(Number.POSITIVE_INFINITY);
    const clock = new TurnClock();
    for (let i = 0; i < 3; i++) expect(await handshakeOnce(pair, clock)).toBe(true);
  });
});

describe('GcChargedClock', () => {
  it('moves a GC pause in the reference turn to the measured side', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const clock = new GcChargedClock('client');
    clock.turn('client');
    clock.turn('server');
    const garbage = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    garbage.length = 0;
    gc();
    clock.stop();
    await clock.settle();
    stopObservingGc();
    expect(clock.moved).toBeGreaterThan(0);
    expect(clock.charged('server')).toBeCloseTo(clock.wall.server - clock.moved, 6);
    expect(clock.charged('client')).toBeCloseTo(clock.wall.client + clock.moved, 6);
  });
});
