/**
 * `webtls/web`: the browser entry. It offers the core API, which runs unchanged in pages,
 * Workers and Service Workers over any `{ readable, writable }` byte transport, and
 * {@link IndexedDbSessionStore}, a client ticket store in IndexedDB whose tickets are single-use
 * across every tab and worker of an origin. The WebSocket transport and the Service Worker helper
 * arrive with the runtimes and transports work (see the README's feature table).
 */
export * from '../index.ts';
export { IndexedDbSessionStore, type IndexedDbSessionStoreOptions } from './indexeddb-store.ts';
