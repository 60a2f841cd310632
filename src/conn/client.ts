import type { ClientConfig } from '../config.ts';
import { defaultProvider } from '../crypto/index.ts';
import { TlsError } from '../error.ts';
import type { ClientContext } from '../handshake/client/context.ts';
import { clientSignatureSchemes, startClient } from '../handshake/client/tls13.ts';
import { webpkiVerifier } from '../verify/webpki.ts';
import { ConnectionCore, type HandshakeState } from './core.ts';

/** Options for one client connection. */
export interface ClientOptions {
  /** The server's name: sent as SNI (unless an IP address) and verified in its certificate. */
  serverName: string;
}

/** Waits for the first `process()` call, which sends the ClientHello. */
const notStarted: HandshakeState = {
  name: 'NotStarted',
  handle() {
    return Promise.reject(new TlsError('UNEXPECTED_MESSAGE', 'tls: message before ClientHello'));
  },
};

/**
 * A TLS client connection (sans-IO). The first `process()` queues the ClientHello; feed the
 * server's bytes with `readTls` and call `process()` again until `handshakeComplete`.
 */
export class ClientConnection extends ConnectionCore {
  readonly isClient = true;
  protected state: HandshakeState = notStarted;
  private readonly ctx: ClientContext;

  constructor(config: ClientConfig, options: ClientOptions) {
    const provider = config.provider ?? defaultProvider();
    super(provider, config.limits, config.keyLog, config.onEvent);
    if (config.minVersion === 'TLSv1.2' && config.maxVersion === 'TLSv1.2') {
      throw new TlsError('CONFIG', 'tls: TLS 1.2 is not implemented yet', { layer: 'config' });
    }
    const groups = (config.groups ?? provider.groups).filter((g) => provider.keyExchange(g));
    const cipherSuites = (config.cipherSuites ?? provider.cipherSuites).filter((s) =>
      provider.cipherSuites.includes(s),
    );
    if (groups.length === 0)
      throw new TlsError('CONFIG', 'tls: no usable key-exchange group', { layer: 'config' });
    if (cipherSuites.length === 0)
      throw new TlsError('CONFIG', 'tls: no usable cipher suite', { layer: 'config' });
    this.info.serverName = options.serverName;
    this.ctx = {
      conn: this,
      provider,
      serverName: options.serverName,
      verifyName: options.serverName,
      groups,
      cipherSuites,
      signatureSchemes: clientSignatureSchemes(provider.signatureSchemes),
      alpnProtocols: config.alpnProtocols ?? [],
      keyShares: config.keyShares ?? 2,
      middleboxCompat: config.middleboxCompat ?? true,
      verifier: config.verifier ?? webpkiVerifier({ roots: config.roots }),
      group: (g) => provider.keyExchange(g)!,
    };
  }

  protected override async start(): Promise<void> {
    this.state = await startClient(this.ctx);
  }
}
