/**
 * The page side of e2e/indexeddb-store-race.test.ts, bundled for Chromium by that test. It opens
 * an IndexedDbSessionStore of its own (each page its own connection to the origin's database)
 * and exposes `globalThis.webtlsRace` for page.evaluate. Sessions cross the page boundary in
 * their portable encoding, as hex.
 */
import { decodeStoredSession, encodeStoredSession } from '../src/sessions/stored-session.ts';
import { fromHex, toHex } from '../src/util/bytes.ts';
import { IndexedDbSessionStore } from '../src/web/indexeddb-store.ts';

/** What one take() gave, and when it started and ended (ms since the epoch, sub-ms precise). */
export interface TakeResult {
  /** The taken session re-encoded as hex, or null when take() found none. */
  session: string | null;
  start: number;
  end: number;
}

/** The functions the test calls in the page. */
export interface RacePage {
  /** Puts the session encoded as `hex` under `key`. */
  put(key: string, hex: string): Promise<void>;
  /**
   * Waits until the wall clock reaches `startAt` (ms since the epoch), then starts `count`
   * take(key) calls at once; resolves with what each gave.
   */
  takeAt(key: string, startAt: number, count: number): Promise<TakeResult[]>;
}

/** The database every page of the test shares. */
export const RACE_DB = 'webtls-race';
/** Room for every ticket a round puts under one name. */
export const RACE_MAX_PER_KEY = 64;

const store = new IndexedDbSessionStore({ dbName: RACE_DB, maxPerKey: RACE_MAX_PER_KEY });
const clock = () => performance.timeOrigin + performance.now();

async function take(key: string): Promise<TakeResult> {
  const start = clock();
  const session = await store.take(key);
  const end = clock();
  return { session: session ? toHex(encodeStoredSession(session)) : null, start, end };
}

const race: RacePage = {
  async put(key, hex) {
    await store.put(key, decodeStoredSession(fromHex(hex)));
  },
  async takeAt(key, startAt, count) {
    // Sleep until just before the start, then spin so both pages leave at the same instant.
    const early = startAt - clock() - 5;
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
    while (clock() < startAt) {
      // spin
    }
    return Promise.all(Array.from({ length: count }, () => take(key)));
  },
};

(globalThis as { webtlsRace?: RacePage }).webtlsRace = race;
