/**
 * The part of the Workers runtime module `cloudflare:sockets` the relay Worker uses, for tsc
 * (the repository does not install the Workers type package; with `@cloudflare/workers-types`,
 * delete this file).
 */
declare module 'cloudflare:sockets' {
  /** Opens a TCP connection to `address`. */
  export function connect(
    address: { hostname: string; port: number } | string,
    options?: { secureTransport?: 'off' | 'on' | 'starttls'; allowHalfOpen?: boolean },
  ): {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly opened: Promise<unknown>;
    readonly closed: Promise<void>;
    close(): Promise<void>;
  };
}
