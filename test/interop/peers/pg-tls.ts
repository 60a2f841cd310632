/**
 * Runs the unmodified npm `pg` client over a chosen node:tls-compatible module.
 *
 * pg speaks PostgreSQL's STARTTLS: on a plain TCP socket it sends an SSLRequest, reads one byte
 * ('S' = go ahead), and then calls `require('tls').connect({ socket, host, servername, ...ssl })`
 * (pg/lib/stream.js) and talks the protocol over the socket that returns. pg has no public
 * option for the TLS layer (its `stream` option replaces only the TCP socket), so the layer is
 * swapped where pg asks for it: `Module._load`, the function every CommonJS `require` goes
 * through, answers a request for `tls` or `node:tls` made by a file of pg's own `lib/`
 * directory with the chosen module. Every other `require('tls')` in the process (the test
 * runner's, other packages') still gets node:tls, pg's files are not touched, and because pg
 * requires `tls` at each connection (not once at load time), the swap takes effect for every
 * connection made while it is installed and ends with `restore()`.
 */
import Module, { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { ConnectionOptions } from 'node:tls';

/**
 * What pg needs of a TLS module: `connect`, called with node:tls's options. Typed loosely so a
 * module with its own option types fits; at run time it gets what pg passes.
 */
export interface TlsModuleLike {
  connect(options: never): unknown;
}

/** What pg asked of the swapped-in module. */
export interface PgTlsSpy {
  /** The options of every `connect` call pg made (socket, host, servername, its ssl options). */
  calls: ConnectionOptions[];
  /** What each call returned: the streams pg then spoke the protocol over. */
  sockets: unknown[];
}

/** An installed swap. */
export interface PgTlsRoute {
  spy: PgTlsSpy;
  /** Puts node:tls back for pg. */
  restore(): void;
}

type Load = (
  request: string,
  parent: { filename?: string | null } | null,
  isMain: boolean,
) => unknown;
const loader = Module as unknown as { _load: Load };

const require = createRequire(import.meta.url);
/** pg's lib/ directory: only requires made from files in it are redirected. */
export const PG_LIB = join(dirname(require.resolve('pg/package.json')), 'lib') + sep;

let installed = false;

/**
 * Makes pg's `require('tls')` return `tls` (wrapped to record its connect calls) until
 * `restore()`. Only one swap at a time.
 */
export function routePgTls(tls: TlsModuleLike): PgTlsRoute {
  if (installed) throw new Error('routePgTls: a swap is already installed');
  const spy: PgTlsSpy = { calls: [], sockets: [] };
  const swapped = {
    ...tls,
    connect(options: ConnectionOptions) {
      spy.calls.push(options);
      const socket = (tls.connect as (options: ConnectionOptions) => unknown)(options);
      spy.sockets.push(socket);
      return socket;
    },
  };
  const original = loader._load;
  loader._load = function load(this: unknown, request, parent, isMain) {
    const fromPg = parent?.filename?.startsWith(PG_LIB) === true;
    if (fromPg && (request === 'tls' || request === 'node:tls')) return swapped;
    return original.call(this, request, parent, isMain);
  };
  installed = true;
  return {
    spy,
    restore() {
      loader._load = original;
      installed = false;
    },
  };
}
