/**
 * One row of bench/handshakes.ts in a loop, for a profiler: webtls with one provider on the side
 * under measure, node:tls on the other (webtls node where node:tls cannot), the same unit.
 * Prints the rate of the measured side's charged time and of the reference's: in wall time with
 * GC moved to the measured side (as bench/handshakes.ts reports), in wall time with GC where it
 * fell, and in process CPU time (CpuTurnClock: holds up on a busy machine, but leaves out waits
 * for the thread pool, flattering the subtle provider, and GC is where it fell).
 *
 * Usage: node --cpu-prof --import tsx bench/handshake-loop.ts <client|server> [row] [provider]
 *          [seconds]
 *   row       a SCENARIOS index (default 0: TLS 1.3 full, ECDSA P-256, X25519)
 *   provider  node (default), subtle, noble, or node:tls (both sides node:tls)
 *   seconds   how long to loop after 1 s of warm-up (default 10)
 */
import { nobleProvider, subtleProvider } from '../src/crypto/index.ts';
import { nodeProvider } from '../src/node/provider/index.ts';
import { nodeTlsContender } from './lib/contenders/node-tls.ts';
import type { Contender } from './lib/contenders/types.ts';
import { webtlsContender } from './lib/contenders/webtls.ts';
import { CpuTurnClock } from './lib/cpu-turn-clock.ts';
import { GcChargedClock, stopObservingGc } from './lib/gc-charged-clock.ts';
import { makePair, measuredHandshake, SCENARIOS } from './lib/handshake-unit.ts';
import { type Side, TurnClock } from './lib/turn-clock.ts';

const [sideArg = 'client', rowArg = '0', providerArg = 'node', secondsArg = '10'] =
  process.argv.slice(2);
if (sideArg !== 'client' && sideArg !== 'server') throw new Error('side: client or server');
const side = sideArg;
const scenario = SCENARIOS[Number(rowArg)];
if (!scenario) throw new Error(`row: 0..${SCENARIOS.length - 1}`);

const CONTENDERS: Record<string, () => Contender> = {
  node: () => webtlsContender('webtls node', nodeProvider()),
  subtle: () => webtlsContender('webtls subtle', subtleProvider()),
  noble: () => webtlsContender('webtls noble', nobleProvider()),
  'node:tls': () => nodeTlsContender,
};
const make = CONTENDERS[providerArg];
if (!make) throw new Error(`provider: ${Object.keys(CONTENDERS).join(', ')}`);
const measured = make();

const referenceClient = await nodeTlsContender.client(scenario.setup);
const reference = referenceClient
  ? nodeTlsContender
  : webtlsContender('webtls node', nodeProvider());
const [clientOf, serverOf] = side === 'client' ? [measured, reference] : [reference, measured];
const client = await clientOf.client(scenario.setup);
const server = await serverOf.server(scenario.setup);
if (!client || !server) throw new Error(`${measured.name} cannot run ${scenario.name}`);
const pair = await makePair(client, server, side, scenario);

const warm = new TurnClock();
for (const end = performance.now() + 1000; performance.now() < end; ) {
  await measuredHandshake(pair, warm);
}
const wall = new GcChargedClock(side);
const cpu = new CpuTurnClock();
const both = {
  turn(s: Side) {
    wall.turn(s);
    cpu.turn(s);
  },
  stop() {
    wall.stop();
    cpu.stop();
  },
};
let count = 0;
const start = performance.now();
for (const end = start + Number(secondsArg) * 1000; performance.now() < end; count++) {
  await measuredHandshake(pair, both);
}
await wall.settle();
stopObservingGc();
const other = side === 'client' ? 'server' : 'client';
const rate = (ms: number) => (count / (ms / 1000)).toFixed(0);
process.stdout.write(
  `${scenario.name}, ${side} side, ${measured.name} against ${reference.name}: ${count} ` +
    `handshakes in ${((performance.now() - start) / 1000).toFixed(1)} s; per second of ` +
    `wall, GC to the measured side: ${side} ${rate(wall.charged(side))}, ` +
    `${other} ${rate(wall.charged(other))}; ` +
    `wall, GC where it fell: ${side} ${rate(wall.wall[side])}, ${other} ${rate(wall.wall[other])}; ` +
    `CPU: ${side} ${rate(cpu[side])}, ${other} ${rate(cpu[other])}\n`,
);
