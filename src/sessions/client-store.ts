import type { StoredSession } from './stored-session.ts';

/**
 * Where a client keeps sessions between connections, for TLS 1.2 (session IDs, RFC 5077
 * tickets) and TLS 1.3 (RFC 8446 §4.6.1 tickets) alike. Asynchronous, so a store can live in
 * IndexedDB, a KV namespace or a file.
 *
 * The key is the server name the connection was made to (`serverName` of the connection: the
 * DNS name, or the IP address in text form), exactly as given. It does not include the port:
 * the engine is sans-IO and never learns it. A session offered to another service under the
 * same name costs one wasted ticket (that server cannot open it and a full handshake follows);
 * it cannot authenticate the wrong server, because a server can only resume a session whose
 * secret it holds, and before offering a session the client checks its certificate chain again
 * with the connection's own verifier. Callers that want per-port sessions can wrap a store and
 * fold the port into the key.
 *
 * Sessions hold secrets (see {@link StoredSession}): a store must keep them as private as keys.
 */
export interface ClientSessionStore {
  /**
   * Adds a session under `key`. A store keeps several per key (a server may issue more than one
   * ticket) and bounds how many, dropping the oldest first.
   */
  put(key: string, session: StoredSession): Promise<void>;
  /**
   * Removes and returns the newest session under `key`, or undefined. Removal is part of the
   * same operation, so two connections never get the same session: a ticket is used at most
   * once (RFC 8446 §C.4; RFC 5077 tickets are single-use here too).
   */
  take(key: string): Promise<StoredSession | undefined>;
}
