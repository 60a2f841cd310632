/**
 * TLS 1.2 resumption against OpenSSL, both directions, by RFC 5077 ticket and by session ID:
 * a webtls client (in process, and `webtls s_client -sess_out/-sess_in`) → `openssl s_server
 * -tls1_2` (tickets on by default; `-no_ticket` for session IDs), and `openssl s_client -tls1_2
 * -sess_out/-sess_in` (and `-no_ticket`) → a webtls server with a ticketer and a session cache.
 * Each side's own report says the session was reused: OpenSSL's `Reused, TLSv1.2`, webtls's
 * `Resumed: yes` / `info.resumed`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import { sessionFromPem } from '../../src/sessions/stored-session.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, type Proc, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import {
  loadCert,
  runWebtlsClientCli,
  startWebtlsServer,
  type WebtlsServer,
  webtlsExchange,
} from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const GET = 'GET / HTTP/1.0\r\n\r\n';
const dir = mkdtempSync(join(tmpdir(), 'webtls-resume-'));

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

/** `openssl s_server -tls1_2 -www` on 127.0.0.1:0 with the P-256 certificate. */
async function startOpensslServer(extra: string[] = []): Promise<{ proc: Proc; port: number }> {
  const cert = certFiles('p256');
  const proc = startProc('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-tls1_2',
    '-www',
    '-cert',
    cert.leaf,
    '-cert_chain',
    cert.inter,
    '-key',
    cert.key,
    ...extra,
  ]);
  const match = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, { stream: 'stdout' });
  return { proc, port: Number(match[1]) };
}

describe.skipIf(!HAVE)('webtls client → openssl s_server -tls1_2', () => {
  it.each([
    ['an RFC 5077 ticket', []],
    ['a session ID (-no_ticket)', ['-no_ticket']],
  ])('resumes by %s, in process', async (_label, flags) => {
    const { port } = await startOpensslServer(flags);
    const store = new MemorySessionStore();
    const options = () => ({ serverName: 'localhost', roots: [pem(ROOT)], sessionStore: store });

    const first = await webtlsExchange(port, options(), GET, /<\/HTML>/i);
    expect(first.info.protocol).toBe('TLSv1.2');
    expect(first.info.resumed).toBe(false);
    expect(first.received).toContain('New, TLSv1.2');
    expect(store.count('localhost')).toBe(1);
    const stored = (await store.take('localhost'))!;
    await store.put('localhost', stored);
    // OpenSSL issues a ticket unless told not to; with -no_ticket only its session ID is kept.
    expect(stored.ticket !== undefined).toBe(flags.length === 0);
    expect(stored.sessionId !== undefined).toBe(flags.length > 0);

    const second = await webtlsExchange(port, options(), GET, /<\/HTML>/i);
    expect(second.info.resumed).toBe(true);
    expect(second.info.cipherSuite).toBe(first.info.cipherSuite);
    expect(second.info.verification).toBe('OK');
    // s_server -www describes the session from its side.
    expect(second.received).toContain('Reused, TLSv1.2');
    expect(second.received).toMatch(/Extended master secret: yes/);
  });

  it('s_client -sess_out writes a 0600 session file; -sess_in resumes from it', async () => {
    for (const flags of [[], ['-no_ticket']]) {
      const { port } = await startOpensslServer(flags);
      const file = join(dir, `client-${flags.length}.pem`);
      const common = ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', ROOT];
      const first = await runWebtlsClientCli([...common, '-sess_out', file], GET);
      expect(first.code, first.output).toBe(0);
      expect(first.stderr).toContain('Resumed: no');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const session = sessionFromPem(readFileSync(file, 'utf8'));
      expect(session.serverName).toBe('localhost');
      expect(session.extendedMasterSecret).toBe(true);

      const second = await runWebtlsClientCli([...common, '-sess_in', file, '-tls1_2'], GET);
      expect(second.code, second.output).toBe(0);
      expect(second.stderr).toContain('Resumed: yes');
      expect(second.stdout).toContain('Reused, TLSv1.2');
    }
  }, 60_000);

  it('-sess_in for another server name is not offered', async () => {
    const { port } = await startOpensslServer();
    const file = join(dir, 'other-name.pem');
    const common = ['-connect', `127.0.0.1:${port}`, '-CAfile', ROOT];
    await runWebtlsClientCli([...common, '-servername', 'localhost', '-sess_out', file], GET);
    const run = await runWebtlsClientCli(
      [...common, '-servername', '127.0.0.1', '-sess_in', file],
      GET,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toContain('Resumed: no');
    expect(run.stdout).toContain('New, TLSv1.2');
  });
});

describe.skipIf(!HAVE)('openssl s_client -tls1_2 -sess_out/-sess_in → webtls server', () => {
  let server: WebtlsServer;
  let config: ServerConfig;
  beforeAll(async () => {
    config = {
      certificates: [await loadCert(certFiles('p256'))],
      ticketer: new AeadTicketer(),
      sessionCache: new MemorySessionCache(),
    };
    server = await startWebtlsServer(config);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Runs s_client with `extra`, sends a line, waits for the echo; returns its stdout. */
  async function opensslClient(port: number, extra: string[]): Promise<string> {
    const client = startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-tls1_2',
      '-servername',
      'localhost',
      '-verify_hostname',
      'localhost',
      '-CAfile',
      ROOT,
      '-verify_return_error',
      ...extra,
    ]);
    client.write('hello\n');
    await client.waitFor(/\nhello\n/, { stream: 'stdout' });
    client.endStdin();
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    return client.stdout;
  }

  it.each([
    ['an RFC 5077 ticket', []],
    ['a session ID (-no_ticket)', ['-no_ticket']],
  ])('resumes by %s', async (label, flags) => {
    const file = join(dir, `openssl-${flags.length}.pem`);
    const n = server.sessions.length;
    const first = await opensslClient(server.port, [...flags, '-sess_out', file]);
    expect(first).toContain('New, TLSv1.2');
    const firstInfo = (await server.session(n)).info!;
    expect(firstInfo.resumed).toBe(false);

    const second = await opensslClient(server.port, [...flags, '-sess_in', file]);
    expect(second, label).toContain('Reused, TLSv1.2');
    const info = (await server.session(n + 1)).info!;
    expect(info.resumed).toBe(true);
    expect(info.cipherSuite).toBe(firstInfo.cipherSuite);
    expect(info.serverName).toBe('localhost');
  });

  it('a session the server cannot resume gets a full handshake', async () => {
    const file = join(dir, 'openssl-elsewhere.pem');
    await opensslClient(server.port, ['-sess_out', file]);
    // Another server: other ticket keys, empty cache.
    const other = await startWebtlsServer({
      ...config,
      ticketer: new AeadTicketer(),
      sessionCache: new MemorySessionCache(),
    });
    try {
      const out = await opensslClient(other.port, ['-sess_in', file]);
      expect(out).toContain('New, TLSv1.2');
      expect((await other.session(0)).info!.resumed).toBe(false);
    } finally {
      await other.close();
    }
  });
});
