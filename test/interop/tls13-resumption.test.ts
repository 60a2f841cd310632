/**
 * TLS 1.3 resumption (RFC 8446 §2.2, §4.6.1) against OpenSSL, both directions, without 0-RTT:
 * a webtls client (in process, and `webtls s_client -sess_out/-sess_in`) → `openssl s_server
 * -tls1_3`, and `openssl s_client -sess_out/-sess_in` → a webtls server with a ticketer (and
 * with only a session cache). Each side's own report says the session was resumed: OpenSSL's
 * `Reused, TLSv1.3` / `Reused session-id`, webtls's `Resumed: yes` / `info.resumed`. A ticket
 * the server cannot or will not resume gets a full handshake on both sides. `webtls s_server`
 * resumes TLS 1.3 and 1.2 by ticket, and with `-no_ticket` from its session cache.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import { sessionFromPem } from '../../src/sessions/stored-session.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { connectTwice } from './peers/resume-client.ts';
import {
  loadCert,
  runWebtlsClientCli,
  startWebtlsServer,
  startWebtlsServerCli,
} from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const GET = 'GET / HTTP/1.0\r\n\r\n';
/** bin/webtls compiles TypeScript at start-up: give each run room on a loaded machine. */
const CLI_TIMEOUT = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'webtls-resume13-'));

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('webtls client → openssl s_server -tls1_3', () => {
  it('resumes with a ticket from the first connection, in process', async () => {
    const server = await startOpensslServer({ cert: certFiles('p256') });
    const run = await connectTwice({ port: server.port, ca: ROOT, message: 'ping\n' });
    expect(run.first, JSON.stringify(run)).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
    expect(run.first.resumed).toBe(false);
    // OpenSSL sends two tickets after the handshake (RFC 8446 §4.6.1); both were kept.
    expect(run.first.sessions).toBe(2);
    expect(run.second, JSON.stringify(run)).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
    expect(run.second.resumed).toBe(true);
    expect(run.second.earlyData).toBe('not sent');
    // s_server reports the second handshake as a resumption.
    await server.proc.waitFor(/Reused session-id/);
    expect(server.proc.stdout.match(/^Reused session-id$/gm)?.length).toBe(1);
  });

  it(
    's_client -sess_out writes a TLS 1.3 ticket (mode 0600); -sess_in resumes it',
    async () => {
      const server = await startOpensslServer({ cert: certFiles('p384'), www: true });
      const file = join(dir, 'client.pem');
      const common = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
      common.push('-CAfile', ROOT, '-tls1_3');

      const first = await runWebtlsClientCli([...common, '-sess_out', file], GET);
      expect(first.code, first.output).toBe(0);
      expect(first.stderr).toContain('Resumed: no');
      expect(first.stderr).not.toContain('-sess_out not written');
      expect(first.stdout).toContain('New, TLSv1.3');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const session = sessionFromPem(readFileSync(file, 'utf8'));
      expect(session.serverName).toBe('localhost');

      const second = await runWebtlsClientCli([...common, '-sess_in', file], GET);
      expect(second.code, second.output).toBe(0);
      expect(second.stderr).toContain('Resumed: yes');
      expect(second.stderr).toContain('Verification: OK');
      expect(second.stdout).toContain('Reused, TLSv1.3');
    },
    CLI_TIMEOUT,
  );

  it(
    'a ticket from another server gets a full handshake',
    async () => {
      const issuing = await startOpensslServer({ cert: certFiles('p256'), www: true });
      const file = join(dir, 'elsewhere.pem');
      const args = (port: number) => [
        '-connect',
        `127.0.0.1:${port}`,
        '-servername',
        'localhost',
        '-CAfile',
        ROOT,
      ];
      const first = await runWebtlsClientCli([...args(issuing.port), '-sess_out', file], GET);
      expect(first.code, first.output).toBe(0);
      // A second s_server has its own ticket keys: it cannot open the ticket.
      const other = await startOpensslServer({ cert: certFiles('p256'), www: true });
      const run = await runWebtlsClientCli([...args(other.port), '-sess_in', file], GET);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toContain('Resumed: no');
      expect(run.stderr).toContain('Verification: OK');
      expect(run.stdout).toContain('New, TLSv1.3');
    },
    CLI_TIMEOUT,
  );
});

describe.skipIf(!HAVE)('openssl s_client -tls1_3 -sess_out/-sess_in → webtls server', () => {
  /** s_client: sends a line, waits for its echo, ends; returns stdout. */
  async function opensslClient(port: number, extra: { sessOut?: string; sessIn?: string }) {
    const client = startOpensslClient({ port, ...extra });
    client.write('hello\n');
    await client.waitFor(/\nhello\n/, { stream: 'stdout' });
    client.endStdin();
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    return client.stdout;
  }

  it.each([
    ['stateless tickets (a ticketer)', { ticketer: new AeadTicketer() }],
    ['a session cache (ticket = cache key)', { sessionCache: new MemorySessionCache() }],
  ] as [string, Partial<ServerConfig>][])('resumes with %s', async (_label, store) => {
    const server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('ed25519'))],
      ...store,
    });
    try {
      const file = join(dir, `openssl-${_label.length}.pem`);
      const first = await opensslClient(server.port, { sessOut: file });
      expect(first).toContain('New, TLSv1.3');
      const firstInfo = (await server.session(0)).info!;
      expect(firstInfo.resumed).toBe(false);

      const second = await opensslClient(server.port, { sessIn: file });
      expect(second).toContain('Reused, TLSv1.3');
      const info = (await server.session(1)).info!;
      expect(info.resumed).toBe(true);
      expect(info.protocol).toBe('TLSv1.3');
      expect(info.cipherSuite).toBe(firstInfo.cipherSuite);
      expect(info.serverName).toBe('localhost');
      expect(info.earlyData).toBe('not sent');
    } finally {
      await server.close();
    }
  });

  it('a ticket the server cannot open gets a full handshake', async () => {
    const cert = await loadCert(certFiles('p256'));
    const issuing = await startWebtlsServer({ certificates: [cert], ticketer: new AeadTicketer() });
    const other = await startWebtlsServer({ certificates: [cert], ticketer: new AeadTicketer() });
    try {
      const file = join(dir, 'openssl-elsewhere.pem');
      expect(await opensslClient(issuing.port, { sessOut: file })).toContain('New, TLSv1.3');
      const out = await opensslClient(other.port, { sessIn: file });
      expect(out).toContain('New, TLSv1.3');
      const info = (await other.session(0)).info!;
      expect(info.resumed).toBe(false);
      expect(info.protocol).toBe('TLSv1.3');
    } finally {
      await issuing.close();
      await other.close();
    }
  });

  it('a server with sessionTickets: 0 sends no ticket', async () => {
    const server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256'))],
      ticketer: new AeadTicketer(),
      sessionTickets: 0,
    });
    try {
      const file = join(dir, 'openssl-none.pem');
      const client = startOpensslClient({ port: server.port, sessOut: file, extra: ['-msg'] });
      client.write('hello\n');
      await client.waitFor(/\nhello\n/, { stream: 'stdout' });
      client.endStdin();
      await client.waitExit();
      expect(client.stdout).not.toContain('NewSessionTicket');
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!HAVE)('openssl s_client -sess_out/-sess_in → webtls s_server', () => {
  it.each([
    ['TLS 1.3, tickets', [], '-tls1_3', 'TLSv1.3'],
    ['TLS 1.3, -no_ticket (session cache)', ['-no_ticket'], '-tls1_3', 'TLSv1.3'],
    ['TLS 1.2, tickets', [], '-tls1_2', 'TLSv1.2'],
    ['TLS 1.2, -no_ticket (session IDs)', ['-no_ticket'], '-tls1_2', 'TLSv1.2'],
  ])(
    'resumes: %s',
    async (label, serverFlags, version, name) => {
      const cert = certFiles('p256');
      const server = await startWebtlsServerCli([
        '-cert',
        cert.chain,
        '-key',
        cert.key,
        ...serverFlags,
      ]);
      try {
        const file = join(dir, `cli-server-${label.replace(/\W+/g, '-')}.pem`);
        const run = async (sess: string[], line: string) => {
          const client = startProc('openssl', [
            's_client',
            '-connect',
            `127.0.0.1:${server.port}`,
            version,
            '-servername',
            'localhost',
            '-CAfile',
            ROOT,
            '-verify_return_error',
            ...sess,
          ]);
          client.write(`${line}\n`);
          await server.proc.waitFor(new RegExp(`^${line}$`, 'm'), { stream: 'stdout' });
          client.endStdin();
          const { code } = await client.waitExit();
          expect(code, client.output).toBe(0);
          return client.stdout;
        };
        expect(await run(['-sess_out', file], 'one')).toContain(`New, ${name}`);
        expect(await run(['-sess_in', file], 'two')).toContain(`Reused, ${name}`);
        expect(server.proc.stderr).toMatch(/Connection: 2 [\s\S]*Resumed: yes/);
      } finally {
        server.proc.kill();
      }
    },
    CLI_TIMEOUT,
  );
});
