/**
 * The client session store behind node:tls's `session` event and `session` option: one per
 * connection. The session given in the options is offered once; every session the server
 * issues is handed to `onSession` in webtls's portable encoding (which holds the secret: keep
 * it like a private key).
 */
import type { ClientSessionStore } from '../../sessions/client-store.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  type StoredSession,
} from '../../sessions/stored-session.ts';
import { invalidOption } from './options.ts';

export class SingleConnectionSessions implements ClientSessionStore {
  #offer: StoredSession | undefined;
  readonly #onSession: (encoded: Uint8Array) => void;

  /**
   * @param session a session from an earlier connection's `session` event, to resume
   * @throws Error ERR_INVALID_ARG_VALUE when `session` is not such a session
   */
  constructor(session: Uint8Array | undefined, onSession: (encoded: Uint8Array) => void) {
    if (session !== undefined) {
      try {
        this.#offer = decodeStoredSession(session);
      } catch (cause) {
        const error = invalidOption('options.session is not a session from a webtls TLSSocket');
        error.cause = cause;
        throw error;
      }
    }
    this.#onSession = onSession;
  }

  async put(_key: string, session: StoredSession): Promise<void> {
    this.#onSession(encodeStoredSession(session));
  }

  async take(_key: string): Promise<StoredSession | undefined> {
    const offer = this.#offer;
    this.#offer = undefined;
    return offer;
  }
}
