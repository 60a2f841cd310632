/**
 * The demo page's settings, served by `npm start` as `/demo-config.json`: where the relay is,
 * which server to reach through it, and the throwaway CA that server's certificate chains to.
 */

/** The path the page fetches its settings from. */
export const DEMO_CONFIG_PATH = '/demo-config.json';

/** What the page needs to connect. */
export interface DemoConfig {
  /** The relay's WebSocket URL, e.g. `ws://127.0.0.1:40001/`. */
  relayUrl: string;
  /** The TCP destination the relay dials (it must be on the relay's allowlist). */
  host: string;
  port: number;
  /** The name the certificate is checked against, also sent as SNI and as the Host header. */
  serverName: string;
  /** The demo CA, PEM: the only trust anchor the page uses. */
  caPem: string;
}

/** Checks the shape of a parsed `/demo-config.json`; throws naming the first bad field. */
export function parseDemoConfig(value: unknown): DemoConfig {
  if (typeof value !== 'object' || value === null) throw new Error('demo config: not an object');
  const v = value as Record<string, unknown>;
  const text = (name: string): string => {
    const field = v[name];
    if (typeof field !== 'string' || field === '') {
      throw new Error(`demo config: ${name} is not a string`);
    }
    return field;
  };
  const port = v.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error('demo config: port is not a TCP port');
  }
  const relayUrl = text('relayUrl');
  const protocol = new URL(relayUrl).protocol;
  if (protocol !== 'ws:' && protocol !== 'wss:') {
    throw new Error('demo config: relayUrl is not a WebSocket URL');
  }
  return {
    relayUrl,
    host: text('host'),
    port,
    serverName: text('serverName'),
    caPem: text('caPem'),
  };
}
