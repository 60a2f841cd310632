/**
 * The WebSocket-to-TCP relay as a Cloudflare Worker: it accepts the WebSocket at `RELAY_PATH`
 * (default `/relay`) with `WebSocketPair`, checks `?host=&port=` against the allowlist in
 * `RELAY_ALLOW` (policy.ts; deny by default), opens TCP with `connect()` from
 * `cloudflare:sockets` and pipes bytes both ways. Logs are JSON lines on console.log (Workers
 * logs), never the bytes relayed. See docs/relay.md.
 *
 * Environment variables (all strings):
 * - `RELAY_ALLOW`: allowlist entries, comma separated (`example.com:443,*.example.net:443`).
 * - `RELAY_PATH`: the WebSocket path (default `/relay`).
 * - `RELAY_ORIGINS`: origins whose pages may connect, comma separated (default any).
 * - `RELAY_MAX_CONNECTIONS`, `RELAY_MAX_PER_CLIENT`, `RELAY_MAX_BYTES`, `RELAY_IDLE_TIMEOUT_MS`,
 *   `RELAY_CONNECT_TIMEOUT_MS`, `RELAY_MAX_MESSAGE_BYTES`: the limits (policy.ts). The
 *   connection caps count per isolate: Cloudflare runs many isolates, so they bound one
 *   isolate's load, not the whole deployment's.
 */
import { connect } from 'cloudflare:sockets';
import { loggableHost, logRecord, type RelayLogRecord } from './log.ts';
import {
  type AllowRule,
  CloseCode,
  ConnectionCounter,
  checkDestination,
  closeReason,
  type Destination,
  parseAllowlist,
  type RelayLimits,
  resolveLimits,
} from './policy.ts';

/** The Worker's bindings. */
export interface RelayEnv {
  RELAY_ALLOW?: string;
  RELAY_PATH?: string;
  RELAY_ORIGINS?: string;
  RELAY_MAX_CONNECTIONS?: string;
  RELAY_MAX_PER_CLIENT?: string;
  RELAY_MAX_BYTES?: string;
  RELAY_IDLE_TIMEOUT_MS?: string;
  RELAY_CONNECT_TIMEOUT_MS?: string;
  RELAY_MAX_MESSAGE_BYTES?: string;
}

/** The part of the Workers execution context the relay uses. */
interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

/** The server end of a Workers WebSocketPair. */
interface WorkersWebSocket {
  accept(): void;
  binaryType?: string;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

type WebSocketPairConstructor = new () => { 0: WorkersWebSocket; 1: WorkersWebSocket };

/** WebSocket readyState OPEN. */
const OPEN = 1;
/** Bytes written to TCP but not yet taken, before the client is cut (it cannot be paused). */
const MAX_PENDING_WRITE = 1024 * 1024;
/** How long a destination may take to close after the client did. */
const LINGER_MS = 5_000;

/** Settings read from the environment once per isolate (bindings do not change within one). */
interface Settings {
  rules: AllowRule[];
  path: string;
  origins: string[] | undefined;
  limits: RelayLimits;
  counter: ConnectionCounter;
}

let settings: Settings | undefined;
let nextId = 1;

function log(record: RelayLogRecord): void {
  console.log(JSON.stringify(record));
}

/** Reads the bindings into Settings; a bad allowlist or limit throws (and fails every request). */
function readSettings(env: RelayEnv): Settings {
  if (settings) return settings;
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const given: Partial<RelayLimits> = {
    maxConnections: number(env.RELAY_MAX_CONNECTIONS),
    maxConnectionsPerClient: number(env.RELAY_MAX_PER_CLIENT),
    maxBytesPerDirection: number(env.RELAY_MAX_BYTES),
    idleTimeoutMs: number(env.RELAY_IDLE_TIMEOUT_MS),
    connectTimeoutMs: number(env.RELAY_CONNECT_TIMEOUT_MS),
    maxMessageBytes: number(env.RELAY_MAX_MESSAGE_BYTES),
  };
  for (const key of Object.keys(given) as (keyof RelayLimits)[]) {
    if (given[key] === undefined) delete given[key];
  }
  const limits = resolveLimits(given);
  const origins = env.RELAY_ORIGINS?.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  settings = {
    rules: parseAllowlist(env.RELAY_ALLOW ?? ''),
    path: env.RELAY_PATH ?? '/relay',
    origins: origins?.length ? origins : undefined,
    limits,
    counter: new ConnectionCounter(limits),
  };
  return settings;
}

export default {
  /** Accepts relay WebSockets at the path; everything else is 404, plain HTTP there is 426. */
  async fetch(request: Request, env: RelayEnv, ctx: ExecutionContextLike): Promise<Response> {
    const config = readSettings(env);
    const url = new URL(request.url);
    if (url.pathname !== config.path) return new Response('not found\n', { status: 404 });
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('webtls relay: WebSocket only\n', {
        status: 426,
        headers: { upgrade: 'websocket' },
      });
    }

    const Pair = (globalThis as unknown as { WebSocketPair: WebSocketPairConstructor })
      .WebSocketPair;
    const pair = new Pair();
    const [client, server] = [pair[0], pair[1]];
    server.accept();
    // From some compatibility date on, binaryType defaults to 'blob' (as in the standard).
    server.binaryType = 'arraybuffer';
    const id = nextId++;
    const address = request.headers.get('cf-connecting-ip') ?? 'unknown';
    const query = url.searchParams;
    const refuse = (code: number, reason: string, destination?: Destination) => {
      log(
        logRecord('refused', {
          id,
          client: address,
          host: destination?.host ?? loggableHost(query.get('host')),
          port: destination?.port ?? (Number(query.get('port')) || undefined),
          reason,
          code,
        }),
      );
      server.close(code, closeReason(reason));
    };

    // 1. The page's origin, when the relay is limited to some.
    const origin = request.headers.get('origin');
    if (config.origins && !(origin && config.origins.includes(origin))) {
      refuse(CloseCode.policy, 'origin not allowed');
    } else {
      // 2. The destination; 3. capacity in this isolate.
      const verdict = checkDestination(config.rules, query);
      const slot = verdict.ok ? config.counter.admit(address) : undefined;
      if (!verdict.ok) refuse(CloseCode.policy, verdict.reason);
      else if (slot && !slot.ok) refuse(CloseCode.tryAgainLater, slot.reason, verdict.value);
      else {
        const piped = pipe(server, verdict.value, config.limits, id, address);
        ctx.waitUntil(piped.finally(() => config.counter.release(address)));
      }
    }
    return new Response(null, { status: 101, webSocket: client } as ResponseInit);
  },
};

/**
 * Connects to `destination` and pipes the WebSocket to it until either side ends or a limit is
 * hit. Resolves when the connection is over; never rejects.
 */
function pipe(
  ws: WorkersWebSocket,
  destination: Destination,
  limits: RelayLimits,
  id: number,
  client: string,
): Promise<void> {
  const started = Date.now();
  let bytesIn = 0;
  let bytesOut = 0;
  let pendingWrite = 0;
  let ended = false;
  let why: { reason: string; code: number } | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let finished!: () => void;
  const over = new Promise<void>((resolve) => {
    finished = resolve;
  });
  log(logRecord('open', { id, client, host: destination.host, port: destination.port }));

  let socket: ReturnType<typeof connect> | undefined;
  try {
    socket = connect(
      { hostname: destination.host, port: destination.port },
      { secureTransport: 'off', allowHalfOpen: true },
    );
  } catch (error) {
    log(logRecord('error', { id, reason: `connect: ${String(error)}` }));
    endWith(CloseCode.badGateway, 'connect failed');
    return over;
  }
  const tcp = socket;
  const writer = tcp.writable.getWriter();

  /** Logs `closed` once and lets the Worker finish. */
  function end(): void {
    if (ended) return;
    ended = true;
    clearTimeout(idle);
    log(
      logRecord('closed', {
        id,
        reason: why?.reason,
        code: why?.code,
        bytesIn,
        bytesOut,
        durationMs: Date.now() - started,
      }),
    );
    finished();
  }

  /** Closes the WebSocket with `code` (first cause wins), drops TCP, ends. */
  function endWith(code: number, reason: string): void {
    why ??= { reason, code };
    if (ws.readyState === OPEN) ws.close(code, closeReason(reason));
    socket?.close().catch(() => undefined);
    end();
  }

  function armIdle(): void {
    clearTimeout(idle);
    idle = setTimeout(() => endWith(CloseCode.policy, 'idle timeout'), limits.idleTimeoutMs);
  }

  /** Counts bytes in a direction; past the cap, ends the connection and says false. */
  function count(direction: 'in' | 'out', length: number): boolean {
    armIdle();
    const total = direction === 'in' ? bytesIn + length : bytesOut + length;
    if (direction === 'in') bytesIn = total;
    else bytesOut = total;
    if (total <= limits.maxBytesPerDirection) return true;
    endWith(CloseCode.policy, 'byte limit reached');
    return false;
  }

  armIdle();
  const connectTimer = setTimeout(
    () => endWith(CloseCode.badGateway, 'connect timeout'),
    limits.connectTimeoutMs,
  );
  tcp.opened.then(
    () => {
      clearTimeout(connectTimer);
      if (!ended)
        log(logRecord('connected', { id, host: destination.host, port: destination.port }));
    },
    (error: unknown) => {
      clearTimeout(connectTimer);
      if (ended) return;
      log(logRecord('error', { id, reason: `connect: ${String(error)}` }));
      endWith(CloseCode.badGateway, 'connect failed');
    },
  );

  // Client → destination. A Workers WebSocket cannot be paused, so the writes not yet taken by
  // TCP are counted and bounded instead.
  ws.addEventListener('message', (event) => {
    if (ended) return;
    if (!(event.data instanceof ArrayBuffer)) {
      endWith(CloseCode.unsupportedData, 'binary messages only');
      return;
    }
    const bytes = new Uint8Array(event.data);
    if (bytes.length > limits.maxMessageBytes) {
      endWith(CloseCode.tooBig, 'message too big');
      return;
    }
    if (!count('in', bytes.length)) return;
    pendingWrite += bytes.length;
    if (pendingWrite > MAX_PENDING_WRITE) {
      endWith(CloseCode.policy, 'destination too slow');
      return;
    }
    writer.write(bytes).then(
      () => {
        pendingWrite -= bytes.length;
      },
      () => endWith(CloseCode.badGateway, 'destination write failed'),
    );
  });
  ws.addEventListener('close', (event) => {
    // RFC 6455 §5.5.1: answer the client's close frame (workerd does so by itself only from the
    // web_socket_auto_reply_to_close compatibility flag on).
    try {
      ws.close(CloseCode.normal, 'client closed');
    } catch {
      // Already answered.
    }
    // The client is gone: half-close TCP after the bytes written, and drop it if it lingers.
    why ??= {
      reason: event.code === 1000 ? 'client closed' : 'client closed abnormally',
      code: event.code,
    };
    writer.close().catch(() => undefined);
    setTimeout(() => tcp.close().catch(() => undefined), LINGER_MS);
    end();
  });
  ws.addEventListener('error', () => endWith(CloseCode.policy, 'websocket error'));

  // Destination → client: read and send until TCP ends. A Workers WebSocket queues what it
  // sends without back-pressure; the per-direction byte cap bounds it.
  (async () => {
    const reader = tcp.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || ended) break;
      if (!count('out', value.length)) break;
      ws.send(value);
    }
    reader.releaseLock();
    if (!ended) endWith(CloseCode.normal, 'destination closed');
  })().catch((error: unknown) => {
    if (ended) return;
    log(logRecord('error', { id, reason: `destination: ${String(error)}` }));
    endWith(CloseCode.badGateway, 'destination error');
  });

  return over;
}
