/**
 * The streams API: TLS over any transport that offers a pair of Web Streams, returned as a pair
 * of Web Streams, in the shape of `cloudflare:sockets`.
 */
export { accept, connect } from './connect.ts';
export { connectWithEchRetry } from './ech-retry.ts';
export { openTlsStream } from './tls-stream.ts';
export type { ConnectOptions, StreamOptions, TlsStream, Transport } from './types.ts';
