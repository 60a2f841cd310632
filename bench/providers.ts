/**
 * Crypto providers compared in one process: full TLS 1.3 handshakes per second (client and
 * server in memory, both on the provider under test) and AEAD seal/open throughput over 16 KiB
 * records, for `subtle` (WebCrypto) and `node` (node:crypto). Node only.
 *
 * Each case is measured ROUNDS times, the providers taking turns, and the median is printed, so
 * a burst of load on a shared machine moves one sample rather than the result.
 *
 * Usage: npx tsx bench/providers.ts [seconds per sample, default 1] [rounds, default 5]
 */
import { cpus } from 'node:os';
import type { ClientConfig, ServerConfig } from '../src/config.ts';
import { ClientConnection } from '../src/conn/client.ts';
import { ServerConnection } from '../src/conn/server.ts';
import type { Connection } from '../src/conn/types.ts';
import { type AeadAlgorithm, type CryptoProvider, subtleProvider } from '../src/crypto/index.ts';
import { NamedGroup } from '../src/msgs/enums.ts';
import { nodeProvider } from '../src/node/index.ts';
import { pemBlocks, pemCertificates } from '../src/util/pem.ts';
import * as certs from '../test/unit/data/certs.ts';

const SECONDS = Number(process.argv[2] ?? 1);
const ROUNDS = Number(process.argv[3] ?? 5);
const RECORD = 16_384;

/** Runs `step` repeatedly for `SECONDS` after a quarter of that as warm-up; returns runs/s. */
async function rate(step: () => Promise<void>): Promise<number> {
  const until = (ms: number) => performance.now() + ms;
  for (const end = until(SECONDS * 250); performance.now() < end; ) await step();
  let runs = 0;
  const start = performance.now();
  for (const end = start + SECONDS * 1000; performance.now() < end; runs++) await step();
  return runs / ((performance.now() - start) / 1000);
}

/** Moves bytes between the two sides until neither has anything to send. */
async function pump(a: Connection, b: Connection): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await a.process();
    const fromA = a.takeTls();
    if (fromA) b.readTls(fromA);
    await b.process();
    const fromB = b.takeTls();
    if (fromB) a.readTls(fromB);
    if (!fromA && !fromB) return;
  }
  throw new Error('handshake did not settle');
}

async function handshakes(provider: CryptoProvider, group: number): Promise<number> {
  const der = pemBlocks(certs.p256KeyPem).find((b) => b.label === 'PRIVATE KEY')!.der;
  const server: ServerConfig = {
    provider,
    certificates: [
      {
        chain: pemCertificates(certs.p256CertPem),
        key: await provider.signingKey({ pkcs8: der }),
      },
    ],
  };
  const client: ClientConfig = { provider, roots: [certs.caPem], groups: [group] };
  return rate(async () => {
    const c = new ClientConnection(client, { serverName: 'localhost' });
    const s = new ServerConnection(server);
    await pump(c, s);
    if (!c.handshakeComplete || !s.handshakeComplete) throw new Error('handshake failed');
  });
}

/** MB/s (10^6 bytes) of sealing or of opening 16 KiB records, one after another. */
async function aead(
  provider: CryptoProvider,
  alg: AeadAlgorithm,
  op: 'seal' | 'open',
): Promise<number> {
  const key = await provider.aead(alg, provider.random(alg === 'AES-128-GCM' ? 16 : 32));
  const nonce = provider.random(12);
  const aad = provider.random(5);
  const plaintext = provider.random(RECORD);
  const sealed = await key.seal(nonce, aad, plaintext);
  const perSecond =
    op === 'seal'
      ? await rate(async () => void (await key.seal(nonce, aad, plaintext)))
      : await rate(async () => void (await key.open(nonce, aad, sealed)));
  return (perSecond * RECORD) / 1e6;
}

const PROVIDERS: [string, CryptoProvider][] = [
  ['subtle', subtleProvider()],
  ['node', nodeProvider()],
];

const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1).padStart(8);

/** The median of each provider's samples of `measure`, the providers taking turns. */
async function medians(measure: (provider: CryptoProvider) => Promise<number>): Promise<number[]> {
  const samples: number[][] = PROVIDERS.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, provider]] of PROVIDERS.entries()) samples[i].push(await measure(provider));
  }
  return samples.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}

function row(label: string, values: number[]): void {
  const ratio = (values[1] / values[0]).toFixed(1);
  console.log(`${label.padEnd(46)}${values.map((v) => `  ${fmt(v)}`).join('')}   ${ratio}×`);
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
console.log(`median of ${ROUNDS} samples of ${SECONDS} s; handshakes: TLS 1.3, P-256 certificate`);
console.log(`${'case'.padEnd(46)}${PROVIDERS.map(([n]) => n.padStart(10)).join('')}   node/subtle`);

for (const [label, group] of [
  ['handshakes/s, X25519', NamedGroup.x25519],
  ['handshakes/s, P-256', NamedGroup.secp256r1],
  ['handshakes/s, X25519MLKEM768', NamedGroup.X25519MLKEM768],
] as const) {
  row(label, await medians((provider) => handshakes(provider, group)));
}
for (const alg of ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const) {
  for (const op of ['seal', 'open'] as const) {
    row(`${alg} ${op} MB/s`, await medians((provider) => aead(provider, alg, op)));
  }
}
