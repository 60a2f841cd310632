/**
 * A Deno Worker (an isolate of its own) for test/runtimes/deno-kv.check.ts: it opens the KV file
 * it is told with a handle of its own, and on each message waits for the shared start instant
 * and runs `count` take() calls at once, answering with the sessions it got as hex.
 */
import { DenoKvSessionStore, type KvLike } from '../../src/deno/kv-store.ts';
import { encodeStoredSession } from '../../src/sessions/stored-session.ts';
import { toHex } from '../../src/util/bytes.ts';

/** A message to this worker. */
export interface RaceRequest {
  path: string;
  key: string;
  /** Wall-clock instant (ms since the epoch) to start at. */
  startAt: number;
  count: number;
}

/** Its answer: each take()'s session as hex, null when it got none; or what failed. */
export interface RaceReply {
  sessions?: (string | null)[];
  error?: string;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<RaceRequest>) => void) | null;
  postMessage(message: RaceReply): void;
}

const deno = (globalThis as unknown as { Deno: { openKv(path: string): Promise<KvLike> } }).Deno;
const scope = globalThis as unknown as WorkerScope;
let store: DenoKvSessionStore | undefined;

scope.onmessage = async (event) => {
  const { path, key, startAt, count } = event.data;
  try {
    store ??= new DenoKvSessionStore(await deno.openKv(path), { maxPerKey: 64 });
    const kvStore = store;
    const early = startAt - Date.now() - 5;
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
    while (Date.now() < startAt) {
      // spin to the shared start
    }
    const taken = await Promise.all(Array.from({ length: count }, () => kvStore.take(key)));
    scope.postMessage({ sessions: taken.map((s) => (s ? toHex(encodeStoredSession(s)) : null)) });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
