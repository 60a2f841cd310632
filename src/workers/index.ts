/**
 * `webtls/workers`: the Cloudflare Workers entry. The core API (pass it the `{ readable,
 * writable }` of a `cloudflare:sockets` socket), plus state kept beyond one isolate:
 * {@link WorkersKvSessionStore} (client sessions in KV; single use only within an isolate),
 * {@link TlsStateObject}, a Durable Object holding client sessions and 0-RTT anti-replay claims,
 * and its adapters {@link DurableObjectSessionStore} and {@link DurableObjectAntiReplayStore}
 * (single use and anti-replay across isolates), and TLS over `cloudflare:sockets`:
 * {@link connectTls} (pass it `connect` from `cloudflare:sockets`) and
 * {@link workersSocketTransport}.
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
export {
  connectTls,
  type SocketAddressLike,
  type SocketOptionsLike,
  type WorkersConnectLike,
  type WorkersConnectTlsOptions,
  type WorkersSocketLike,
  type WorkersSocketTransportOptions,
  workersSocketTransport,
} from './socket.ts';
