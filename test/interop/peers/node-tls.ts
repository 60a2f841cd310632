/** node:tls (Node's own OpenSSL build) as an interop peer, in-process. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type CertFiles, type GroupName, pem, ROOT, type SuiteName } from './pki.ts';

/** A node:tls echo server on 127.0.0.1. */
export interface NodeTlsServer {
  port: number;
  /** Per accepted connection: what the server saw. */
  seen: { alpn: string | false; servername: string | false; cipher: string }[];
  /** Messages of failed handshakes (`tlsClientError`), e.g. the alert a client sent. */
  clientErrors: string[];
  close(): Promise<void>;
}

/** Starts a TLS 1.3 echo server with node:tls on a free loopback port. */
export async function startNodeTlsServer(options: {
  cert: CertFiles;
  alpn?: string[];
}): Promise<NodeTlsServer> {
  const seen: NodeTlsServer['seen'] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      key: pem(options.cert.key),
      cert: pem(options.cert.chain),
      minVersion: 'TLSv1.3',
      ALPNProtocols: options.alpn,
    },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      seen.push({
        alpn: socket.alpnProtocol ?? false,
        servername: (socket as TLSSocket & { servername?: string | false }).servername ?? false,
        cipher: socket.getCipher().standardName,
      });
      socket.pipe(socket);
    },
  );
  const clientErrors: string[] = [];
  server.on('tlsClientError', (error) => clientErrors.push(error.message));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a node:tls client saw of one exchange. */
export interface NodeTlsClientResult {
  protocol: string | null;
  cipher: string;
  group: string | undefined;
  alpn: string | false;
  authorized: boolean;
  /** Everything the server sent back before closing. */
  received: string;
}

/**
 * Connects with node:tls (TLS 1.3 only, one group, one suite), verifies against the test root,
 * sends `message`, half-closes, and collects what comes back until the server closes.
 * Bounded by `timeoutMs`.
 */
export async function nodeTlsExchange(options: {
  port: number;
  group?: GroupName;
  suite?: SuiteName;
  alpn?: string[];
  serverName?: string;
  message: string;
  timeoutMs?: number;
}): Promise<NodeTlsClientResult> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port: options.port,
    servername: options.serverName ?? 'localhost',
    ca: pem(ROOT),
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ecdhCurve: options.group,
    ciphers: options.suite,
    ALPNProtocols: options.alpn,
  });
  const timer = setTimeout(
    () => socket.destroy(new Error('node:tls exchange timed out')),
    options.timeoutMs ?? 15_000,
  );
  try {
    await once(socket, 'secureConnect');
    const result: NodeTlsClientResult = {
      protocol: socket.getProtocol(),
      cipher: socket.getCipher().standardName,
      group: (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name,
      alpn: socket.alpnProtocol ?? false,
      authorized: socket.authorized,
      received: '',
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      result.received += chunk;
    });
    socket.write(options.message);
    // Wait for the echo, then close (close_notify); the server answers with its own.
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (!result.received.includes(options.message) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    socket.end();
    await once(socket, 'close');
    return result;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
