/**
 * Dialling TCP with `Deno.connect`, as a webtls Transport. Deno is typed structurally here (as
 * src/deno/kv-store.ts types Deno KV), so this file type-checks under Node, which has no Deno
 * types, and loads in any runtime: the `Deno` global is looked up only when called.
 */
import { TlsError } from '../error.ts';
import { transportError } from '../streams/outbox.ts';
import { streamSocketTransport } from '../streams/stream-socket.ts';
import type { Transport } from '../streams/types.ts';

/** The parts of a `Deno.TcpConn` a transport uses. */
export interface DenoConnLike {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

/** The part of the `Deno` namespace this file uses: `Deno.connect` for TCP. */
export interface DenoNetLike {
  connect(options: { hostname: string; port: number; transport?: 'tcp' }): Promise<DenoConnLike>;
}

/** Options of {@link denoTcpTransport}. */
export interface DenoTcpOptions {
  /** Give up connecting after this many milliseconds (default 10 000). */
  timeoutMs?: number;
  /** The `Deno` namespace to dial with (default the global `Deno`). */
  deno?: DenoNetLike;
}

/**
 * Opens a TCP connection to `hostname:port` with `Deno.connect` and resolves with it as a
 * Transport once connected. Needs `--allow-net` for the destination. The transport owns the
 * connection: cancelling the readable or aborting the writable closes it, closing the writable
 * sends our FIN, and once both directions are done the connection is closed.
 *
 * @throws TlsError TRANSPORT when the connection is refused, on timeout, or outside Deno.
 */
export async function denoTcpTransport(
  hostname: string,
  port: number,
  options: DenoTcpOptions = {},
): Promise<Transport> {
  const deno = options.deno ?? (globalThis as { Deno?: DenoNetLike }).Deno;
  if (!deno || typeof deno.connect !== 'function') {
    throw new TlsError('TRANSPORT', 'tls: no Deno.connect in this runtime (pass options.deno)', {
      layer: 'transport',
    });
  }
  const label = `${hostname}:${port}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const dialling = deno.connect({ hostname, port, transport: 'tcp' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(
        new TlsError('TRANSPORT', `tls: connect to ${label} timed out after ${timeoutMs} ms`, {
          layer: 'transport',
        }),
      );
    }, timeoutMs);
  });
  // Deno.connect takes no abort signal: a connection that comes up after the timeout is closed.
  dialling.then(
    (conn) => {
      if (timedOut) closeQuietly(conn);
    },
    () => undefined,
  );
  let conn: DenoConnLike;
  try {
    conn = await Promise.race([dialling, timeout]);
  } catch (error) {
    if (error instanceof TlsError) throw error;
    throw transportError(`tls: connect to ${label} failed`, error);
  } finally {
    clearTimeout(timer);
  }
  conn.setNoDelay?.(true);
  return connTransport(conn, label);
}

/** Wraps a connected Deno connection; see {@link denoTcpTransport} for who closes what. */
function connTransport(conn: DenoConnLike, label: string): Transport {
  return streamSocketTransport(conn, { label, release: () => closeQuietly(conn) });
}

/** Closes `conn`, ignoring the error Deno throws for a resource already closed. */
function closeQuietly(conn: DenoConnLike): void {
  try {
    conn.close();
  } catch {
    // Already closed (Deno closes a connection whose readable reached its end).
  }
}
