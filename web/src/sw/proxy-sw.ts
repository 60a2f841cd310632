/**
 * The webtls Service Worker fetch proxy. Fetches from the pages it controls to a configured
 * origin are carried as HTTP/1.1 over webtls over a relay (see `proxy-fetch.ts`); every other
 * fetch goes to the network untouched. Tickets live in IndexedDB, so a later fetch, from any tab
 * and after the worker was stopped and started again, resumes the session, and each ticket is
 * used once.
 *
 * The configuration is read from the worker's own script URL (`config.ts`) when the script is
 * evaluated, which the browser does again each time it restarts the worker. A bad configuration
 * throws here, which fails the registration.
 */
import { IndexedDbSessionStore } from '../../../src/web/indexeddb-store.ts';
import { configFromScriptUrl } from './config.ts';
import { type ProxyFetchOptions, proxyFetch } from './proxy-fetch.ts';

/** The parts of a Service Worker's events used here (the webworker lib clashes with DOM's). */
interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request;
  respondWith(response: Promise<Response> | Response): void;
}

/** The parts of `ServiceWorkerGlobalScope` used here. */
interface ServiceWorkerScopeLike {
  readonly location: { readonly href: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (e: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', listener: (e: FetchEventLike) => void): void;
}

const sw = globalThis as unknown as ServiceWorkerScopeLike;

const config = configFromScriptUrl(sw.location.href);
const origins = new Set(config.origins);
const sessionStore = new IndexedDbSessionStore(
  config.dbName === undefined ? {} : { dbName: config.dbName },
);
const base: Omit<ProxyFetchOptions, 'waitUntil'> = {
  relay: config.relay,
  client: { roots: config.roots, sessionStore },
  timeoutMs: config.timeoutMs ?? 30_000,
};

// A new configuration replaces the old worker at once, and the pages already open are taken
// over without a reload.
sw.addEventListener('install', (event) => event.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (!origins.has(url.origin)) return;
  event.respondWith(
    proxyFetch(event.request, url, { ...base, waitUntil: (p) => keepAlive(event, p) }),
  );
});

/** Extends the event's lifetime by `promise`, if the event still accepts it. */
function keepAlive(event: ExtendableEventLike, promise: Promise<unknown>): void {
  try {
    event.waitUntil(promise);
  } catch {
    // The event already ended (InvalidStateError): the work goes on while the worker lives.
  }
}
