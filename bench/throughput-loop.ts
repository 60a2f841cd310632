/**
 * One cell of bench/throughput.ts in a loop, for a profiler: a contender talking to itself over
 * the in-memory link, 16 KiB or 1 KiB writes, WINDOW in flight, for a fixed time. Prints MB/s.
 *
 * Usage: node --cpu-prof --import tsx bench/throughput-loop.ts [provider] [size] [seconds]
 *   provider  node (default), subtle, noble, null (INSECURE no-crypto), or node:tls
 *   size      write size in bytes (default 16384)
 *   seconds   how long to loop after 1 s of warm-up (default 5)
 */
import { nobleProvider, subtleProvider } from '../src/crypto/index.ts';
import { nodeProvider } from '../src/node/provider/index.ts';
import { burst } from './lib/burst.ts';
import { nodeTlsContender } from './lib/contenders/node-tls.ts';
import type { Contender, Setup } from './lib/contenders/types.ts';
import { webtlsContender } from './lib/contenders/webtls.ts';
import { duplexPair } from './lib/duplex-pair.ts';
import { nullProvider } from './lib/null-provider.ts';

const [providerArg = 'node', sizeArg = '16384', secondsArg = '5'] = process.argv.slice(2);
const CONTENDERS: Record<string, () => Contender> = {
  node: () => webtlsContender('webtls node', nodeProvider()),
  subtle: () => webtlsContender('webtls subtle', subtleProvider()),
  noble: () => webtlsContender('webtls noble', nobleProvider()),
  null: () => webtlsContender('webtls no-crypto', nullProvider(subtleProvider())),
  'node:tls': () => nodeTlsContender,
};
const make = CONTENDERS[providerArg];
if (!make) throw new Error(`provider: ${Object.keys(CONTENDERS).join(', ')}`);

const contender = make();
const setup: Setup = {
  cert: 'p256',
  version: 'TLSv1.3',
  group: 'X25519',
  suite: 'TLS_AES_128_GCM_SHA256',
};
const makeClient = await contender.client(setup);
const makeServer = await contender.server(setup);
if (!makeClient || !makeServer) throw new Error(`${contender.name} cannot run the setup`);
const [a, b] = duplexPair();
const server = makeServer(b);
const client = makeClient(a);
await Promise.all([client.opened, server.opened]);
const chunk = new Uint8Array(Number(sizeArg)).fill(0x61);

for (const end = performance.now() + 1000; performance.now() < end; )
  await burst(client, server, chunk);
let bytes = 0;
const start = performance.now();
while (performance.now() < start + Number(secondsArg) * 1000)
  bytes += await burst(client, server, chunk);
const seconds = (performance.now() - start) / 1000;
console.log(
  `${contender.name}, ${chunk.byteLength} B writes: ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`,
);
client.close();
server.close();
