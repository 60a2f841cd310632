/**
 * A real redis-server for interop tests, on 127.0.0.1 and a free port, in a temporary directory,
 * without persistence; and a minimal RESP2 client over node:net to talk to it (no npm client).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Proc, startProc } from './proc.ts';

/** How long a command may wait for its reply before it rejects. */
const COMMAND_TIMEOUT_MS = 5_000;
/** The largest reply a test client buffers before it gives up on the connection. */
const MAX_BUFFERED = 1 << 20;

/** Sends one command and resolves with the reply (`null` for a nil reply). */
export type Command = (args: string[]) => Promise<unknown>;

/** One client connection. */
export interface RedisConnection {
  command: Command;
  /** Closes the connection; pending commands reject. */
  close(): void;
}

/** A running redis-server and a connection to it. */
export interface RedisServer {
  port: number;
  /** Sends a command on the server's shared connection. */
  command: Command;
  /** Opens another, separate connection (a second server of a fleet, say). */
  connect(): Promise<RedisConnection>;
  /** Stops the server, closes every connection it opened, removes its directory. */
  stop(): Promise<void>;
}

/** An error reply (`-ERR ...`) from Redis. */
export class RedisReplyError extends Error {}

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Encodes a command as a RESP array of bulk strings. */
function encode(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/**
 * Parses one RESP2 value at `offset`; returns it with the offset after it, or undefined when
 * more bytes are needed. Error replies come back as RedisReplyError values.
 */
function parse(buf: Buffer, offset: number): { value: unknown; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RedisReplyError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buf.length < after + length + 2) return undefined;
      return { value: buf.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: unknown[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** Opens a connection to 127.0.0.1:`port`; rejects when nothing listens there. */
export async function connectRedis(port: number): Promise<RedisConnection> {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const pending: { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }[] =
    [];
  let buffered = Buffer.alloc(0);
  let closed: Error | undefined;
  const failAll = (error: Error) => {
    closed ??= error;
    for (const p of pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length > MAX_BUFFERED) return failAll(new Error('redis: reply too large'));
    let offset = 0;
    for (;;) {
      let item: ReturnType<typeof parse>;
      try {
        item = parse(buffered, offset);
      } catch (error) {
        return failAll(error as Error);
      }
      if (!item) break;
      offset = item.next;
      const p = pending.shift();
      if (!p) return failAll(new Error('redis: reply without a command'));
      clearTimeout(p.timer);
      if (item.value instanceof RedisReplyError) p.reject(item.value);
      else p.resolve(item.value);
    }
    buffered = buffered.subarray(offset);
  });
  socket.on('error', (error) => failAll(error));
  socket.on('close', () => failAll(new Error('redis: connection closed')));

  const command: Command = (args) =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closed);
      const timer = setTimeout(
        () => failAll(new Error(`redis: no reply to ${args[0]} in ${COMMAND_TIMEOUT_MS} ms`)),
        COMMAND_TIMEOUT_MS,
      );
      pending.push({ resolve, reject, timer });
      socket.write(encode(args));
    });
  return { command, close: () => failAll(new Error('redis: connection closed by the client')) };
}

/**
 * Starts redis-server on 127.0.0.1 and a free port, with no persistence, in a fresh temporary
 * directory, and connects to it. Call `stop()` in afterAll.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'webtls-redis-'));
  const port = await freePort();
  const proc: Proc = startProc(
    'redis-server',
    ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--port', String(port)],
    { cwd: dir },
  );
  const connections: RedisConnection[] = [];
  const stop = async () => {
    for (const c of connections) c.close();
    proc.kill();
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await proc.waitFor(/Ready to accept connections/, { timeoutMs: 10_000 });
    const main = await connectRedis(port);
    connections.push(main);
    const pong = await main.command(['PING']);
    if (pong !== 'PONG') throw new Error(`redis: PING answered ${String(pong)}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    command: connections[0].command,
    connect: async () => {
      const c = await connectRedis(port);
      connections.push(c);
      return c;
    },
    stop,
  };
}
