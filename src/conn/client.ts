import type { ClientConfig } from '../config.ts';
import { defaultProvider } from '../crypto/index.ts';
import { TlsError } from '../error.ts';
import type { ClientContext } from '../handshake/client/context.ts';
import { chooseEchConfig } from '../handshake/client/ech.ts';
import { clientSignatureSchemes, startClient } from '../handshake/client/tls13.ts';
import { ProtocolVersion } from '../msgs/enums.ts';
import { defaultSessionStore } from '../sessions/memory-store.ts';
import { isIpAddress } from '../verify/names.ts';
import type { ServerCertVerifier } from '../verify/types.ts';
import { webpkiVerifier } from '../verify/webpki.ts';
import { ConnectionCore, type HandshakeState } from './core.ts';
import { fipsResolver } from './fips-config.ts';
import { resolveNegotiable } from './resolve.ts';

/** Options for one client connection. */
export interface ClientOptions {
  /** The server's name: sent as SNI (unless an IP address) and verified in its certificate. */
  serverName: string;
  /**
   * TLS 1.3 0-RTT: data to send with the ClientHello when a session that allows early data is
   * resumed (up to the ticket's max_early_data_size; the rest follows the handshake). Early data
   * can be replayed by an attacker: send only requests that are safe to repeat. Whether it was
   * accepted shows in `info.earlyData` once the handshake completes.
   */
  earlyData?: Uint8Array;
  /**
   * When the server rejects the early data (or it could not be sent early), send it after the
   * handshake as ordinary application data. Default false: the application is told through
   * `info.earlyData` and decides.
   */
  resendEarlyData?: boolean;
}

/** Waits for the first `process()` call, which sends the ClientHello. */
const notStarted: HandshakeState = {
  name: 'NotStarted',
  handle() {
    return Promise.reject(new TlsError('UNEXPECTED_MESSAGE', 'tls: message before ClientHello'));
  },
};

/** Verifiers over configured `roots`, by the roots array; and the one over the bundled roots. */
const verifiersByRoots = new WeakMap<readonly (string | Uint8Array)[], ServerCertVerifier>();
let bundledRootsVerifier: ServerCertVerifier | undefined;

/**
 * The webpki verifier for `config.roots`, shared by every connection whose config holds the
 * same roots array (configs spread from one base share it): the roots are parsed once, not per
 * connection, nor kept once per connection.
 */
function defaultVerifier(config: ClientConfig): ServerCertVerifier {
  const { roots } = config;
  if (!roots) {
    bundledRootsVerifier ??= webpkiVerifier();
    return bundledRootsVerifier;
  }
  let verifier = verifiersByRoots.get(roots);
  if (!verifier) {
    verifier = webpkiVerifier({ roots });
    verifiersByRoots.set(roots, verifier);
  }
  return verifier;
}

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
    const negotiable = resolveNegotiable(config, provider);
    this.records.padRecords(negotiable.recordPadding);
    this.info.fips = negotiable.fips;
    const ech = config.ech?.configList ? chooseEchConfig(config.ech.configList) : undefined;
    if (ech) {
      // draft-ietf-tls-esni §6.1: ClientHelloInner "MUST NOT offer to negotiate TLS 1.2 or
      // below"; the outer hello offers TLS 1.3 only too.
      if (negotiable.maxVersion < ProtocolVersion.TLSv1_3) {
        throw new TlsError('CONFIG', 'tls: ECH needs TLS 1.3', { layer: 'config' });
      }
      negotiable.minVersion = ProtocolVersion.TLSv1_3;
      negotiable.tls12Suites = [];
    }
    // ConnectionInfo.serverName is the SNI sent: none for an IP address (RFC 6066 §3).
    if (!isIpAddress(options.serverName)) this.info.serverName = options.serverName;
    this.ctx = {
      conn: this,
      provider,
      serverName: options.serverName,
      verifyName: options.serverName,
      ...negotiable,
      signatureSchemes: clientSignatureSchemes(provider.signatureSchemes),
      alpnProtocols: config.alpnProtocols ?? [],
      keyShares: config.keyShares ?? 2,
      middleboxCompat: config.middleboxCompat ?? true,
      verifier: config.verifier ?? defaultVerifier(config),
      sessionStore:
        config.sessionStore === null
          ? undefined
          : (config.sessionStore ?? defaultSessionStore(config)),
      pskModes: config.pskModes ?? ['psk_dhe_ke'],
      earlyData: options.earlyData?.slice(),
      resendEarlyData: options.resendEarlyData ?? false,
      ech,
      echGrease: !ech && config.ech?.grease === true,
      certCompression: config.certCompression ?? [],
      clientCertificate: config.clientCertificate,
      clientCertResolver:
        negotiable.fips && config.clientCertResolver
          ? fipsResolver(config.clientCertResolver)
          : config.clientCertResolver,
      group: (g) => provider.keyExchange(g)!,
    };
  }

  protected override async start(): Promise<void> {
    this.state = await startClient(this.ctx);
  }
}
