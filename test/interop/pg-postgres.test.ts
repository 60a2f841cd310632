/**
 * The unmodified npm `pg` client against a real PostgreSQL server with `ssl = on` and a
 * TLS-only pg_hba.conf: pg's STARTTLS (SSLRequest, then `tls.connect({ socket })`) runs over
 * each TLS module in IMPLS, swapped in under pg by routePgTls (test/interop/peers/pg-tls.ts).
 * node:tls is the control: it proves the harness, the server and the swap, so a failure of the
 * webtls run is webtls's.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import * as nodeTls from 'node:tls';
import type { ClientConfig, Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as webtlsTls from 'webtls/node/tls';
import { CRL_ROOT } from './peers/client-pki.ts';
import { type PgTlsRoute, routePgTls, type TlsModuleLike } from './peers/pg-tls.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { type PostgresServer, requirePostgres, startPostgres } from './peers/postgres.ts';
import { killAllPeers } from './peers/proc.ts';

const require = createRequire(import.meta.url);
// Loaded through CommonJS as an application would; its require('tls') then meets the swap.
const pg = require('pg') as typeof import('pg');

// biome-ignore lint/suspicious/noExplicitAny: any constructor, for toBeInstanceOf.
type SocketClass = abstract new (...args: any[]) => object;

/** A TLS module under test, and what its sockets are. */
interface TlsImpl {
  name: string;
  tls: TlsModuleLike;
  /** The class every socket its connect returns is an instance of. */
  socketClass: SocketClass;
  /** What PostgreSQL logs when this client refuses its certificate (an alert, or none). */
  refusedLog: { unknownCa: RegExp; wrongName: RegExp };
}

const IMPLS: TlsImpl[] = [
  {
    name: 'node:tls (control)',
    tls: nodeTls,
    socketClass: nodeTls.TLSSocket,
    // Node verifies after OpenSSL's handshake and then destroys the socket: no alert is sent.
    refusedLog: {
      unknownCa: /could not accept SSL connection: EOF detected/,
      wrongName: /could not accept SSL connection: EOF detected/,
    },
  },
  {
    name: 'webtls/node/tls',
    tls: webtlsTls,
    socketClass: webtlsTls.TLSSocket,
    // webtls refuses inside the handshake, with the alert src/error.ts names (RFC 8446 §6.2).
    refusedLog: {
      unknownCa: /could not accept SSL connection: tlsv1 alert unknown ca/,
      wrongName: /could not accept SSL connection: sslv3 alert certificate unknown/,
    },
  },
];

/** What pg's TLS socket must answer (node:tls's names). */
type PgTlsSocket = Pick<
  nodeTls.TLSSocket,
  'getProtocol' | 'getCipher' | 'getPeerCertificate' | 'authorized'
>;

/** Bounds for every connect and query: nothing here may hang. */
const CONNECT_TIMEOUT_MS = 15_000;
const QUERY_TIMEOUT_MS = 15_000;
const ONE_MB = 1_000_000;

const HAVE = requirePostgres();

/** Resolves with `promise`, or rejects naming `what` after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!HAVE)('pg (npm) over TLS to PostgreSQL with ssl = on', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
    await killAllPeers();
  });

  /** pg's configuration for the server, with `ssl` as pg takes it (tls.connect options). */
  function config(ssl: ClientConfig['ssl']): ClientConfig {
    return {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: server.database,
      ssl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    };
  }

  /** Connects a Client, runs `fn`, and always ends the client. */
  async function withClient<T>(
    ssl: ClientConfig['ssl'],
    fn: (client: PgClient) => Promise<T>,
  ): Promise<T> {
    const client = new pg.Client(config(ssl));
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The error a connection attempt ends with (fails the test if it connects). */
  async function connectError(ssl: ClientConfig['ssl']): Promise<Error & { code?: string }> {
    const client = new pg.Client(config(ssl));
    try {
      await client.connect();
    } catch (error) {
      return error as Error & { code?: string };
    } finally {
      await client.end().catch(() => undefined);
    }
    throw new Error('connected, but a refusal was expected');
  }

  it('refuses a client that does not ask for TLS (hostssl lines only)', async () => {
    const error = await connectError(false);
    expect(error.message).toMatch(/^no pg_hba\.conf entry for host "127\.0\.0\.1", user "webtls"/);
    expect(error.message).toMatch(/, no encryption$/);
    expect(error.code).toBe('28000');
  });

  describe.each(IMPLS)('$name', (impl) => {
    let route: PgTlsRoute;
    const ca = () => ({ ca: pem(ROOT) });

    beforeAll(() => {
      route = routePgTls(impl.tls);
    });

    afterAll(() => {
      route?.restore();
    });

    /** The TLS socket pg spoke over: returned by the swapped connect, of the module's class. */
    function tlsSocketOf(client: PgClient): PgTlsSocket {
      const stream = client.connection.stream;
      expect(route.spy.sockets).toContain(stream);
      expect(stream).toBeInstanceOf(impl.socketClass);
      // And not a node:tls socket unless node:tls is the module under test.
      expect(stream instanceof nodeTls.TLSSocket).toBe(impl.socketClass === nodeTls.TLSSocket);
      return stream as unknown as PgTlsSocket;
    }

    it('runs SELECT 1 and version(); pg_stat_ssl shows the version and cipher', async () => {
      const calls = route.spy.calls.length;
      await withClient(ca(), async (client) => {
        const socket = tlsSocketOf(client);
        expect(route.spy.calls.length).toBe(calls + 1);
        // pg hands over its TCP socket after the server's 'S' and dials 127.0.0.1 (no SNI).
        const options = route.spy.calls[calls];
        expect(options.socket).toBeDefined();
        expect(options.host).toBe('127.0.0.1');
        expect(options.servername).toBeUndefined();
        expect(socket.authorized).toBe(true);
        // The swap is pg's alone: the same require from this file still gets node:tls.
        expect((require('node:tls') as typeof nodeTls).connect).toBe(nodeTls.connect);

        expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        const version = await client.query('SELECT version() AS v');
        expect(version.rows[0].v).toMatch(new RegExp(`^PostgreSQL ${server.version}\\.`));
        expect((await client.query('SHOW ssl')).rows).toEqual([{ ssl: 'on' }]);

        const stat = await client.query(
          'SELECT ssl, version, cipher, bits FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        expect(stat.rows).toHaveLength(1);
        const row = stat.rows[0];
        expect(row.ssl).toBe(true);
        expect(row.version).toBe('TLSv1.3');
        expect(row.version).toBe(socket.getProtocol());
        expect(row.cipher).toBe(socket.getCipher().name);
        expect(row.bits).toBeGreaterThanOrEqual(128);
      });
    });

    it('carries a 1 MB result and a 1 MB parameter', async () => {
      await withClient(ca(), async (client) => {
        tlsSocketOf(client);
        const big = await client.query('SELECT repeat($1::text, $2::int) AS big', ['x', ONE_MB]);
        const text: string = big.rows[0].big;
        expect(text.length).toBe(ONE_MB);
        expect(/^x+$/.test(text)).toBe(true);

        // The other direction: a 1 MB bind parameter, hashed by the server.
        const sent = Array.from({ length: ONE_MB }, (_, i) => String.fromCharCode(97 + (i % 26)));
        const param = sent.join('');
        const hashed = await client.query('SELECT md5($1::text) AS h, length($1::text) AS n', [
          param,
        ]);
        expect(hashed.rows[0].n).toBe(ONE_MB);
        expect(hashed.rows[0].h).toBe(createHash('md5').update(param).digest('hex'));
      });
    });

    it('negotiates TLS 1.2 when pg passes maxVersion TLSv1.2', async () => {
      await withClient({ ...ca(), maxVersion: 'TLSv1.2' }, async (client) => {
        const socket = tlsSocketOf(client);
        const stat = await client.query(
          'SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        expect(stat.rows[0].ssl).toBe(true);
        expect(stat.rows[0].version).toBe('TLSv1.2');
        expect(socket.getProtocol()).toBe('TLSv1.2');
        expect(stat.rows[0].cipher).toBe(socket.getCipher().name);
      });
    });

    it('verifies the server (verify-full) by IP address and by name', async () => {
      // By address: pg sets no servername for an IP host; the certificate has IP:127.0.0.1.
      await withClient(ca(), async (client) => {
        expect(tlsSocketOf(client).authorized).toBe(true);
      });
      // By name: SNI and the name checked are `localhost`, while TCP goes to 127.0.0.1.
      const calls = route.spy.calls.length;
      await withClient({ ...ca(), servername: 'localhost' }, async (client) => {
        expect(tlsSocketOf(client).authorized).toBe(true);
        expect(route.spy.calls[calls].servername).toBe('localhost');
        expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
      });
    });

    it('refuses a server whose chain does not lead to the CA it was given', async () => {
      const mark = server.log().length;
      const error = await connectError({ ca: pem(CRL_ROOT) });
      expect(error.code).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      await server.waitLog(impl.refusedLog.unknownCa, mark);
    });

    it('refuses a server certificate without the name asked for', async () => {
      const mark = server.log().length;
      const error = await connectError({ ...ca(), servername: 'other.test' });
      expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      await server.waitLog(impl.refusedLog.wrongName, mark);
    });

    it('binds SCRAM-SHA-256-PLUS to the certificate getPeerCertificate() returns', async () => {
      const client = new pg.Client({ ...config(ca()), enableChannelBinding: true });
      const mechanisms: string[] = [];
      const connection = client.connection as typeof client.connection & {
        sendSASLInitialResponseMessage(mechanism: string, response: string): void;
      };
      const send = connection.sendSASLInitialResponseMessage.bind(connection);
      connection.sendSASLInitialResponseMessage = (mechanism, response) => {
        mechanisms.push(mechanism);
        send(mechanism, response);
      };
      try {
        await client.connect();
        // tls-server-end-point (RFC 5929 §4.1) hashes the leaf's DER, which pg takes from
        // getPeerCertificate().raw; the server checked the binding, so the bytes were right.
        expect(mechanisms).toEqual(['SCRAM-SHA-256-PLUS']);
        const raw = tlsSocketOf(client).getPeerCertificate().raw;
        expect(Buffer.from(raw).equals(new X509Certificate(pem(certFiles('p256').leaf)).raw)).toBe(
          true,
        );
        expect((await client.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
      } finally {
        await client.end().catch(() => undefined);
      }
    });

    it('serves 8 concurrent checkouts from a Pool of 4 TLS connections', async () => {
      const pool = new pg.Pool({ ...config(ca()), max: 4 });
      const pooled = new Set<PgClient>();
      try {
        const rows = await Promise.all(
          Array.from({ length: 8 }, async () => {
            const client = (await pool.connect()) as unknown as PgClient & { release(): void };
            try {
              pooled.add(client);
              tlsSocketOf(client);
              const result = await client.query(
                'SELECT pg_backend_pid() AS pid, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
              );
              return result.rows[0] as { pid: number; ssl: boolean };
            } finally {
              client.release();
            }
          }),
        );
        expect(rows.every((row) => row.ssl)).toBe(true);
        expect(pooled.size).toBe(4);
        expect(new Set(rows.map((row) => row.pid)).size).toBe(4);
      } finally {
        // pool.end() resolves before its clients' sockets close: wait for each client's end,
        // or the server's shutdown later reaches a client nobody listens to any more.
        const ended = [...pooled].map((client) => once(client, 'end'));
        await pool.end();
        await withTimeout(Promise.all(ended), CONNECT_TIMEOUT_MS, 'pooled clients to end');
      }
    });
  });
});
