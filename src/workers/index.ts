/**
 * `webtls/workers`: the Cloudflare Workers entry. The core API (pass it the `{ readable,
 * writable }` of a `cloudflare:sockets` socket), plus state kept beyond one isolate:
 * {@link WorkersKvSessionStore} (client sessions in KV; single use only within an isolate),
 * {@link TlsStateObject}, a Durable Object holding client sessions and 0-RTT anti-replay claims,
 * and its adapters {@link DurableObjectSessionStore} and {@link DurableObjectAntiReplayStore}
 * (single use and anti-replay across isolates). The `connect()` transport helper arrives with
 * the runtimes and transports work (see the README's feature table).
 */
export * from '../index.ts';
export {
  DurableObjectAntiReplayStore,
  DurableObjectSessionStore,
  type DurableObjectStateLike,
  type DurableObjectStorageLike,
  type DurableObjectStubLike,
  type StubFor,
  type StubResponseLike,
  TlsStateObject,
} from './durable-object.ts';
export {
  type KvNamespaceLike,
  WorkersKvSessionStore,
  type WorkersKvSessionStoreOptions,
} from './kv-store.ts';
