/**
 * The JavaScript TLS libraries webtls is compared with (subtls, @reclaimprotocol/tls,
 * node-forge), and the node:tls and webtls clients run beside them, all in one shape: for a
 * certificate kind, a plan saying what the client negotiates and verifies, the node:tls server
 * it talks to, and a way to open the client over one end of an in-memory link
 * (bench/lib/duplex-pair.ts). The libraries are clients only; node:tls is every server.
 */
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { nodeTlsConn, settled } from './node-tls.ts';
import { pkiChainPem, pkiKeyPem } from './pki.ts';
import type { BenchConn, CertKind } from './types.ts';

/** How one client runs one certificate kind. */
export interface JsLibPlan {
  /** Protocol version, key exchange and suite it negotiates, for the results' notes. */
  protocol: string;
  /** What it checks of the server's certificate, for the notes. */
  verifies: string;
  /** The node:tls server this client can talk to (certificate, versions, suites). */
  server: tls.SecureContextOptions;
  /** Opens a client over the link: `opened` resolves when it can send application data. */
  client(link: Duplex): BenchConn;
}

/** A client library: its plan per certificate kind, or null where it cannot do that kind. */
export interface JsLib {
  name: string;
  /** Its version, for the notes. */
  version: string;
  plan(cert: CertKind): Promise<JsLibPlan | null>;
}

/**
 * The node:tls server of the benchmarks: the kind's chain (leaf first) and key, TLS 1.2 and 1.3
 * as Node 20 offers them by default, unless `extra` says otherwise.
 */
export function serverOptions(
  cert: CertKind,
  extra: tls.SecureContextOptions = {},
): tls.SecureContextOptions {
  return { cert: pkiChainPem(cert), key: pkiKeyPem(cert), ...extra };
}

/**
 * A node:tls server end over `link`: `opened` resolves when its handshake is complete (it has the
 * client's Finished), `read(n)` when n more bytes of application data have arrived.
 */
export function nodeTlsServer(link: Duplex, context: tls.SecureContext): BenchConn {
  const socket = new tls.TLSSocket(link, { isServer: true, secureContext: context });
  const opened = settled(socket, 'secure');
  opened.catch(() => undefined);
  return nodeTlsConn(socket, opened);
}

/**
 * Counts received bytes for a client adapter whose library hands it plaintext by callback:
 * `take` is called with each chunk, `read(n)` waits for n more bytes, `fail` ends every wait.
 */
export class Inbox {
  private received = 0;
  private wanted = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  take(bytes: number): void {
    this.received += bytes;
    if (this.received >= this.wanted) this.wake?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  async read(n: number): Promise<void> {
    this.wanted += n;
    while (this.received < this.wanted) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

/** Promise and its settle functions (Promise.withResolvers is Node 22). */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Sends `total` bytes from `client` to `server` in writes of `size`, each write awaited (as an
 * application minding back-pressure would), and resolves when the server has them all.
 */
export async function bulkSend(
  client: BenchConn,
  server: BenchConn,
  chunk: Uint8Array,
  total: number,
): Promise<void> {
  const arrived = server.read(total);
  for (let sent = 0; sent < total; sent += chunk.length) {
    await client.write(sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent));
  }
  await arrived;
}
