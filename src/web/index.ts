/**
 * `webtls/web`: the browser entry. It offers the core API, which runs unchanged in pages,
 * Workers and Service Workers over any `{ readable, writable }` byte transport, and
 * {@link IndexedDbSessionStore}, a client ticket store in IndexedDB whose tickets are single-use
 * across every tab and worker of an origin, and WebSocket transports (directly, or to any
 * TCP destination through a webtls relay).
 */
export * from '../index.ts';
export { IndexedDbSessionStore, type IndexedDbSessionStoreOptions } from './indexeddb-store.ts';
export {
  fromWebSocket,
  relayTransport,
  type WebSocketConstructorLike,
  type WebSocketLike,
  type WebSocketTransportOptions,
  webSocketTransport,
} from './websocket.ts';
