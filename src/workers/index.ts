/**
 * `webtls/workers`: the Cloudflare Workers entry. Today it offers the core API; pass it the
 * `{ readable, writable }` of a `cloudflare:sockets` socket. The `connect()` transport helper and
 * the KV and Durable Object stores arrive with the runtimes and transports work (see the
 * README's feature table).
 */
export * from '../index.ts';
