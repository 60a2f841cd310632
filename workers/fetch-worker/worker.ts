/**
 * A Cloudflare Worker that fetches a page over TLS made by webtls, on a TCP socket from
 * `cloudflare:sockets`, and resumes the TLS session on the next request, in this isolate or
 * another, with tickets kept in a Durable Object (`TlsStateObject`).
 *
 * Configuration (Worker vars; see README.md):
 * - `TLS_HOST`, `TLS_PORT`: the TLS server (default port 443);
 * - `TLS_SERVER_NAME`: the name its certificate must carry and SNI (default `TLS_HOST`);
 * - `TLS_CA_PEM`: trust anchors in PEM (default webtls' bundled roots);
 * - `TLS_PATH`: the request target (default `/`);
 * - `TLS_STATE`: a Durable Object namespace bound to the class `TlsStateObject`.
 *
 * Every request answers with the server's body and status, and headers telling what happened:
 * `x-webtls-resumed: yes|no`, `x-webtls-protocol`, `x-webtls-cipher-suite`, `x-webtls-group`,
 * `x-webtls-upstream-status`, `x-webtls-tickets-stored` (tickets this connection put in the
 * store). A failure answers 502 with the error's code in `x-webtls-error`.
 */
import { connect } from 'cloudflare:sockets';
import { bufferSource } from '../../src/util/bytes.ts';
import {
  connectTls,
  DurableObjectSessionStore,
  type DurableObjectStubLike,
  TlsError,
  TlsStateObject,
} from '../../src/workers/index.ts';
import { request } from '../../web/src/http1.ts';

/** The Durable Object class, exported for the runtime to instantiate. */
export { TlsStateObject };

/** A Durable Object namespace, as far as this Worker uses it. */
interface StateNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStubLike;
}

/** The Worker's bindings. */
interface Env {
  TLS_HOST: string;
  TLS_PORT?: string;
  TLS_SERVER_NAME?: string;
  TLS_CA_PEM?: string;
  TLS_PATH?: string;
  TLS_STATE: StateNamespace;
}

/** The longest the TCP connect, the handshake and the response may take together. */
const REQUEST_TIMEOUT_MS = 15_000;

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const hostname = env.TLS_HOST;
    const port = Number(env.TLS_PORT ?? 443);
    if (!hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
      return new Response('TLS_HOST and TLS_PORT must name a server\n', { status: 500 });
    }
    const serverName = env.TLS_SERVER_NAME || hostname;

    // One object holds every ticket, so any isolate finds the tickets another one stored.
    const stub = env.TLS_STATE.get(env.TLS_STATE.idFromName('tls-sessions'));
    let ticketsStored = 0;
    const tls = connectTls(
      connect,
      { hostname, port },
      {
        serverName,
        roots: env.TLS_CA_PEM ? [env.TLS_CA_PEM] : undefined,
        sessionStore: new DurableObjectSessionStore(stub),
        onEvent: (event) => {
          if (event.type === 'state' && event.name === 'session stored') ticketsStored++;
        },
      },
    );
    const timer = setTimeout(() => void tls.close(), REQUEST_TIMEOUT_MS);
    try {
      const info = await tls.opened;
      const upstream = await request(tls, { path: env.TLS_PATH || '/', host: serverName });
      const headers = new Headers({
        'content-type': upstream.headers['content-type'] ?? 'application/octet-stream',
        'x-webtls-resumed': info.resumed ? 'yes' : 'no',
        'x-webtls-protocol': info.protocol ?? 'unknown',
        'x-webtls-cipher-suite': info.cipherSuite ?? 'unknown',
        'x-webtls-group': info.group ?? 'none',
        'x-webtls-upstream-status': String(upstream.status),
        'x-webtls-tickets-stored': String(ticketsStored),
      });
      return new Response(bufferSource(upstream.body), { status: upstream.status, headers });
    } catch (error) {
      const code = error instanceof TlsError ? error.code : 'HTTP';
      const message = error instanceof Error ? error.message : String(error);
      return new Response(`${message}\n`, { status: 502, headers: { 'x-webtls-error': code } });
    } finally {
      clearTimeout(timer);
      await tls.close();
    }
  },
};
