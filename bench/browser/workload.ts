/**
 * The in-page workload of bench/browser.ts, runtime-neutral (it runs in Chromium and in Node):
 * a webtls client and server in one thread, driven directly (no streams, no transport), so the
 * runtime's WebCrypto and JavaScript engine are what differs between the two.
 */
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import * as certs from '../../test/unit/data/certs.ts';
import { certifiedKey, pump } from '../../test/unit/helpers/loopback.ts';

export type ProviderName = 'subtle' | 'noble';
export type Scenario = 'full' | 'resumed' | 'bulk';

const RECORD = 16 * 1024;

function providerOf(name: ProviderName): CryptoProvider {
  return name === 'subtle' ? subtleProvider() : nobleProvider();
}

async function configs(provider: CryptoProvider, resume: boolean) {
  const server: ServerConfig = {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    ticketer: new AeadTicketer({ provider }),
  };
  const client: ClientConfig = {
    provider,
    roots: [certs.caPem],
    groups: [NamedGroup.x25519],
    sessionStore: resume ? new MemorySessionStore() : null,
  };
  return { client, server };
}

async function connectedPair(client: ClientConfig, server: ServerConfig) {
  const c = new ClientConnection(client, { serverName: 'localhost' });
  const s = new ServerConnection(server);
  await pump(c, s);
  if (!c.handshakeComplete || !s.handshakeComplete) throw new Error('handshake failed');
  return { c, s };
}

/**
 * Runs `scenario` with `provider` for `ms` milliseconds (after a warm-up of a fifth of that)
 * and returns handshakes per second, or MB/s (10^6 bytes) for `bulk`.
 */
export async function measure(
  providerName: ProviderName,
  scenario: Scenario,
  ms: number,
): Promise<number> {
  const provider = providerOf(providerName);
  const { client, server } = await configs(provider, scenario === 'resumed');
  let step: () => Promise<number>;
  if (scenario === 'bulk') {
    const { c, s } = await connectedPair(client, server);
    const chunk = new Uint8Array(RECORD).fill(7);
    step = async () => {
      await c.write(chunk);
      s.readTls(c.takeTls()!);
      await s.process();
      const got = s.read();
      if (got?.length !== RECORD) throw new Error('bulk: record lost');
      return RECORD / 1e6;
    };
  } else {
    if (scenario === 'resumed') await connectedPair(client, server); // the first ticket
    step = async () => {
      const { c } = await connectedPair(client, server);
      if (scenario === 'resumed' && !c.info.resumed) throw new Error('did not resume');
      return 1;
    };
  }
  for (const end = performance.now() + ms / 5; performance.now() < end; ) await step();
  let units = 0;
  const start = performance.now();
  while (performance.now() < start + ms) units += await step();
  return units / ((performance.now() - start) / 1000);
}
