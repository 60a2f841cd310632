/**
 * Sessions and tickets, for both versions: where a client keeps sessions, how a server seals
 * or caches them, and how a server accepts each ticket's 0-RTT data at most once.
 */
export {
  type AntiReplayStore,
  MemoryAntiReplayStore,
  type MemoryAntiReplayStoreOptions,
} from './anti-replay.ts';
export type { ClientSessionStore } from './client-store.ts';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.ts';
export {
  RedisAntiReplayStore,
  type RedisAntiReplayStoreOptions,
  type RedisCommand,
} from './redis-anti-replay.ts';
export {
  MemorySessionCache,
  type MemorySessionCacheOptions,
  type ServerSessionCache,
} from './session-cache.ts';
export {
  decodeStoredSession,
  encodeStoredSession,
  type StoredSession,
  sessionFromPem,
  sessionToPem,
  sessionUsable,
} from './stored-session.ts';
export {
  AeadTicketer,
  type AeadTicketerOptions,
  derivedTicketKeys,
  RotatingTicketKeys,
  type Ticketer,
  type TicketKey,
  type TicketKeySource,
} from './ticketer.ts';
