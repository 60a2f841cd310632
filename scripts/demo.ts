/**
 * `npm start`: the browser demo, on loopback only. It starts
 *
 * 1. a webtls HTTPS server (scripts/demo-server.ts) whose certificate is issued for this run by
 *    a throwaway CA (scripts/demo-pki.ts),
 * 2. the page, web/index.html, from Vite's dev server (web/vite.config.ts), with its settings
 *    at `/demo-config.json`: the relay, the server, and the CA (the page's only trust anchor),
 * 3. the WebSocket-to-TCP relay (workers/relay/node.ts), allowed to reach that server only and
 *    to serve the page's origin only,
 *
 * prints the page's URL and runs until Ctrl-C. `startDemo()` does the same for tests.
 */
import type { ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { certifiedKeyFromPem } from '../src/certified-key.ts';
import { defaultProvider } from '../src/crypto/index.ts';
import { DEMO_CONFIG_PATH, type DemoConfig } from '../web/src/demo/config.ts';
import { type Relay, startRelay } from '../workers/relay/node.ts';
import { issueDemoPki } from './demo-pki.ts';
import { type DemoServer, startDemoServer } from './demo-server.ts';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../..');
/** Vite's usual port; when it is taken, the next free one is used. */
const DEFAULT_PAGE_PORT = 5173;
/** The name the server's certificate is issued for. */
const SERVER_NAME = 'localhost';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The page's port (default 5173, or the next free one); 0 picks any free port. */
  port?: number;
  /** Receives progress lines (default: none). */
  log?: (line: string) => void;
}

/** A running demo. */
export interface Demo {
  /** The page to open, e.g. `http://127.0.0.1:5173/`. */
  url: string;
  /** The settings the page is given. */
  config: DemoConfig;
  /** Stops the page server, the relay and the TLS server. */
  close(): Promise<void>;
}

/** Serves the demo's settings to the page once they are known (503 before). */
function demoConfigPlugin(current: () => DemoConfig | undefined): Plugin {
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(body);
  };
  return {
    name: 'webtls-demo-config',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split('?')[0] !== DEMO_CONFIG_PATH) return next();
        const config = current();
        if (config) send(res, 200, JSON.stringify(config));
        else send(res, 503, '{"error":"the demo is still starting"}');
      });
    },
  };
}

/** Starts the TLS server, the page and the relay; see the file comment. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const log = options.log ?? (() => undefined);
  let config: DemoConfig | undefined;
  let server: DemoServer | undefined;
  let vite: ViteDevServer | undefined;
  let relay: Relay | undefined;
  const close = async () => {
    await Promise.allSettled([relay?.close(), vite?.close(), server?.close()]);
  };
  try {
    // 1. Certificates for this run, and the server that uses them.
    const pki = issueDemoPki();
    const certified = await certifiedKeyFromPem(pki.chainPem, pki.keyPem, defaultProvider());
    server = await startDemoServer(certified);
    log(`webtls server: 127.0.0.1:${server.port} (certificate for ${SERVER_NAME}, 127.0.0.1)`);

    // 2. The page.
    const port = options.port ?? DEFAULT_PAGE_PORT;
    vite = await createServer({
      configFile: resolve(REPO_ROOT, 'web/vite.config.ts'),
      server: { port, strictPort: false },
      plugins: [demoConfigPlugin(() => config)],
      logLevel: 'warn',
      clearScreen: false,
    });
    await vite.listen();
    const address = vite.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('demo: Vite has no TCP address');
    const pagePort = address.port;
    const url = `http://127.0.0.1:${pagePort}/`;

    // 3. The relay: this server only, for this page only.
    relay = await startRelay({
      allow: [`127.0.0.1:${server.port}`],
      origins: [`http://127.0.0.1:${pagePort}`, `http://localhost:${pagePort}`],
      log: (record) => {
        if (record.event === 'refused' || record.event === 'error') {
          log(`relay: ${record.event} ${record.host ?? ''}:${record.port ?? ''} ${record.reason}`);
        }
      },
    });
    log(`relay: ${relay.url} (allows 127.0.0.1:${server.port} only)`);

    config = {
      relayUrl: relay.url,
      host: '127.0.0.1',
      port: server.port,
      serverName: SERVER_NAME,
      caPem: pki.caPem,
    };
    return { url, config, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function main(): Promise<void> {
  const demo = await startDemo({ log: (line) => console.log(line) });
  console.log(`\nOpen ${demo.url} and press Connect (Ctrl-C stops the demo).\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error('demo failed:', error);
    process.exit(1);
  });
}
