import type { ServerConfig } from '../config.ts';
import { defaultProvider } from '../crypto/index.ts';
import { TlsError } from '../error.ts';
import type { ClientAuth } from '../handshake/server/client-auth.ts';
import type { ServerContext } from '../handshake/server/context.ts';
import { ExpectClientHello } from '../handshake/server/tls13.ts';
import { type AntiReplayStore, MemoryAntiReplayStore } from '../sessions/anti-replay.ts';
import type { ClientCertVerifier } from '../verify/types.ts';
import { webpkiClientVerifier } from '../verify/webpki-client.ts';
import { ConnectionCore, type HandshakeState } from './core.ts';
import { resolveNegotiable } from './resolve.ts';

/**
 * A TLS server connection (sans-IO): feed the client's bytes with `readTls`, call `process()`,
 * and send what `takeTls()` returns, until `handshakeComplete`.
 */
export class ServerConnection extends ConnectionCore {
  readonly isClient = false;
  protected state: HandshakeState;

  constructor(config: ServerConfig) {
    const provider = config.provider ?? defaultProvider();
    super(provider, config.limits, config.keyLog, config.onEvent);
    if (config.certificates.length === 0) {
      throw new TlsError('CONFIG', 'tls: a server needs at least one certificate', {
        layer: 'config',
      });
    }
    const negotiable = resolveNegotiable(config, provider);
    this.records.padRecords(negotiable.recordPadding);
    this.info.fips = negotiable.fips;
    const ctx: ServerContext = {
      conn: this,
      provider,
      ...negotiable,
      alpnProtocols: config.alpnProtocols ?? [],
      certificates: config.certificates,
      requireCookie: config.requireCookie ?? false,
      ticketer: config.ticketer,
      sessionCache: config.sessionCache,
      sessionTickets: Math.max(0, Math.floor(config.sessionTickets ?? 2)),
      maxEarlyData: Math.max(0, Math.floor(config.maxEarlyData ?? 0)),
      antiReplay: config.antiReplay ?? defaultAntiReplay(config),
      earlyDataWindowMs: config.earlyDataWindowMs ?? 10_000,
      allowPskKe: config.allowPskKe ?? false,
      ech: config.ech,
      certCompression: config.certCompression ?? [],
      clientAuth: resolveClientAuth(config),
      group: (g) => provider.keyExchange(g)!,
    };
    this.state = new ExpectClientHello(ctx);
  }
}

/** The default anti-replay store: one per config object, so its connections share it. */
const defaultAntiReplayStores = new WeakMap<ServerConfig, AntiReplayStore>();

function defaultAntiReplay(config: ServerConfig): AntiReplayStore {
  let store = defaultAntiReplayStores.get(config);
  if (!store) {
    store = new MemoryAntiReplayStore();
    defaultAntiReplayStores.set(config, store);
  }
  return store;
}

/** The verifier built from `clientRoots`, once per config object. */
const defaultClientVerifiers = new WeakMap<ServerConfig, ClientCertVerifier>();

/** ServerConfig.clientAuth with its verifier; undefined when no certificate is requested. */
function resolveClientAuth(config: ServerConfig): ClientAuth | undefined {
  const mode = config.clientAuth ?? 'none';
  if (mode === 'none') return undefined;
  if (mode !== 'optional' && mode !== 'required') {
    throw new TlsError('CONFIG', `tls: unknown clientAuth mode "${String(mode)}"`, {
      layer: 'config',
    });
  }
  let verifier = config.clientVerifier ?? defaultClientVerifiers.get(config);
  if (!verifier && config.clientRoots) {
    verifier = webpkiClientVerifier({ roots: config.clientRoots });
    defaultClientVerifiers.set(config, verifier);
  }
  if (!verifier) {
    throw new TlsError('CONFIG', 'tls: clientAuth needs clientVerifier or clientRoots', {
      layer: 'config',
    });
  }
  return { required: mode === 'required', verifier };
}
