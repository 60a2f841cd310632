/**
 * `webtls/web`: the browser entry. Today it offers the core API, which runs unchanged in pages,
 * Workers and Service Workers over any `{ readable, writable }` byte transport. The WebSocket
 * transport, the IndexedDB ticket store and the Service Worker helper arrive with the runtimes
 * and transports work (see the README's feature table).
 */
export * from '../index.ts';
