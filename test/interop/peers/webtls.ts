/** webtls itself as the side under test: in-process servers (accept()) and the CLI. */
import { join } from 'node:path';
import { certifiedKeyFromPem } from '../../../src/certified-key.ts';
import type { CertifiedKey, ServerConfig } from '../../../src/config.ts';
import type { ConnectionInfo } from '../../../src/conn/types.ts';
import { defaultProvider } from '../../../src/crypto/index.ts';
import type { CryptoProvider } from '../../../src/crypto/provider.ts';
import { type Listener, listen, tcpTransport } from '../../../src/node/index.ts';
import {
  accept,
  type ConnectOptions,
  connect,
  type TlsStream,
} from '../../../src/streams/index.ts';
import type { CertFiles } from './pki.ts';
import { pem, REPO } from './pki.ts';
import { type Proc, runProc, startProc } from './proc.ts';

/** The CLI entry point. */
export const WEBTLS_BIN = join(REPO, 'bin/webtls');

const latin1 = new TextDecoder('latin1');

/** Loads a certificate of the test PKI for a webtls server. */
export function loadCert(
  files: CertFiles,
  provider: CryptoProvider = defaultProvider(),
): Promise<CertifiedKey> {
  return certifiedKeyFromPem(pem(files.chain), pem(files.key), provider);
}

/** What the server saw of one connection. */
export interface ServerSession {
  info?: ConnectionInfo;
  received: string;
  error?: unknown;
}

/** Handles one accepted connection; the default echoes until the client closes. */
export type SessionHandler = (tls: TlsStream, session: ServerSession) => Promise<void>;

/** Echoes everything back; closes after the client's close_notify. */
export const echoHandler: SessionHandler = async (tls, session) => {
  const reader = tls.readable.getReader();
  const writer = tls.writable.getWriter();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    session.received += latin1.decode(value);
    await writer.write(value);
  }
  await writer.close();
  await tls.closed;
};

/** An in-process webtls server on 127.0.0.1. */
export interface WebtlsServer {
  port: number;
  /** One promise per accepted connection, settled when it ended. */
  sessions: Promise<ServerSession>[];
  /** The n-th session (0-based), waiting at most `timeoutMs` for it to arrive and end. */
  session(n: number, timeoutMs?: number): Promise<ServerSession>;
  close(): Promise<void>;
}

/** Starts accept() behind listen() on a free loopback port. */
export async function startWebtlsServer(
  config: ServerConfig,
  handler: SessionHandler = echoHandler,
): Promise<WebtlsServer> {
  const sessions: Promise<ServerSession>[] = [];
  const streams: TlsStream[] = [];
  const listener: Listener = await listen(0, '127.0.0.1', (transport) => {
    const tls = accept(transport, config);
    streams.push(tls);
    const session: ServerSession = { received: '' };
    const run = (async () => {
      try {
        session.info = await tls.opened;
        await handler(tls, session);
      } catch (error) {
        session.error = error;
        await tls.close();
      }
      return session;
    })();
    sessions.push(run);
  });
  return {
    port: listener.port,
    sessions,
    async session(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (sessions.length <= n) {
        if (Date.now() > deadline) throw new Error(`no connection #${n} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`connection #${n} did not end within ${timeoutMs} ms`)),
          Math.max(1, deadline - Date.now()),
        );
      });
      try {
        return await Promise.race([sessions[n], timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await listener.close();
      await Promise.all(streams.map((tls) => tls.close()));
    },
  };
}

/** What a webtls client saw of one exchange. */
export interface ClientExchange {
  info: ConnectionInfo;
  received: string;
}

/**
 * Connects through the streams API, sends `message`, then reads until `until` shows up in what
 * came back (or the server closes), then closes. Bounded by `timeoutMs`.
 */
export async function webtlsExchange(
  port: number,
  options: ConnectOptions,
  message: string,
  until: RegExp,
  timeoutMs = 15_000,
): Promise<ClientExchange> {
  const tls = connect(await tcpTransport('127.0.0.1', port), options);
  const timer = setTimeout(() => void tls.close(), timeoutMs);
  try {
    const info = await tls.opened;
    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode(message));
    const reader = tls.readable.getReader();
    let received = '';
    while (!until.test(received)) {
      const { value, done } = await reader.read();
      if (done) break;
      received += latin1.decode(value);
    }
    reader.releaseLock();
    writer.releaseLock();
    return { info, received };
  } finally {
    clearTimeout(timer);
    await tls.close();
  }
}

/** Starts `bin/webtls s_server` on 127.0.0.1:0 and waits for its ACCEPT line. */
export async function startWebtlsServerCli(args: string[]): Promise<{ proc: Proc; port: number }> {
  const proc = startProc(WEBTLS_BIN, ['s_server', '-accept', '127.0.0.1:0', ...args]);
  const match = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, {
    stream: 'stderr',
    timeoutMs: 60_000,
  });
  return { proc, port: Number(match[1]) };
}

/** Runs `bin/webtls s_client` with `input` on stdin to completion. */
export function runWebtlsClientCli(args: string[], input: string, timeoutMs = 60_000) {
  return runProc(WEBTLS_BIN, ['s_client', ...args], { input, timeoutMs });
}
