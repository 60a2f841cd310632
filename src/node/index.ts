/**
 * `webtls/node`: Node transports for the streams API.
 */
export { type Listener, listen, type PeerAddress } from './listen.ts';
export { socketTransport } from './socket-transport.ts';
export { type TcpOptions, tcpTransport } from './tcp.ts';
