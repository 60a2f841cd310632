/**
 * `webtls/node`: Node transports for the streams API, and the node:crypto provider.
 */

export { loadBrotliNode } from './brotli.ts';
export { type Listener, listen, type PeerAddress } from './listen.ts';
export { platformVerifier } from './platform-verifier.ts';
export { type NodeProviderOptions, nodeProvider } from './provider/index.ts';
export { socketTransport } from './socket-transport.ts';
export { type SystemStore, systemRoots } from './system-roots.ts';
export { type TcpOptions, tcpTransport } from './tcp.ts';
export * as tls from './tls/index.ts';
