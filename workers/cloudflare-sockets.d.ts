/**
 * The part of the Workers runtime module `cloudflare:sockets` the Workers here use (the relay
 * and the fetch example), for tsc: the repository does not install the Workers type package.
 * In a project that has `@cloudflare/workers-types`, leave this file out.
 */
declare module 'cloudflare:sockets' {
  /** Opens a TCP connection to `address`; `secureTransport: 'off'` leaves TLS to webtls. */
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
