/**
 * `webtls/node`: Node transports for the streams API.
 */

export { loadBrotliNode } from './brotli.ts';
export { type Listener, listen, type PeerAddress } from './listen.ts';
export { platformVerifier } from './platform-verifier.ts';
export { socketTransport } from './socket-transport.ts';
export { type SystemStore, systemRoots } from './system-roots.ts';
export { type TcpOptions, tcpTransport } from './tcp.ts';
