/**
 * Adversarial peers for the DoS suite: raw-socket attackers that speak TLS record framing by
 * hand, a real webtls client driven through the sans-IO API (so it holds keys and can misbehave
 * after a real handshake), an attacked webtls server that records how many peer bytes each
 * connection held, and the timing of a well-behaved handshake served at the same time.
 */
import net from 'node:net';
import type { ClientConfig, ServerConfig } from '../../../src/config.ts';
import { ClientConnection } from '../../../src/conn/client.ts';
import { ServerConnection } from '../../../src/conn/server.ts';
import type { TlsError } from '../../../src/error.ts';
import { tcpTransport } from '../../../src/node/index.ts';
import { socketTransport } from '../../../src/node/socket-transport.ts';
import type { RecordLayer } from '../../../src/record/layer.ts';
import { connect, openTlsStream, type StreamOptions } from '../../../src/streams/index.ts';
import { pem, ROOT } from './pki.ts';

/** Record content types (RFC 8446 §5.1). */
export const CT = { ccs: 20, alert: 21, handshake: 22, appData: 23 } as const;

/** Alert descriptions the suite expects (RFC 8446 §6). */
export const Alert = {
  unexpected_message: 10,
  record_overflow: 22,
  decode_error: 50,
  user_canceled: 90,
  unrecognized_name: 112,
} as const;

/** Frames one plaintext record: type, legacy_record_version 0x0303, length, payload. */
export function record(type: number, payload: Uint8Array | number[]): Uint8Array {
  const body = Uint8Array.from(payload);
  const out = new Uint8Array(5 + body.length);
  out.set([type, 3, 3, body.length >> 8, body.length & 0xff]);
  out.set(body, 5);
  return out;
}

/** The whole records in `bytes` (a trailing partial record is left out). */
export function parseRecords(bytes: Uint8Array): { type: number; payload: Uint8Array }[] {
  const out: { type: number; payload: Uint8Array }[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const length = (bytes[at + 3] << 8) | bytes[at + 4];
    if (at + 5 + length > bytes.length) break;
    out.push({ type: bytes[at], payload: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** The description of the first plaintext alert record in `bytes`, if there is one. */
export function plaintextAlert(bytes: Uint8Array): number | undefined {
  const alert = parseRecords(bytes).find((r) => r.type === CT.alert && r.payload.length === 2);
  return alert?.payload[1];
}

/** Splits every plaintext handshake record into records of one byte each. */
export function oneByteHandshakeRecords(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of parseRecords(bytes)) {
    if (r.type !== CT.handshake) parts.push(record(r.type, r.payload));
    else for (const b of r.payload) parts.push(record(CT.handshake, [b]));
  }
  return Buffer.concat(parts);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP socket whose received bytes are kept, with its end observed. */
export class RawSocket {
  readonly received: Buffer[] = [];
  /** When the peer closed the connection (performance.now()), once it has. */
  closedAt: number | undefined;
  readonly closed: Promise<void>;
  private wake: (() => void) | undefined;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      this.notify();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closedAt = performance.now();
        this.notify();
        resolve();
      }),
    );
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  get bytes(): Uint8Array {
    return Buffer.concat(this.received);
  }

  /** Writes unless the connection is gone (an attacker does not care). */
  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Takes everything received so far. */
  take(): Uint8Array {
    const out = Buffer.concat(this.received);
    this.received.length = 0;
    return out;
  }

  /** Waits for more bytes or the close, at most until `deadline` (performance.now()). */
  async waitData(deadline: number): Promise<void> {
    if (this.received.length > 0 || this.closedAt !== undefined) return;
    const left = deadline - performance.now();
    if (left <= 0) throw new Error('timed out waiting for the peer');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Waits for the peer to close, at most `ms`; true if it did. */
  async waitClosed(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const done = await Promise.race([this.closed.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The client configuration every well-behaved and driven client uses. */
export function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { roots: [pem(ROOT)], ...extra };
}

/**
 * A real webtls client engine driven by hand over a raw socket: it completes real handshakes
 * (so it holds keys) and then misbehaves on purpose, or its output is rewritten on the way.
 */
export class DrivenClient {
  readonly engine: ClientConnection;

  private constructor(
    readonly raw: RawSocket,
    config: ClientConfig,
  ) {
    this.engine = new ClientConnection(config, { serverName: 'localhost' });
  }

  static async connect(port: number, config: ClientConfig = clientConfig()): Promise<DrivenClient> {
    return new DrivenClient(await RawSocket.connect(port), config);
  }

  /** Connects and completes a handshake. */
  static async connected(port: number, config?: ClientConfig): Promise<DrivenClient> {
    const c = await DrivenClient.connect(port, config);
    await c.handshake();
    return c;
  }

  /** Runs the engine and writes what it produced, through `rewrite` when given. */
  async flush(rewrite?: (bytes: Uint8Array) => Uint8Array): Promise<void> {
    await this.engine.process();
    for (let out = this.engine.takeTls(); out; out = this.engine.takeTls()) {
      this.raw.send(rewrite ? rewrite(out) : out);
    }
  }

  /** Completes the handshake (bounded by `timeoutMs`). */
  async handshake(timeoutMs = 5000, rewrite?: (bytes: Uint8Array) => Uint8Array): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    await this.flush(rewrite);
    while (!this.engine.handshakeComplete) {
      if (this.raw.closedAt !== undefined && this.raw.received.length === 0) {
        throw new Error('server closed during the handshake');
      }
      await this.raw.waitData(deadline);
      this.engine.readTls(this.raw.take());
      await this.flush(rewrite);
    }
  }

  /** Sends records through the engine's own record layer (so they are protected), bypassing
   * the checks the public API makes: the misbehaving peer's side, not the side under test. */
  async sendRecord(type: number, payload: Uint8Array): Promise<void> {
    const layer = (this.engine as unknown as { records: RecordLayer }).records;
    layer.queue(type, payload);
    await this.engine.flush();
    for (let out = this.engine.takeTls(); out; out = this.engine.takeTls()) this.raw.send(out);
  }

  /**
   * Waits (at most `ms`) for the server to close, then decrypts what it sent and returns the
   * error the engine raised for it (a PEER_ALERT carries the alert), or undefined.
   */
  async serverVerdict(ms = 5000): Promise<TlsError | undefined> {
    await this.raw.waitClosed(ms);
    this.engine.readTls(this.raw.take());
    try {
      await this.engine.process();
      return undefined;
    } catch (error) {
      return error as TlsError;
    }
  }
}

/** What an attacked server saw of one connection. */
export interface ServedConnection {
  engine: ServerConnection;
  /** The error that ended it, once it ended with one. */
  error: TlsError | undefined;
  /** When it ended (performance.now()). */
  endedAt: number | undefined;
  ended: Promise<void>;
  /** The most peer bytes the engine held at once, by kind. */
  peak: { records: number; handshake: number; plaintext: number };
  handshakeDone: boolean;
}

/** A webtls server (listen + openTlsStream over a ServerConnection) under attack. */
export interface AttackedServer {
  port: number;
  served: ServedConnection[];
  /** The n-th connection (0-based), waiting at most `ms` for it to arrive. */
  connection(n: number, ms?: number): Promise<ServedConnection>;
  close(): Promise<void>;
}

/** Starts the attacked server: each connection handshakes, then echoes until closed. */
export async function startAttackedServer(
  config: ServerConfig,
  options: StreamOptions = {},
): Promise<AttackedServer> {
  const served: ServedConnection[] = [];
  const closers: (() => Promise<void>)[] = [];
  const sockets = new Set<net.Socket>();
  // node:net directly (not listen()) so that close() can destroy what an attack left open.
  const listener = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const transport = socketTransport(socket);
    const engine = new ServerConnection(config);
    const peak = { records: 0, handshake: 0, plaintext: 0 };
    const sample = () => {
      const b = engine.bufferedBytes;
      peak.records = Math.max(peak.records, b.records);
      peak.handshake = Math.max(peak.handshake, b.handshake);
      peak.plaintext = Math.max(peak.plaintext, b.plaintext);
    };
    // Sample at the two moments the engine holds the most: right after bytes arrive and
    // around each processing pass.
    const readTls = engine.readTls.bind(engine);
    engine.readTls = (data) => {
      readTls(data);
      sample();
    };
    const process = engine.process.bind(engine);
    engine.process = async () => {
      try {
        await process();
      } finally {
        sample();
      }
    };
    const tls = openTlsStream(engine, transport, options);
    const entry: ServedConnection = {
      engine,
      error: undefined,
      endedAt: undefined,
      ended: Promise.resolve(),
      peak,
      handshakeDone: false,
    };
    entry.ended = (async () => {
      try {
        await tls.opened;
        entry.handshakeDone = true;
        const reader = tls.readable.getReader();
        const writer = tls.writable.getWriter();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          await writer.write(value);
        }
        await writer.close();
        await tls.closed;
      } catch (error) {
        entry.error = error as TlsError;
        await tls.close();
      } finally {
        entry.endedAt = performance.now();
      }
    })();
    served.push(entry);
    closers.push(() => tls.close());
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    served,
    async connection(n, ms = 5000) {
      const deadline = performance.now() + ms;
      while (served.length <= n) {
        if (performance.now() > deadline) throw new Error(`no connection #${n} within ${ms} ms`);
        await sleep(5);
      }
      return served[n];
    },
    async close() {
      const closing = new Promise<void>((resolve) => listener.close(() => resolve()));
      await Promise.race([Promise.all(closers.map((close) => close())), sleep(2000)]);
      for (const socket of sockets) socket.destroy();
      await closing;
    },
  };
}

/** One well-behaved handshake through connect(); returns how long it took in ms. */
export async function timedHandshake(port: number): Promise<number> {
  const start = performance.now();
  const tls = connect(await tcpTransport('127.0.0.1', port), {
    serverName: 'localhost',
    ...clientConfig(),
  });
  try {
    await tls.opened;
    return performance.now() - start;
  } finally {
    await tls.close();
  }
}

/**
 * The bound a well-behaved handshake must meet while an attack runs: twice the slowest of a few
 * baseline handshakes against the same server (after one warm-up), and never below `floorMs`.
 */
export async function handshakeBound(port: number, runs = 3, floorMs = 500): Promise<number> {
  await timedHandshake(port);
  let slowest = 0;
  for (let i = 0; i < runs; i++) slowest = Math.max(slowest, await timedHandshake(port));
  return Math.max(2 * slowest, floorMs);
}
