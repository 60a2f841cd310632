/**
 * The Service Worker proxy's configuration and how it travels: as base64url JSON in the `config`
 * query parameter of the worker's script URL. The URL is part of the registration, so the browser
 * hands it back each time it starts the worker again; a new configuration is a new script URL,
 * which installs a new worker in place of the old one.
 */

/** What the proxy needs to know. */
export interface ProxyConfig {
  /**
   * The origins whose fetches go over webtls, e.g. `https://api.example:8443`. Only `https:`
   * origins; everything else passes through to the network.
   */
  origins: string[];
  /** The relay's WebSocket URL (`ws:` or `wss:`); the destination goes in its query. */
  relay: string;
  /** Trust anchors, PEM text; without any, the core's bundled roots. */
  roots?: string[];
  /** How long one proxied fetch may take, connection and response, in ms (default 30000). */
  timeoutMs?: number;
  /** The IndexedDB database holding tickets (default `webtls-sessions`, the store's default). */
  dbName?: string;
}

/** The query parameter of the worker's script URL that carries the configuration. */
export const CONFIG_PARAM = 'config';

/** The largest `timeoutMs` accepted: a fetch event should not keep the worker alive longer. */
const MAX_TIMEOUT_MS = 5 * 60_000;

/** The script URL `scriptUrl` with `config` encoded into its query. */
export function configuredScriptUrl(scriptUrl: string | URL, config: ProxyConfig): URL {
  const url = new URL(String(scriptUrl));
  url.searchParams.set(CONFIG_PARAM, encodeConfig(checkConfig(config)));
  return url;
}

/** The configuration carried by the worker's own URL. @throws Error when absent or invalid. */
export function configFromScriptUrl(scriptUrl: string | URL): ProxyConfig {
  const text = new URL(String(scriptUrl)).searchParams.get(CONFIG_PARAM);
  if (text === null) throw new Error(`webtls proxy: no "${CONFIG_PARAM}" in the script URL`);
  return checkConfig(decodeConfig(text));
}

/** Base64url of the JSON text, so it survives any URL unescaped. */
export function encodeConfig(config: ProxyConfig): string {
  const bytes = new TextEncoder().encode(JSON.stringify(config));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The inverse of {@link encodeConfig}. @throws Error when it is not base64url JSON. */
export function decodeConfig(text: string): unknown {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

/**
 * Checks a configuration's shape and normalises its origins (`new URL(o).origin`).
 * @throws Error naming the first field that is wrong.
 */
export function checkConfig(value: unknown): ProxyConfig {
  if (typeof value !== 'object' || value === null) throw configError('not an object');
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.origins) || v.origins.length === 0) throw configError('origins: none');
  const origins = v.origins.map((o) => {
    if (typeof o !== 'string') throw configError('origins: not a string');
    const url = new URL(o);
    if (url.protocol !== 'https:') throw configError(`origins: ${o} is not https:`);
    return url.origin;
  });
  if (typeof v.relay !== 'string') throw configError('relay: missing');
  const relay = new URL(v.relay);
  if (relay.protocol !== 'ws:' && relay.protocol !== 'wss:') {
    throw configError('relay: not a ws: or wss: URL');
  }
  const config: ProxyConfig = { origins, relay: relay.href };
  if (v.roots !== undefined) {
    if (!Array.isArray(v.roots) || !v.roots.every((r) => typeof r === 'string')) {
      throw configError('roots: not a list of PEM strings');
    }
    config.roots = v.roots as string[];
  }
  if (v.timeoutMs !== undefined) {
    const t = v.timeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0 || t > MAX_TIMEOUT_MS) {
      throw configError(`timeoutMs: not an integer in 1..${MAX_TIMEOUT_MS}`);
    }
    config.timeoutMs = t;
  }
  if (v.dbName !== undefined) {
    if (typeof v.dbName !== 'string' || v.dbName === '') throw configError('dbName: not a name');
    config.dbName = v.dbName;
  }
  return config;
}

function configError(detail: string): Error {
  return new Error(`webtls proxy: bad configuration: ${detail}`);
}
