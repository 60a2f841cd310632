/**
 * A webtls client with Encrypted Client Hello, for servers that bind every interface (bssl-tool
 * server) and so run in a private network namespace with the client next to them: `tsx
 * ech-client.ts '<EchCase JSON>'` prints one `RESULT {...}` line (an EchRun). One or two
 * connections through the streams API:
 * - `next: 'retry'`: when the first is rejected with ECH_REQUIRED and retry configurations
 *   (draft-ietf-tls-esni §6.1.6), the second offers those configurations;
 * - `next: 'resume'`: the second resumes the first's session with one session store and sends
 *   `earlyData` as 0-RTT inside ECH.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TlsError } from '../../../src/error.ts';
import { tcpTransport } from '../../../src/node/index.ts';
import { MemorySessionStore } from '../../../src/sessions/memory-store.ts';
import { connect, type TlsStream } from '../../../src/streams/index.ts';
import { toBase64 } from '../../../src/util/bytes.ts';

/** Where to connect, with which ECHConfigList, and what to do after the first connection. */
export interface EchCase {
  port: number;
  /** PEM file of the trust anchor. */
  ca: string;
  /** The inner SNI, verified against the certificate (default localhost). */
  serverName?: string;
  /** The ECHConfigList in base64. */
  configList: string;
  /** Sent after each handshake (latin1 text). */
  message?: string;
  next?: 'retry' | 'resume';
  /** With `next: 'resume'`: 0-RTT data for the second connection (latin1 text). */
  earlyData?: string;
}

/** One connection as the client saw it. */
export interface EchLeg {
  ok: boolean;
  ech?: string;
  resumed?: boolean;
  earlyData?: string;
  /** Sessions in the store when the connection ended. */
  sessions: number;
  code?: string;
  error?: string;
  /** With ECH_REQUIRED: the server's retry configurations in base64 (absent: none sent). */
  retryConfigs?: string;
}

/** The connections made. */
export interface EchRun {
  first: EchLeg;
  second?: EchLeg;
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

async function leg(
  c: EchCase,
  configList: string,
  store: MemorySessionStore,
  earlyData: string | undefined,
  waitForTicket: boolean,
): Promise<EchLeg> {
  const name = c.serverName ?? 'localhost';
  const result: EchLeg = { ok: false, sessions: 0 };
  let tls: TlsStream | undefined;
  try {
    tls = connect(await tcpTransport('127.0.0.1', c.port), {
      serverName: name,
      roots: [readFileSync(c.ca, 'utf8')],
      sessionStore: store,
      ech: { configList },
      earlyData: earlyData === undefined ? undefined : latin1(earlyData),
      resendEarlyData: false,
    });
    const info = await bounded(tls.opened, 15_000, 'handshake');
    result.ech = info.ech;
    result.resumed = info.resumed;
    result.earlyData = info.earlyData;
    const reader = tls.readable.getReader();
    const reading = (async () => {
      while (!(await reader.read()).done);
    })().catch(() => undefined);
    if (c.message !== undefined) {
      const writer = tls.writable.getWriter();
      await writer.write(latin1(c.message));
      writer.releaseLock();
    }
    // 1. A first connection to resume later waits (bounded) for a ticket; others linger briefly.
    const deadline = Date.now() + (waitForTicket ? 5000 : 500);
    while (Date.now() < deadline && (!waitForTicket || store.count(name) === 0)) await sleep(20);
    // 2. Close (close_notify), waiting briefly for the server's answer.
    await bounded(tls.close(), 5000, 'close').catch(() => undefined);
    await bounded(reading, 2000, 'end of data').catch(() => undefined);
    result.ok = true;
  } catch (error) {
    result.code = error instanceof TlsError ? error.code : undefined;
    result.error = error instanceof Error ? error.message : String(error);
    if (error instanceof TlsError && error.echRetryConfigs) {
      result.retryConfigs = toBase64(error.echRetryConfigs);
    }
    await tls?.close().catch(() => undefined);
  }
  result.sessions = store.count(name);
  return result;
}

/** Runs the case. Never throws: failures are in the legs. */
export async function runEchCase(c: EchCase): Promise<EchRun> {
  const store = new MemorySessionStore();
  const first = await leg(c, c.configList, store, undefined, c.next === 'resume');
  if (c.next === 'retry') {
    if (first.code !== 'ECH_REQUIRED' || !first.retryConfigs) return { first };
    return { first, second: await leg(c, first.retryConfigs, store, undefined, false) };
  }
  if (c.next === 'resume') {
    return { first, second: await leg(c, c.configList, store, c.earlyData, false) };
  }
  return { first };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = await runEchCase(JSON.parse(process.argv[2] ?? '{}') as EchCase);
  process.stdout.write(`RESULT ${JSON.stringify(run)}\n`);
  process.exit(0);
}
