/**
 * The page side of the Service Worker proxy (`web/proxy.html`): registers the worker with a
 * configuration and shows what a fetch through it returned. The same functions are on
 * `globalThis.webtlsProxy` for scripts and the e2e test (`e2e/sw-proxy.test.ts`).
 */
import { IndexedDbSessionStore } from '../../../src/web/indexeddb-store.ts';
import { configuredScriptUrl, type ProxyConfig } from './config.ts';

/** What a fetch gave, as plain data; `start`/`end` are ms since the epoch. */
export interface FetchResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  start: number;
  end: number;
}

/** The page's functions. */
export interface ProxyPage {
  /**
   * Registers the proxy worker with `config` for this page's directory and resolves with the
   * worker's script URL once that worker controls this page.
   */
  register(config: ProxyConfig): Promise<string>;
  /** Fetches `url` (through the worker, when its origin is configured). */
  fetch(url: string, init?: { method?: string; body?: string }): Promise<FetchResult>;
  /** Waits until the wall clock reaches `startAt` (ms since the epoch), then fetches `url`. */
  fetchAt(url: string, startAt: number): Promise<FetchResult>;
  /** How many tickets the store holds for `serverName` (taken and put back, in order). */
  countTickets(serverName: string, dbName?: string): Promise<number>;
  /** Removes every ticket for `serverName`; resolves with how many there were. */
  drainTickets(serverName: string, dbName?: string): Promise<number>;
}

/** How long registration may take to give this page its worker. */
const CONTROL_TIMEOUT_MS = 15_000;
/** Where the worker's script is when the page names none (`<meta name="webtls-sw">`). */
const DEFAULT_SW = './src/sw/proxy-sw.ts';

const clock = () => performance.timeOrigin + performance.now();

async function register(config: ProxyConfig): Promise<string> {
  const container = navigator.serviceWorker;
  if (!container) throw new Error('webtls proxy: no Service Workers here (a secure context?)');
  const script = document.querySelector<HTMLMetaElement>('meta[name="webtls-sw"]')?.content;
  const url = configuredScriptUrl(new URL(script ?? DEFAULT_SW, document.baseURI), config).href;
  const controlled = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (container.controller?.scriptURL !== url) return;
      clearTimeout(timer);
      container.removeEventListener('controllerchange', check);
      resolve();
    };
    const timer = setTimeout(() => {
      container.removeEventListener('controllerchange', check);
      reject(new Error(`webtls proxy: no control within ${CONTROL_TIMEOUT_MS} ms`));
    }, CONTROL_TIMEOUT_MS);
    container.addEventListener('controllerchange', check);
    queueMicrotask(check);
  });
  // The worker is an ES module: the bundle for the e2e, the TypeScript source under Vite.
  await container.register(url, { type: 'module', scope: './' });
  await controlled;
  return url;
}

async function fetchResult(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<FetchResult> {
  const start = clock();
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    body: init.body,
    cache: 'no-store',
  });
  const body = await res.text();
  const end = clock();
  return { status: res.status, headers: Object.fromEntries(res.headers), body, start, end };
}

async function fetchAt(url: string, startAt: number): Promise<FetchResult> {
  // Sleep until just before the start, then spin, so two tabs leave at the same instant.
  const early = startAt - clock() - 5;
  if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
  while (clock() < startAt) {
    // spin
  }
  return fetchResult(url);
}

async function countTickets(serverName: string, dbName?: string): Promise<number> {
  const store = new IndexedDbSessionStore(dbName === undefined ? {} : { dbName });
  try {
    const taken = [];
    for (let s = await store.take(serverName); s; s = await store.take(serverName)) taken.push(s);
    for (const s of taken.reverse()) await store.put(serverName, s);
    return taken.length;
  } finally {
    store.close();
  }
}

async function drainTickets(serverName: string, dbName?: string): Promise<number> {
  const store = new IndexedDbSessionStore(dbName === undefined ? {} : { dbName });
  try {
    let n = 0;
    while (await store.take(serverName)) n++;
    return n;
  } finally {
    store.close();
  }
}

const api: ProxyPage = { register, fetch: fetchResult, fetchAt, countTickets, drainTickets };
(globalThis as { webtlsProxy?: ProxyPage }).webtlsProxy = api;

/** Wires the manual demo's form, when the page has one. */
function wireForm(): void {
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T | null;
  const out = $<HTMLPreElement>('out');
  const form = $<HTMLFormElement>('config');
  const fetchForm = $<HTMLFormElement>('fetch');
  if (!out || !form || !fetchForm) return;
  const show = (text: string) => {
    out.textContent = text;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const roots = String(data.get('roots') ?? '').trim();
    const config: ProxyConfig = {
      origins: [String(data.get('origin'))],
      relay: String(data.get('relay')),
      ...(roots ? { roots: [roots] } : {}),
    };
    register(config).then(
      () => show(`The proxy controls this page for ${config.origins[0]}.`),
      (error: unknown) => show(String(error)),
    );
  });
  fetchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = String(new FormData(fetchForm).get('url'));
    fetchResult(url).then(
      (r) => {
        const head = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`);
        show([`${r.status} in ${Math.round(r.end - r.start)} ms`, ...head, '', r.body].join('\n'));
      },
      (error: unknown) => show(String(error)),
    );
  });
}

wireForm();
