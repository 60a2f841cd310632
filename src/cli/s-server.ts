/**
 * `webtls s_server`: accept TLS connections; print what clients send and send them stdin (like
 * `openssl s_server`), or with `-www` answer an HTTP GET with a page describing the connection.
 */
import { certifiedKeyFromPem } from '../certified-key.ts';
import type { CertifiedKey, ServerConfig } from '../config.ts';
import { fipsSuite } from '../crypto/fips-policy.ts';
import { echKeyFromPem } from '../ech/keys.ts';
import { TlsError } from '../error.ts';
import { listen, type PeerAddress } from '../node/index.ts';
import { MemorySessionCache } from '../sessions/session-cache.ts';
import { AeadTicketer } from '../sessions/ticketer.ts';
import { accept, type TlsStream, type Transport } from '../streams/index.ts';
import { webpkiClientVerifier } from '../verify/webpki-client.ts';
import {
  type FlagSpec,
  listFlag,
  type ParsedFlags,
  parseByteCount,
  parseFlags,
  parseHostPort,
  splitAlpn,
  splitList,
  stringFlag,
  UsageError,
} from './args.ts';
import { CERT_COMP_FLAGS, CERT_COMP_USAGE, certCompressionFromFlags } from './cert-comp.ts';
import { chooseProvider, errorLine, keyLogTo, pipeToNode, readText, sleep } from './common.ts';
import { checkFipsFlags } from './fips.ts';
import { combinedSuites, parseGroups } from './names.ts';
import {
  RECORD_SIZE_FLAGS,
  RECORD_SIZE_USAGE,
  recordPaddingFromFlags,
  recordSizeLimitFromFlags,
} from './record-size.ts';
import { summaryLines } from './summary.ts';
import {
  pathLengthFromDepth,
  REVOCATION_FLAGS,
  REVOCATION_USAGE,
  revocationFromFlags,
} from './verify-flags.ts';
import { readHttpRequest, wwwResponse } from './www.ts';

const CLOSE_GRACE_MS = 2000;
/** `-early_data` without `-max_early_data`: one full record, as openssl s_server. */
const DEFAULT_MAX_EARLY_DATA = 16384;

const FLAGS: FlagSpec = {
  accept: 'string',
  port: 'string',
  cert: 'string',
  key: 'string',
  cert2: 'string',
  key2: 'string',
  alpn: 'string',
  groups: 'string',
  curves: 'string',
  ciphersuites: 'string',
  cipher: 'string',
  tls1_2: 'boolean',
  tls1_3: 'boolean',
  www: 'boolean',
  naccept: 'string',
  keylogfile: 'string',
  provider: 'string',
  quiet: 'boolean',
  help: 'boolean',
  verify: 'string',
  Verify: 'string',
  CAfile: 'string',
  no_ticket: 'boolean',
  early_data: 'boolean',
  max_early_data: 'string',
  ech_key: 'repeat',
  ...CERT_COMP_FLAGS,
  ...RECORD_SIZE_FLAGS,
  ...REVOCATION_FLAGS,
};

/** The help text for `webtls s_server`. */
export const SERVER_USAGE = `usage: webtls s_server -cert FILE -key FILE [options]
  -accept [HOST:]PORT   where to listen (default 127.0.0.1:4433; port 0 picks a free one)
  -cert FILE -key FILE  PEM chain (leaf first) and its private key
  -cert2 FILE -key2 FILE  a second certificate, chosen when the client's SNI matches it
  -alpn LIST            ALPN protocols the server accepts, comma-separated
  -groups LIST          key-exchange groups in preference order (X25519:P-256:...)
  -ciphersuites LIST    TLS 1.3 suites in preference order, IANA names
  -cipher LIST          TLS 1.2 suites in preference order, OpenSSL names
  -tls1_2 / -tls1_3     only that version (default: TLS 1.3 or 1.2)
  -www                  answer an HTTP GET with a page describing the connection
  -naccept N            exit after N connections
  -keylogfile FILE      append SSLKEYLOGFILE lines (anyone holding them can decrypt)
  -provider NAME        crypto provider: subtle (default), noble, node (node:crypto, the
                        fastest on Node), or fips (FIPS 140-3 approved algorithms only,
                        through WebCrypto: AES-GCM, P-256/P-384, ECDSA and RSA >= 2048 with
                        SHA-2; a non-approved -groups or suite is a usage error). The
                        summary's "FIPS:" line says whether the connection ran in FIPS mode
  -quiet                do not print connection summaries
  -verify N             ask clients for a certificate (verified to -CAfile, N intermediates)
  -Verify N             require a client certificate (certificate_required without one)
  -CAfile FILE          PEM roots for client certificates (needed with -verify / -Verify)
  -no_ticket            resume from a session cache in memory instead of stateless tickets
                        (tickets are sealed under a key made at start-up and never saved)
  -early_data           TLS 1.3 0-RTT: accept early data on resumed connections (16384 bytes
                        at most), each ticket's at most once. Early data can be replayed by
                        an attacker: a real server acts only on requests safe to repeat
  -max_early_data N     with -early_data: accept at most N bytes
  -ech_key FILE         Encrypted Client Hello: an ECH key file (the openssl ech PEM layout, as
                        'webtls ech' writes it: PRIVATE KEY then ECHCONFIG); repeat the flag for
                        more keys. A client whose ECH offer fails (GREASE, a retired key) gets
                        every key's ECHConfig as retry configs. The summary shows "ECH:" and,
                        when accepted, "Outer SNI:" (the public name) beside "SNI:" (the inner)
${CERT_COMP_USAGE}
${RECORD_SIZE_USAGE}
${REVOCATION_USAGE}
Prints "ACCEPT HOST:PORT" on stdout and stderr once listening. Without -www, data from clients
goes to stdout and stdin goes to every open connection. Accepted 0-RTT data is announced on stderr
after the summary as "Early data received: N bytes"; those N bytes are the first written to
stdout for that connection.`;

/** One accepted connection. */
interface Session {
  id: number;
  tls: TlsStream;
  writer?: WritableStreamDefaultWriter<Uint8Array>;
}

/** Runs s_server; resolves with the exit status once -naccept is reached (or never). */
export async function sServer(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(`${SERVER_USAGE}\n`);
    return 0;
  }
  const { host, port } = parseHostPort(
    stringFlag(flags, 'accept') ?? stringFlag(flags, 'port') ?? '4433',
    '127.0.0.1',
  );
  const naccept = parseNaccept(stringFlag(flags, 'naccept'));
  const config = await serverConfig(flags);
  const www = flags.www === true;
  const quiet = flags.quiet === true;
  const ech = config.ech !== undefined;

  const sessions = new Set<Session>();
  const stdin = stdinBroadcaster(sessions);
  let accepted = 0;
  let finishedAll: (() => void) | undefined;
  const allDone = new Promise<void>((resolve) => {
    finishedAll = resolve;
  });

  const onTransport = (transport: Transport, peer: PeerAddress) => {
    accepted++;
    if (naccept !== undefined && accepted >= naccept) void listener.close();
    let tls: TlsStream;
    try {
      tls = accept(transport, config);
    } catch (error) {
      process.stderr.write(`Connection ${accepted}: ${errorLine(error)}\n`);
      return;
    }
    const session: Session = { id: accepted, tls };
    sessions.add(session);
    serve(session, peer, { www, quiet, stdin, ech })
      .catch((error) => process.stderr.write(`Connection ${session.id}: ${errorLine(error)}\n`))
      .finally(() => {
        sessions.delete(session);
        stdin.update();
        if (naccept !== undefined && accepted >= naccept && sessions.size === 0) finishedAll?.();
      });
  };
  const listener = await listen(port, host, onTransport);

  const shown = listener.address.includes(':') ? `[${listener.address}]` : listener.address;
  process.stdout.write(`ACCEPT ${shown}:${listener.port}\n`);
  process.stderr.write(`ACCEPT ${shown}:${listener.port}\n`);

  const stop = () => {
    void listener.close();
    for (const session of sessions) void session.tls.close();
    finishedAll?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await allDone;
  return 0;
}

function parseNaccept(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError('-naccept needs a count');
  return Number(text);
}

async function serverConfig(flags: ParsedFlags): Promise<ServerConfig> {
  const provider = chooseProvider(stringFlag(flags, 'provider'));
  const groups = stringFlag(flags, 'groups') ?? stringFlag(flags, 'curves');
  const suites = stringFlag(flags, 'ciphersuites');
  const ciphers = stringFlag(flags, 'cipher');
  const list = combinedSuites(
    suites ? splitList(suites) : undefined,
    ciphers ? splitList(ciphers) : undefined,
    provider.fips ? fipsSuite : undefined,
  );
  const groupList = groups ? parseGroups(splitList(groups)) : undefined;
  // Before the key files are read: a refused flag is a usage error, not a load failure.
  checkFipsFlags(provider, groupList, list);
  const load = async (certFlag: string, keyFlag: string): Promise<CertifiedKey | undefined> => {
    const certPath = stringFlag(flags, certFlag);
    const keyPath = stringFlag(flags, keyFlag) ?? certPath;
    if (!certPath || !keyPath) return undefined;
    return certifiedKeyFromPem(
      readText(certPath, 'certificate'),
      readText(keyPath, 'private key'),
      provider,
    );
  };
  const first = await load('cert', 'key');
  if (!first) throw new UsageError('-cert FILE is required (and -key FILE unless it is in -cert)');
  const second = await load('cert2', 'key2');
  const config: ServerConfig = {
    provider,
    certificates: second ? [first, second] : [first],
    keyLog: keyLogTo(stringFlag(flags, 'keylogfile')),
  };
  const alpn = stringFlag(flags, 'alpn');
  if (alpn) config.alpnProtocols = splitAlpn(alpn);
  if (groupList) config.groups = groupList;
  if (list) config.cipherSuites = list;
  if (flags.tls1_3 && flags.tls1_2) throw new UsageError('-tls1_2 and -tls1_3 exclude each other');
  const only = flags.tls1_2 ? 'TLSv1.2' : flags.tls1_3 ? 'TLSv1.3' : undefined;
  if (only) {
    config.minVersion = only;
    config.maxVersion = only;
  }
  clientAuthFromFlags(flags, config);
  resumptionFromFlags(flags, config);
  const echKeys = listFlag(flags, 'ech_key').map((path) => {
    try {
      return echKeyFromPem(readText(path, 'ECH key file'));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`-ech_key ${path}: ${error instanceof Error ? error.message : error}`);
    }
  });
  if (echKeys.length > 0) config.ech = { keys: echKeys };
  const certCompression = certCompressionFromFlags(flags);
  if (certCompression) config.certCompression = certCompression;
  const recordSizeLimit = recordSizeLimitFromFlags(flags);
  if (recordSizeLimit !== undefined) config.recordSizeLimit = recordSizeLimit;
  const recordPadding = recordPaddingFromFlags(flags);
  if (recordPadding !== undefined) config.recordPadding = recordPadding;
  return config;
}

/** Resumption (tickets or a session cache, as openssl s_server) and `-early_data`. */
function resumptionFromFlags(flags: ParsedFlags, config: ServerConfig): void {
  // TLS 1.2 session IDs, and with -no_ticket TLS 1.2 and 1.3 resumption, use the cache.
  config.sessionCache = new MemorySessionCache();
  if (!flags.no_ticket) config.ticketer = new AeadTicketer();
  const max = stringFlag(flags, 'max_early_data');
  if (max !== undefined && !flags.early_data)
    throw new UsageError('-max_early_data needs -early_data');
  if (flags.early_data) {
    config.maxEarlyData =
      max === undefined ? DEFAULT_MAX_EARLY_DATA : parseByteCount(max, '-max_early_data');
  }
}

/** `-verify N` / `-Verify N` with `-CAfile` and the revocation flags: client authentication. */
function clientAuthFromFlags(flags: ParsedFlags, config: ServerConfig): void {
  const request = stringFlag(flags, 'verify');
  const require = stringFlag(flags, 'Verify');
  if (request && require) throw new UsageError('-verify and -Verify exclude each other');
  const depth = request ?? require;
  if (depth === undefined) {
    if (stringFlag(flags, 'CAfile') || revocationFromFlags(flags)) {
      throw new UsageError('-CAfile and the CRL flags need -verify N or -Verify N');
    }
    return;
  }
  const caFile = stringFlag(flags, 'CAfile');
  if (!caFile) throw new UsageError(`${request ? '-verify' : '-Verify'} needs -CAfile FILE`);
  config.clientAuth = request ? 'optional' : 'required';
  config.clientVerifier = webpkiClientVerifier({
    roots: [readText(caFile, 'CA file')],
    maxPathLength: pathLengthFromDepth(depth, request ? '-verify' : '-Verify'),
    revocation: revocationFromFlags(flags),
  });
}

interface ServeOptions {
  www: boolean;
  quiet: boolean;
  /** ECH keys are loaded: a rejected ECH offer got retry configs. */
  ech: boolean;
  stdin: { update(): void };
}

/** Handshakes, prints the summary, then serves one connection. */
async function serve(session: Session, peer: PeerAddress, options: ServeOptions): Promise<void> {
  const { tls } = session;
  try {
    const info = await tls.opened;
    if (!options.quiet) {
      const header = `Connection: ${session.id} from ${peer.address}:${peer.port}`;
      const lines = summaryLines(info, { echRetryConfigsSent: options.ech });
      process.stderr.write(`${[header, ...lines].join('\n')}\n`);
    }
    if (options.www) {
      await serveWww(tls);
      await tls.close();
      // Browsers drop TCP without close_notify once they have the response. After our own
      // close_notify has gone out, that ends the exchange; it truncated nothing we sent.
      await tls.closed.catch((error: unknown) => {
        if (!(error instanceof TlsError && error.code === 'TRUNCATED')) throw error;
      });
      return;
    } else {
      session.writer = tls.writable.getWriter();
      options.stdin.update();
      // The client's data goes to stdout until it closes; then we close too. 0-RTT data comes
      // first and is announced.
      if (info.earlyDataBytes > 0) {
        process.stderr.write(`Early data received: ${info.earlyDataBytes} bytes\n`);
      }
      await pipeToNode(tls.readable, process.stdout);
      session.writer.releaseLock();
      session.writer = undefined;
    }
  } finally {
    await tls.close();
  }
  // Reports the error that ended the connection, if one did.
  await tls.closed;
}

/** Reads one HTTP request and answers it with the connection's description, then closes. */
async function serveWww(tls: TlsStream): Promise<void> {
  const request = await readHttpRequest(tls.readable);
  const writer = tls.writable.getWriter();
  await writer.write(wwwResponse(request, tls.info));
  await writer.close();
  // Wait (briefly) for the client's close_notify before letting go.
  const closed = tls.closed.then(() => true);
  closed.catch(() => undefined);
  await Promise.race([closed, sleep(CLOSE_GRACE_MS).then(() => false)]);
}

/**
 * Sends stdin to every connection that is exchanging data. Stdin is read only while such a
 * connection exists, and paused while a write is in flight (back-pressure).
 */
function stdinBroadcaster(sessions: Set<Session>): { update(): void } {
  let listening = false;
  const onData = (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const writes = [...sessions]
      .filter((s) => s.writer)
      .map((s) => s.writer!.write(bytes).catch(() => undefined));
    process.stdin.pause();
    void Promise.all(writes).then(() => update());
  };
  const update = () => {
    const wanted = [...sessions].some((s) => s.writer);
    if (wanted && !listening) {
      listening = true;
      process.stdin.on('data', onData);
    }
    if (wanted) process.stdin.resume();
    else process.stdin.pause();
  };
  process.stdin.on('error', () => undefined);
  return { update };
}
