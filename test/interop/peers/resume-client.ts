/**
 * A webtls client that connects twice through the streams API: the first connection collects
 * the server's tickets, the second resumes one and (optionally) sends 0-RTT data. Used in
 * process against servers on 127.0.0.1, and as a script inside a network namespace next to a
 * server that binds every interface (gnutls-serv, bssl-tool server): `tsx resume-client.ts
 * '<ResumeCase JSON>'` prints one `RESULT {...}` line (a ResumeRun).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TlsError } from '../../../src/error.ts';
import { tcpTransport } from '../../../src/node/index.ts';
import { MemorySessionStore } from '../../../src/sessions/memory-store.ts';
import { connect, type TlsStream } from '../../../src/streams/index.ts';

/** What to do: where to connect, whom to trust, what to send early. */
export interface ResumeCase {
  port: number;
  /** PEM file of the trust anchor. */
  ca: string;
  /** SNI and the name verified (default localhost). */
  serverName?: string;
  /** 0-RTT data for the second connection (latin1 text). */
  earlyData?: string;
  /** Sent after each handshake (latin1 text). */
  message?: string;
  /** How long the first connection waits for a ticket (default 5000 ms). */
  ticketWaitMs?: number;
  /** How long the second connection stays open after its handshake (default 500 ms). */
  lingerMs?: number;
  /** Cap the version (default: TLS 1.3 and 1.2 offered). */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** One connection as the client saw it. */
export interface ResumeLeg {
  ok: boolean;
  protocol?: string;
  resumed?: boolean;
  helloRetry?: boolean;
  earlyData?: string;
  /** Sessions in the store when the connection ended. */
  sessions: number;
  received: string;
  code?: string;
  error?: string;
}

/** Both connections. */
export interface ResumeRun {
  first: ResumeLeg;
  second: ResumeLeg;
}

const latin1 = new TextDecoder('latin1');

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Reads in the background into `leg.received` until the stream ends. */
function drain(tls: TlsStream, leg: ResumeLeg): Promise<void> {
  const reader = tls.readable.getReader();
  return (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      leg.received += latin1.decode(value);
    }
  })().catch(() => undefined);
}

async function leg(
  c: ResumeCase,
  ca: string,
  store: MemorySessionStore,
  second: boolean,
): Promise<ResumeLeg> {
  const name = c.serverName ?? 'localhost';
  const result: ResumeLeg = { ok: false, sessions: 0, received: '' };
  let tls: TlsStream | undefined;
  try {
    tls = connect(await tcpTransport('127.0.0.1', c.port), {
      serverName: name,
      roots: [ca],
      sessionStore: store,
      maxVersion: c.maxVersion,
      earlyData: second && c.earlyData !== undefined ? bytes(c.earlyData) : undefined,
      resendEarlyData: false,
    });
    const info = await withTimeout(tls.opened, 15_000, 'handshake');
    result.protocol = info.protocol;
    result.resumed = info.resumed;
    result.helloRetry = info.helloRetry;
    result.earlyData = info.earlyData;
    const reading = drain(tls, result);
    if (c.message !== undefined) {
      const writer = tls.writable.getWriter();
      await writer.write(bytes(c.message));
      writer.releaseLock();
    }
    // 1. The first connection waits (bounded) for a ticket; the second lingers a little.
    const deadline = Date.now() + (second ? (c.lingerMs ?? 500) : (c.ticketWaitMs ?? 5000));
    while (Date.now() < deadline && (second || store.count(name) === 0)) await sleep(20);
    // 2. Close (close_notify), waiting briefly for the server's answer.
    await withTimeout(tls.close(), 5000, 'close').catch(() => undefined);
    await withTimeout(reading, 2000, 'end of data').catch(() => undefined);
    result.ok = true;
  } catch (error) {
    result.code = error instanceof TlsError ? error.code : undefined;
    result.error = error instanceof Error ? error.message : String(error);
    await tls?.close().catch(() => undefined);
  }
  result.sessions = store.count(name);
  return result;
}

/**
 * Connects twice to 127.0.0.1:port with one session store; the second connection resumes and
 * sends `earlyData` as 0-RTT (not sent again if rejected). Never throws: failures are in the legs.
 */
export async function connectTwice(c: ResumeCase): Promise<ResumeRun> {
  const ca = readFileSync(c.ca, 'utf8');
  const store = new MemorySessionStore();
  const first = await leg(c, ca, store, false);
  const second = await leg(c, ca, store, true);
  return { first, second };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = await connectTwice(JSON.parse(process.argv[2] ?? '{}') as ResumeCase);
  process.stdout.write(`RESULT ${JSON.stringify(run)}\n`);
  process.exit(0);
}
