/**
 * `webtls/deno`: the Deno entry. It offers the core API, which runs unchanged in Deno over any
 * `{ readable, writable }` byte transport, and {@link DenoKvSessionStore}, a client ticket store
 * in Deno KV whose tickets are single-use across every isolate sharing the KV. Opening the KV is
 * the caller's (`await Deno.openKv()`; Deno 2 needs `--unstable-kv` for it). For the client,
 * {@link denoTcpTransport} dials TCP with `Deno.connect`.
 */
export * from '../index.ts';
export {
  DenoKvSessionStore,
  type DenoKvSessionStoreOptions,
  type KvAtomic,
  type KvEntry,
  type KvKey,
  type KvKeyPart,
  type KvLike,
} from './kv-store.ts';
export {
  type DenoConnLike,
  type DenoNetLike,
  type DenoTcpOptions,
  denoTcpTransport,
} from './tcp.ts';
