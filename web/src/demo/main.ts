/**
 * The demo page: fetches its settings, then runs one TLS connection through the relay per click
 * of "Connect" and draws it, newest first. Tickets live in IndexedDB, so the second connection
 * (and any after a reload) resumes, with GET / as 0-RTT early data.
 */
import { IndexedDbSessionStore } from '../../../src/web/index.ts';
import { DEMO_CONFIG_PATH, type DemoConfig, parseDemoConfig } from './config.ts';
import { connectOnce } from './connect-once.ts';
import { renderResult } from './render.ts';

/** Looks up an element the page must have. */
function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`demo page: no #${id}`);
  return node as T;
}

async function loadConfig(): Promise<DemoConfig> {
  const res = await fetch(DEMO_CONFIG_PATH, { cache: 'no-store' });
  if (!res.ok)
    throw new Error(`${DEMO_CONFIG_PATH}: HTTP ${res.status} (run the page with npm start)`);
  return parseDemoConfig(await res.json());
}

async function main(): Promise<void> {
  const button = byId<HTMLButtonElement>('connect');
  const status = byId<HTMLElement>('status');
  const results = byId<HTMLElement>('results');
  const target = byId<HTMLElement>('target');

  const config = await loadConfig();
  target.textContent = `${config.serverName} (${config.host}:${config.port}) through the relay at ${config.relayUrl}`;
  const store = new IndexedDbSessionStore({ dbName: 'webtls-demo-sessions' });
  let count = 0;

  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'connecting…';
    count++;
    const result = await connectOnce(config, store);
    results.prepend(renderResult(count, result));
    status.textContent = result.error ? `connection ${count} failed` : `connection ${count} done`;
    button.disabled = false;
  });
  button.disabled = false;
  status.textContent = 'ready';
}

main().catch((error: unknown) => {
  const status = document.getElementById('status');
  if (status) status.textContent = `the demo could not start: ${String(error)}`;
});
