/**
 * webtls as a benchmark contender, through its streams API (`connect`/`accept`) over the link,
 * as an application would use it. One contender per crypto provider.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientConfig, ServerConfig } from '../../../src/config.ts';
import type { CryptoProvider } from '../../../src/crypto/provider.ts';
import { TlsError } from '../../../src/error.ts';
import { CipherSuite, NamedGroup } from '../../../src/msgs/enums.ts';
import { socketTransport } from '../../../src/node/socket-transport.ts';
import { MemorySessionStore } from '../../../src/sessions/memory-store.ts';
import { AeadTicketer } from '../../../src/sessions/ticketer.ts';
import { accept, connect } from '../../../src/streams/connect.ts';
import type { TlsStream, Transport } from '../../../src/streams/types.ts';
import { pkiChainDer, pkiPem, pkiSigningKey } from './pki.ts';
import type { BenchConn, Contender, GroupName, Setup } from './types.ts';

const GROUPS: Record<GroupName, number> = {
  X25519: NamedGroup.x25519,
  'P-256': NamedGroup.secp256r1,
  X25519MLKEM768: NamedGroup.X25519MLKEM768,
};

/** A TlsStream as a BenchConn: counts received bytes so `read(n)` can wait for them. */
function benchConn(stream: TlsStream): BenchConn {
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  let surplus = 0; // bytes read beyond what earlier read() calls asked for
  return {
    opened: stream.opened.then(() => undefined),
    resumed: () => stream.info.resumed,
    earlyAccepted: () => stream.info.earlyData === 'accepted',
    write: (data) => writer.write(data),
    async read(n) {
      while (surplus < n) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`webtls: stream ended ${n - surplus} bytes short`);
        surplus += value.byteLength;
      }
      surplus -= n;
    },
    close() {
      stream.close().catch(() => undefined);
    },
  };
}

/** The link as a transport: socketTransport needs only what every Duplex has. */
function transportOf(link: Duplex): Transport {
  return socketTransport(link as Socket);
}

/** webtls with `provider`, named `name` in the results. */
export function webtlsContender(name: string, provider: CryptoProvider): Contender {
  const groupsOf = (setup: Setup) => {
    const group = GROUPS[setup.group];
    return provider.keyExchange(group) ? [group] : null;
  };
  const common = (setup: Setup) => ({
    provider,
    minVersion: setup.version,
    maxVersion: setup.version,
    cipherSuites: setup.suite ? [CipherSuite[setup.suite]] : undefined,
  });
  return {
    name,
    async client(setup) {
      const groups = groupsOf(setup);
      if (!groups) return null;
      const sessions = new MemorySessionStore();
      const config: ClientConfig = { ...common(setup), groups, roots: [pkiPem('root.pem')] };
      const fresh = { ...config, sessionStore: null };
      const resuming = { ...config, sessionStore: sessions };
      return (link, open = {}) =>
        benchConn(
          connect(transportOf(link), {
            ...(open.resume ? resuming : fresh),
            serverName: 'localhost',
            earlyData: open.earlyData,
          }),
        );
    },
    async server(setup) {
      const groups = groupsOf(setup);
      if (!groups) return null;
      const key = await pkiSigningKey(provider, setup.cert).catch((error) => {
        // The noble provider does not sign with RSA keys: no server for that setup.
        if (error instanceof TlsError && error.code === 'CONFIG') return null;
        throw error;
      });
      if (!key) return null;
      const config: ServerConfig = {
        ...common(setup),
        groups,
        certificates: [{ chain: pkiChainDer(setup.cert), key }],
        // Tickets as node:tls sends them by default (two per TLS 1.3 handshake).
        ticketer: new AeadTicketer({ provider }),
        maxEarlyData: setup.maxEarlyData,
      };
      return (link) => benchConn(accept(transportOf(link), config));
    },
  };
}
