/**
 * The WebSocket-to-TCP relay on Node: browsers (which cannot open TCP) send TLS bytes in binary
 * WebSocket messages to `ws://HOST:PORT/relay?host=DEST&port=N`, and the relay pipes them to a
 * TCP connection to that destination, if the allowlist lets it (policy.ts). It reads and writes
 * bytes only; TLS runs end to end between the page and the destination.
 *
 * Run it: `npx tsx workers/relay/node.ts --listen 127.0.0.1:8080 --allow localhost:8443`.
 * Use it from code: {@link startRelay}. See docs/relay.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Socket, connect as tcpConnect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { loggableHost, logRecord, type RelayLogger, type RelayLogRecord } from './log.ts';
import {
  CloseCode,
  ConnectionCounter,
  checkDestination,
  closeReason,
  type Destination,
  parseAllowlist,
  type RelayLimits,
  resolveLimits,
} from './policy.ts';

/** Options of {@link startRelay}. */
export interface RelayOptions {
  /** Allowlist entries (policy.ts syntax); nothing is relayed without one. */
  allow: string | readonly string[];
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (default 0: a free port). */
  port?: number;
  /** The path WebSockets are accepted at (default `/relay`). */
  path?: string;
  /** Limits; the rest come from DEFAULT_LIMITS. */
  limits?: Partial<RelayLimits>;
  /**
   * Origins (`https://app.example`) whose pages may use the relay. Unset: any origin, and
   * clients that send none. Browsers always send Origin, so this keeps other sites' pages out.
   */
  origins?: readonly string[];
  /**
   * The client address used for the per-client cap and in logs (default: the TCP peer
   * address). Behind a reverse proxy, read the proxy's header here.
   */
  clientAddress?: (request: IncomingMessage) => string;
  /** Receives each log record (default: one JSON line on stdout). */
  log?: RelayLogger;
  /**
   * Bytes queued towards the client before the relay stops reading from the destination
   * (default 1 MiB).
   */
  maxBufferedBytes?: number;
}

/** Counters over the relay's life. */
export interface RelayStats {
  /** Connections open now (admitted, connecting or connected). */
  active: number;
  /** WebSockets admitted since start. */
  admitted: number;
  /** WebSockets refused since start. */
  refused: number;
  /** Bytes relayed from clients to destinations, over all connections. */
  bytesIn: number;
  /** Bytes relayed from destinations to clients, over all connections. */
  bytesOut: number;
}

/** A running relay. */
export interface Relay {
  /** The WebSocket URL to give relayTransport(), like `ws://127.0.0.1:8080/relay`. */
  url: string;
  port: number;
  /** Stops accepting, closes every connection (code 1001) and the server. */
  close(): Promise<void>;
  stats(): RelayStats;
}

/** How long a destination may take to close after the client did, before it is cut. */
const LINGER_MS = 5_000;

/** Writes one JSON line per record on stdout: the relay is an application, not library code. */
export const stdoutLogger: RelayLogger = (record) => {
  process.stdout.write(`${JSON.stringify(record)}\n`);
};

/**
 * Starts a relay on `options.host:options.port`.
 *
 * @throws RangeError when the allowlist or a limit is invalid
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const rules = parseAllowlist(options.allow);
  const limits = resolveLimits(options.limits);
  const path = options.path ?? '/relay';
  const log = options.log ?? stdoutLogger;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const counter = new ConnectionCounter(limits);
  const stats: RelayStats = { active: 0, admitted: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
  const live = new Set<RelayConnection>();
  let nextId = 1;

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const server: Server = createServer(answerPlainHttp(path));
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (requestPath(request) !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      // A refused socket has no other listener; a bad frame from its client must not throw.
      ws.on('error', () => undefined);
      const id = nextId++;
      const client = options.clientAddress?.(request) ?? request.socket.remoteAddress ?? '';
      const query = new URL(request.url ?? '/', 'http://relay').searchParams;
      const refuse = (code: number, reason: string, destination?: Destination) => {
        stats.refused++;
        log(
          logRecord('refused', {
            id,
            client,
            host: destination?.host ?? loggableHost(query.get('host')),
            port: destination?.port ?? portOrUndefined(query.get('port')),
            reason,
            code,
          }),
        );
        ws.close(code, closeReason(reason));
      };

      // 1. The page's origin, when the relay is limited to some.
      const origin = request.headers.origin;
      if (options.origins && !(origin && options.origins.includes(origin))) {
        refuse(CloseCode.policy, 'origin not allowed');
        return;
      }
      // 2. The destination: a well-formed query naming an allowed host and port.
      const verdict = checkDestination(rules, query);
      if (!verdict.ok) {
        refuse(CloseCode.policy, verdict.reason);
        return;
      }
      // 3. Capacity, in total and for this client.
      const slot = counter.admit(client);
      if (!slot.ok) {
        refuse(CloseCode.tryAgainLater, slot.reason, verdict.value);
        return;
      }
      stats.admitted++;
      stats.active++;
      const connection = new RelayConnection({
        id,
        ws,
        client,
        destination: verdict.value,
        limits,
        maxBuffered,
        log,
        stats,
        onEnd: () => {
          counter.release(client);
          stats.active--;
          live.delete(connection);
        },
      });
      live.add(connection);
      connection.start();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `ws://${hostPart}:${address.port}${path}`;
  log(logRecord('listening', { url }));

  return {
    url,
    port: address.port,
    stats: () => ({ ...stats }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of live)
        connection.shutdown(CloseCode.goingAway, 'relay shutting down');
      server.closeAllConnections();
      wss.close();
      // Sockets whose client does not answer the close frame are cut after a moment.
      const cut = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, 1_000);
      await closed;
      clearTimeout(cut);
    },
  };
}

/** What a RelayConnection needs from the relay. */
interface ConnectionContext {
  id: number;
  ws: WebSocket;
  client: string;
  destination: Destination;
  limits: RelayLimits;
  maxBuffered: number;
  log: RelayLogger;
  stats: RelayStats;
  /** Called once, when both sides are done. */
  onEnd: () => void;
}

/** One WebSocket piped to one TCP connection, with its limits and its back-pressure. */
class RelayConnection {
  readonly #c: ConnectionContext;
  readonly #started = Date.now();
  #tcp: Socket | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #ended = false;
  /** The reason recorded in the `closed` record: the first cause of the end. */
  #why: { reason: string; code: number } | undefined;

  constructor(context: ConnectionContext) {
    this.#c = context;
  }

  /** Logs `open`, connects to the destination and starts piping. */
  start(): void {
    const { id, ws, client, destination, limits, log } = this.#c;
    log(logRecord('open', { id, client, host: destination.host, port: destination.port }));

    const tcp = tcpConnect({ host: destination.host, port: destination.port });
    this.#tcp = tcp;
    tcp.setNoDelay(true);
    const connectTimer = setTimeout(() => {
      this.#fail(CloseCode.badGateway, 'connect timeout');
    }, limits.connectTimeoutMs);
    this.#armIdle();

    tcp.once('connect', () => {
      clearTimeout(connectTimer);
      log(logRecord('connected', { id, host: destination.host, port: destination.port }));
    });
    // Destination → client. Back-pressure: stop reading TCP while the WebSocket holds more than
    // maxBuffered unsent bytes; the send callbacks resume it once it drained.
    tcp.on('data', (chunk: Buffer) => {
      if (this.#ended) return;
      if (!this.#count('out', chunk.length)) return;
      ws.send(chunk, { binary: true }, () => {
        if (tcp.isPaused() && ws.bufferedAmount <= this.#c.maxBuffered / 2) tcp.resume();
      });
      if (ws.bufferedAmount > this.#c.maxBuffered) tcp.pause();
    });
    // The destination finished: after the bytes queued before it, a normal close (WebSocket has
    // no half-close, so this ends both directions).
    tcp.on('end', () => this.#finish(CloseCode.normal, 'destination closed'));
    tcp.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (!this.#ended) log(logRecord('error', { id, reason: error.code ?? error.message }));
      this.#fail(CloseCode.badGateway, error.code ?? 'destination error');
    });
    tcp.on('close', () => {
      clearTimeout(connectTimer);
      this.#finish(CloseCode.normal, 'destination closed');
    });

    // Client → destination. Back-pressure: stop reading the WebSocket while TCP's buffer is full
    // (net buffers writes made while connecting, under the same signal).
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.#ended) return;
      if (!isBinary) {
        this.#fail(CloseCode.unsupportedData, 'binary messages only');
        return;
      }
      const bytes = rawBytes(data);
      if (!this.#count('in', bytes.length)) return;
      if (!tcp.write(bytes) && !ws.isPaused) {
        ws.pause();
        tcp.once('drain', () => ws.resume());
      }
    });
    ws.on('close', (code: number) => {
      // The client is gone: half-close TCP so the destination sees the end after the bytes sent,
      // and cut it if it lingers.
      this.#record(code === CloseCode.normal ? 'client closed' : 'client closed abnormally', code);
      if (!tcp.destroyed) {
        tcp.end();
        setTimeout(() => tcp.destroy(), LINGER_MS).unref();
      }
      this.#end();
    });
    ws.on('error', (error: Error) => {
      this.#c.log(logRecord('error', { id, reason: `websocket: ${error.message}` }));
      this.#fail(CloseCode.policy, 'websocket error');
    });
  }

  /** Closes both sides, as when the relay shuts down. */
  shutdown(code: number, reason: string): void {
    this.#fail(code, reason);
  }

  /** Adds to a direction's count; past the cap, closes the connection and says false. */
  #count(direction: 'in' | 'out', length: number): boolean {
    this.#armIdle();
    let total: number;
    if (direction === 'in') {
      this.#bytesIn += length;
      this.#c.stats.bytesIn += length;
      total = this.#bytesIn;
    } else {
      this.#bytesOut += length;
      this.#c.stats.bytesOut += length;
      total = this.#bytesOut;
    }
    if (total <= this.#c.limits.maxBytesPerDirection) return true;
    this.#fail(CloseCode.policy, 'byte limit reached');
    return false;
  }

  /** (Re)starts the idle timer. */
  #armIdle(): void {
    if (this.#idle) {
      this.#idle.refresh();
      return;
    }
    this.#idle = setTimeout(
      () => this.#fail(CloseCode.policy, 'idle timeout'),
      this.#c.limits.idleTimeoutMs,
    );
  }

  /** Records the first cause of the end. */
  #record(reason: string, code: number): void {
    this.#why ??= { reason, code };
  }

  /** A clean end from the destination: close the WebSocket normally, after what is queued. */
  #finish(code: number, reason: string): void {
    this.#record(reason, code);
    const { ws } = this.#c;
    if (ws.readyState === ws.OPEN) ws.close(code, closeReason(reason));
    this.#end();
  }

  /** An end for cause: tear down TCP now and close the WebSocket with `code`. */
  #fail(code: number, reason: string): void {
    this.#record(reason, code);
    this.#tcp?.destroy();
    const { ws } = this.#c;
    if (ws.readyState === ws.OPEN) ws.close(code, closeReason(reason));
    else if (ws.readyState === ws.CONNECTING) ws.terminate();
    // A client that does not answer the close frame is cut after the linger time.
    setTimeout(() => ws.terminate(), LINGER_MS).unref();
    this.#end();
  }

  /** Logs `closed` and releases the slot, once. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#idle);
    const { id, log, onEnd } = this.#c;
    log(
      logRecord('closed', {
        id,
        reason: this.#why?.reason,
        code: this.#why?.code,
        bytesIn: this.#bytesIn,
        bytesOut: this.#bytesOut,
        durationMs: Date.now() - this.#started,
      }),
    );
    onEnd();
  }
}

/** The bytes of a `ws` message, whatever shape `ws` delivered them in. */
function rawBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function requestPath(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://relay').pathname;
}

function portOrUndefined(text: string | null): number | undefined {
  const port = Number(text);
  return Number.isSafeInteger(port) ? port : undefined;
}

/** Plain HTTP: 426 at the relay path (it speaks WebSocket only), 404 elsewhere. */
function answerPlainHttp(path: string) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const atPath = requestPath(request) === path;
    response.writeHead(atPath ? 426 : 404, {
      'content-type': 'text/plain; charset=utf-8',
      ...(atPath ? { upgrade: 'websocket' } : {}),
    });
    response.end(atPath ? 'webtls relay: WebSocket only\n' : 'not found\n');
  };
}

/** Command-line options, parsed. */
function parseArgs(argv: readonly string[]): RelayOptions {
  const allow: string[] = [];
  const origins: string[] = [];
  const limits: Partial<RelayLimits> = {};
  let listen = '127.0.0.1:8080';
  let path: string | undefined;
  const limitFlags: Record<string, keyof RelayLimits> = {
    '--max-connections': 'maxConnections',
    '--max-per-client': 'maxConnectionsPerClient',
    '--max-bytes': 'maxBytesPerDirection',
    '--idle-timeout-ms': 'idleTimeoutMs',
    '--connect-timeout-ms': 'connectTimeoutMs',
    '--max-message-bytes': 'maxMessageBytes',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (value === undefined) throw new RangeError(`relay: ${flag} needs a value`);
    i++;
    if (flag === '--listen') listen = value;
    else if (flag === '--allow') allow.push(value);
    else if (flag === '--origin') origins.push(value);
    else if (flag === '--path') path = value;
    else if (flag in limitFlags) limits[limitFlags[flag]] = Number(value);
    else throw new RangeError(`relay: unknown option ${flag}`);
  }
  if (allow.length === 0 && process.env.RELAY_ALLOW) allow.push(process.env.RELAY_ALLOW);
  if (allow.length === 0) throw new RangeError('relay: give at least one --allow HOST:PORT');
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`relay: --listen expects HOST:PORT, got ${listen}`);
  }
  return { allow, host, port, path, limits, origins: origins.length ? origins : undefined };
}

const USAGE = `usage: npx tsx workers/relay/node.ts --allow HOST:PORT [--allow ...] [options]
  --listen HOST:PORT        where to listen (default 127.0.0.1:8080)
  --allow ENTRY             allowlist entry: example.com:443, *.example.com:443,
                            127.0.0.1:8443, [::1]:8443, localhost:1024-65535
                            (or RELAY_ALLOW=comma,separated in the environment)
  --origin ORIGIN           only pages from this origin may connect (repeatable)
  --path PATH               WebSocket path (default /relay)
  --max-connections N       --max-per-client N     --max-bytes N (per direction)
  --idle-timeout-ms MS      --connect-timeout-ms MS   --max-message-bytes N
`;

/** The CLI: start, log JSON lines, stop on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let options: RelayOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const relay = await startRelay(options);
  const stop = () => {
    relay.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    const record: RelayLogRecord = logRecord('error', { reason: String(error) });
    stdoutLogger(record);
    process.exit(1);
  });
}
