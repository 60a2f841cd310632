import { TlsError } from '../error.ts';
import type { ClientSessionStore } from '../sessions/client-store.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  type StoredSession,
  sessionUsable,
} from '../sessions/stored-session.ts';

/** Options of an {@link IndexedDbSessionStore}. */
export interface IndexedDbSessionStoreOptions {
  /** The database's name (default `webtls-sessions`); stores with different names share nothing. */
  dbName?: string;
  /** Sessions kept per server name; the oldest goes first (default 4). */
  maxPerKey?: number;
  /** Server names kept; the one least recently given a session goes first (default 256). */
  maxKeys?: number;
  /** The IndexedDB factory (default `globalThis.indexedDB`). */
  indexedDB?: IDBFactory;
}

/** The schema version this file creates; a database at another version is refused. */
const DB_VERSION = 1;
/** Sessions, keyed by an auto-incremented id: a larger id is a newer session. */
const SESSIONS = 'sessions';
/** The sessions store's index on [server name, id], for newest- or oldest-first walks. */
const BY_NAME = 'byName';
/** One record per server name, with the id of its latest put, for evicting names. */
const NAMES = 'names';
/** The names store's index on that id: its first entry is the least recently used name. */
const BY_TOUCHED = 'byTouched';

/** A row of the sessions store. `id` is assigned by the store on add. */
interface SessionRow {
  id?: number;
  name: string;
  /** The session in its portable encoding (`encodeStoredSession`). */
  data: Uint8Array;
}

/** A row of the names store. */
interface NameRow {
  name: string;
  /** The id of the newest session put under this name. */
  touched: number;
}

/**
 * A {@link ClientSessionStore} in IndexedDB, for pages, dedicated and shared Workers and Service
 * Workers. Every page and worker of one origin that opens the same `dbName` shares its sessions.
 *
 * Single use across all of them: `take()` reads the newest session for a name and deletes it in
 * one readwrite transaction, and IndexedDB runs readwrite transactions over the same object store
 * one after another, also between tabs, so two connections racing for one ticket never both get
 * it (RFC 8446 §C.4). The removal is committed with `durability: 'strict'`, so a crash right
 * after cannot bring a spent ticket back.
 *
 * Sessions are stored in their portable encoding and hold the session secrets: anything running
 * in the origin can read them, like any other IndexedDB data of that origin.
 *
 * Errors (no IndexedDB, a refused or failed open, a failed transaction) reject with a
 * {@link TlsError} of layer `app`: code `CONFIG` when the runtime has no IndexedDB, otherwise
 * `INTERNAL_ERROR` with the DOMException as `cause`.
 */
export class IndexedDbSessionStore implements ClientSessionStore {
  private readonly dbName: string;
  private readonly maxPerKey: number;
  private readonly maxKeys: number;
  private readonly factory: IDBFactory | undefined;
  /** The open connection, shared by all operations; dropped when the database goes away. */
  private db: Promise<IDBDatabase> | undefined;

  constructor(options: IndexedDbSessionStoreOptions = {}) {
    this.dbName = options.dbName ?? 'webtls-sessions';
    this.maxPerKey = Math.max(1, options.maxPerKey ?? 4);
    this.maxKeys = Math.max(1, options.maxKeys ?? 256);
    this.factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  }

  /**
   * Adds a session under `key` and, in the same transaction, drops the oldest sessions beyond
   * `maxPerKey` and the least recently used names beyond `maxKeys`.
   */
  async put(key: string, session: StoredSession): Promise<void> {
    const data = encodeStoredSession(session);
    await this.run('put', (tx) => {
      const sessions = tx.objectStore(SESSIONS);
      const names = tx.objectStore(NAMES);
      const row: SessionRow = { name: key, data };
      sessions.add(row).onsuccess = (event) => {
        const id = (event.target as IDBRequest<IDBValidKey>).result as number;
        names.put({ name: key, touched: id } satisfies NameRow);
        trimName(sessions, key, this.maxPerKey);
        trimNames(tx, this.maxKeys);
      };
      return undefined;
    });
  }

  /**
   * Removes and returns the newest usable session under `key`, or undefined. Sessions found
   * expired on the way (see `sessionUsable`) or that no longer decode are deleted and skipped.
   */
  async take(key: string): Promise<StoredSession | undefined> {
    const now = Date.now();
    return this.run('take', (tx) => {
      const sessions = tx.objectStore(SESSIONS);
      const found: { session?: StoredSession } = {};
      const cursor = sessions.index(BY_NAME).openCursor(nameRange(key), 'prev');
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) {
          // Nothing usable is left under this name: forget it, so it holds no slot of maxKeys.
          tx.objectStore(NAMES).delete(key);
          return;
        }
        // Whatever this session is, it leaves the store: taken, expired or unreadable.
        c.delete();
        const session = decodeOrUndefined((c.value as SessionRow).data);
        if (session && sessionUsable(session, now)) {
          found.session = session;
          sessions.index(BY_NAME).count(nameRange(key)).onsuccess = (event) => {
            const left = (event.target as IDBRequest<number>).result;
            if (left === 0) tx.objectStore(NAMES).delete(key);
          };
          return;
        }
        c.continue();
      };
      return found;
    }).then((found) => found.session);
  }

  /**
   * Closes the connection to the database, if open. Later operations open it again. Call it to
   * let another page upgrade or delete the database without waiting.
   */
  close(): void {
    const db = this.db;
    this.db = undefined;
    db?.then(
      (d) => d.close(),
      () => {},
    );
  }

  /**
   * Runs `body` in one readwrite transaction over both stores; resolves with what `body`
   * returned once the transaction has committed, rejects if it aborts.
   */
  private async run<T>(what: string, body: (tx: IDBTransaction) => T): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      let tx: IDBTransaction;
      let result: T;
      try {
        tx = db.transaction([SESSIONS, NAMES], 'readwrite', { durability: 'strict' });
        result = body(tx);
      } catch (error) {
        // The connection was closed under us (versionchange) or the schema is not ours.
        this.forget(db);
        reject(storeError(`${what}: cannot start a transaction`, error));
        return;
      }
      tx.oncomplete = () => resolve(result);
      tx.onabort = () => reject(storeError(`${what}: transaction aborted`, tx.error));
    });
  }

  /** The shared connection, opened (and the schema created) on first use. */
  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      const opening = this.openDatabase();
      this.db = opening;
      opening.catch(() => {
        if (this.db === opening) this.db = undefined;
      });
    }
    return this.db;
  }

  private openDatabase(): Promise<IDBDatabase> {
    const factory = this.factory;
    if (!factory) {
      return Promise.reject(
        new TlsError('CONFIG', 'tls: session store: this runtime has no IndexedDB', {
          layer: 'app',
        }),
      );
    }
    return new Promise<IDBDatabase>((resolve, reject) => {
      let settled = false;
      let request: IDBOpenDBRequest;
      try {
        request = factory.open(this.dbName, DB_VERSION);
      } catch (error) {
        reject(storeError(`cannot open database ${this.dbName}`, error));
        return;
      }
      request.onupgradeneeded = () => createSchema(request.result);
      request.onblocked = () => {
        // Another connection holds an older version open and did not close on versionchange.
        settled = true;
        reject(storeError(`opening database ${this.dbName} is blocked by another connection`));
      };
      request.onerror = (event) => {
        event.preventDefault();
        if (!settled) reject(storeError(`cannot open database ${this.dbName}`, request.error));
        settled = true;
      };
      request.onsuccess = () => {
        const db = request.result;
        if (settled) {
          // The open went through after we gave up on it (blocked): do not keep it.
          db.close();
          return;
        }
        settled = true;
        db.onversionchange = () => {
          // Another page upgrades or deletes the database: step aside; the next operation
          // opens it again (and fails with a typed error if the version is no longer ours).
          db.close();
          this.forget(db);
        };
        db.onclose = () => this.forget(db);
        resolve(db);
      };
    });
  }

  /** Drops the cached connection if it is `db`. */
  private forget(db: IDBDatabase): void {
    const current = this.db;
    current?.then(
      (d) => {
        if (d === db && this.db === current) this.db = undefined;
      },
      () => {},
    );
  }
}

/** Creates the object stores and indexes of {@link DB_VERSION}. */
function createSchema(db: IDBDatabase): void {
  if (!db.objectStoreNames.contains(SESSIONS)) {
    const sessions = db.createObjectStore(SESSIONS, { keyPath: 'id', autoIncrement: true });
    sessions.createIndex(BY_NAME, ['name', 'id']);
  }
  if (!db.objectStoreNames.contains(NAMES)) {
    const names = db.createObjectStore(NAMES, { keyPath: 'name' });
    names.createIndex(BY_TOUCHED, 'touched');
  }
}

/** The [name, id] keys of every session under `name`. */
function nameRange(name: string): IDBKeyRange {
  return IDBKeyRange.bound([name, -Infinity], [name, Infinity]);
}

/** Deletes the oldest sessions under `name` beyond the newest `max`. */
function trimName(sessions: IDBObjectStore, name: string, max: number): void {
  let seen = 0;
  const cursor = sessions.index(BY_NAME).openCursor(nameRange(name), 'prev');
  cursor.onsuccess = () => {
    const c = cursor.result;
    if (!c) return;
    if (++seen > max) c.delete();
    c.continue();
  };
}

/** Deletes the least recently used names beyond `max`, with all their sessions. */
function trimNames(tx: IDBTransaction, max: number): void {
  const names = tx.objectStore(NAMES);
  const sessions = tx.objectStore(SESSIONS);
  names.count().onsuccess = (event) => {
    let excess = (event.target as IDBRequest<number>).result - max;
    if (excess <= 0) return;
    const cursor = names.index(BY_TOUCHED).openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c || excess-- <= 0) return;
      const name = (c.value as NameRow).name;
      c.delete();
      const rows = sessions.index(BY_NAME).openKeyCursor(nameRange(name));
      rows.onsuccess = () => {
        const r = rows.result;
        if (!r) return;
        sessions.delete(r.primaryKey);
        r.continue();
      };
      c.continue();
    };
  };
}

/** The session stored as `data`, or undefined when it does not decode (kept by an old build). */
function decodeOrUndefined(data: unknown): StoredSession | undefined {
  if (!(data instanceof Uint8Array)) return undefined;
  try {
    return decodeStoredSession(data);
  } catch {
    return undefined;
  }
}

/** A TlsError of layer `app` for an IndexedDB failure, keeping the DOMException as cause. */
function storeError(message: string, cause?: unknown): TlsError {
  const detail = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : '';
  return new TlsError('INTERNAL_ERROR', `tls: session store: ${message}${detail}`, {
    layer: 'app',
    cause,
  });
}
