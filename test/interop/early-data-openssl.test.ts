/**
 * TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10) against OpenSSL, both directions:
 * - a webtls client (in process, and `webtls s_client -sess_out` then `-sess_in -early_data F`)
 *   → `openssl s_server -early_data`: the client reports the early data accepted and s_server
 *   printed exactly the bytes as early data;
 * - `openssl s_client -sess_out` then `-sess_in -early_data F` → a webtls server (in process
 *   and `webtls s_server -early_data`): s_client reports `Early data was accepted` and the
 *   server read exactly the bytes as its first `earlyDataBytes`;
 * - replays and tickets without early data: rejected or not sent, and the handshake completes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import type { ConnectOptions } from '../../src/streams/index.ts';
import {
  opensslClientEarlyData,
  opensslServerEarlyData,
  startOpensslClient,
  startOpensslServer,
} from './peers/openssl.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, type Proc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { connectTwice } from './peers/resume-client.ts';
import {
  loadCert,
  runWebtlsClientCli,
  startWebtlsServer,
  startWebtlsServerCli,
  webtlsExchange,
} from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const CLI_TIMEOUT = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'webtls-0rtt-openssl-'));
/** The 0-RTT payload: a request line with bytes that survive no careless re-encoding. */
const EARLY = 'GET /early HTTP/1.0\r\nX-Zero-RTT: \x01\x7f\xe9\r\n\r\n';
const EARLY_FILE = join(dir, 'early.bin');
writeFileSync(EARLY_FILE, Buffer.from(EARLY, 'latin1'));

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('webtls client → openssl s_server -early_data', () => {
  it('resumes and sends 0-RTT that s_server accepts and prints, in process', async () => {
    const server = await startOpensslServer({ cert: certFiles('p256'), earlyData: true });
    const run = await connectTwice({ port: server.port, ca: ROOT, earlyData: EARLY });
    expect(run.first, JSON.stringify(run)).toMatchObject({ ok: true, resumed: false });
    expect(run.first.earlyData).toBe('not sent');
    expect(run.second, JSON.stringify(run)).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
    expect(run.second.resumed).toBe(true);
    expect(run.second.earlyData).toBe('accepted');
    // s_server: no early data on the first connection, exactly ours on the second.
    await server.proc.waitFor(/^End of early data$/m);
    const seen = opensslServerEarlyData(server.proc.stdout, EARLY);
    expect(seen, server.proc.output).toMatchObject({ received: 1, none: 1, rejected: 0 });
    expect(seen.hasData, server.proc.output).toBe(true);
  });

  it(
    'webtls s_client -sess_out, then -sess_in -early_data FILE: accepted; the file again: rejected',
    async () => {
      const server = await startOpensslServer({ cert: certFiles('p256'), earlyData: true });
      const file = join(dir, 'cli-session.pem');
      const common = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
      common.push('-CAfile', ROOT);

      const first = await runWebtlsClientCli([...common, '-sess_out', file], 'first\n');
      expect(first.code, first.output).toBe(0);
      expect(first.stderr).toContain('Resumed: no');
      expect(first.stderr).toContain('Early data: not sent');

      const early = ['-sess_in', file, '-early_data', EARLY_FILE];
      const second = await runWebtlsClientCli([...common, ...early], 'second\n');
      expect(second.code, second.output).toBe(0);
      expect(second.stderr).toContain('Resumed: yes');
      expect(second.stderr).toContain('Early data: accepted');
      await server.proc.waitFor(/^End of early data$/m);
      expect(opensslServerEarlyData(server.proc.stdout, EARLY).hasData).toBe(true);
      // -early_data prints nothing of its own: stdout carries only what the server sent.
      expect(second.stdout).not.toContain('X-Zero-RTT');

      // 2. The same ticket again: OpenSSL refuses it (single use, anti-replay), so a full
      //    handshake follows and the early data is rejected, not sent again (the default).
      const third = await runWebtlsClientCli([...common, ...early], 'third\n');
      expect(third.code, third.output).toBe(0);
      expect(third.stderr).toContain('Resumed: no');
      expect(third.stderr).toContain('Early data: rejected');
      expect(third.stderr).toContain('Verification: OK');
      await server.proc.waitFor(/^third$/m);
      const seen = opensslServerEarlyData(server.proc.stdout, EARLY);
      expect(seen, server.proc.output).toMatchObject({ received: 1, rejected: 1 });
    },
    CLI_TIMEOUT,
  );

  it('rejected early data (a replayed ticket) is sent again after the handshake on request', async () => {
    const server = await startOpensslServer({ cert: certFiles('p256'), earlyData: true });
    const options = (store: MemorySessionStore, extra: Partial<ConnectOptions> = {}) => ({
      serverName: 'localhost',
      roots: [pem(ROOT)],
      sessionStore: store,
      ...extra,
    });
    const store = new MemorySessionStore();
    await webtlsExchange(server.port, options(store), 'first\n', /never/, 3000);
    const session = (await store.take('localhost'))!;
    expect(session.maxEarlyData).toBe(16384);
    // The same ticket twice, each from a store holding only it: s_server accepts its early
    // data once, then refuses the ticket (OpenSSL's anti-replay makes tickets single use).
    const only = async () => {
      const one = new MemorySessionStore();
      await one.put('localhost', session);
      return one;
    };
    const early = { earlyData: new TextEncoder().encode('early-once\n') };
    const once = await webtlsExchange(
      server.port,
      options(await only(), early),
      'a\n',
      /never/,
      3000,
    );
    expect(once.info.resumed).toBe(true);
    expect(once.info.earlyData).toBe('accepted');
    const resend = { earlyData: new TextEncoder().encode('early-twice\n'), resendEarlyData: true };
    const again = await webtlsExchange(
      server.port,
      options(await only(), resend),
      'b\n',
      /never/,
      3000,
    );
    expect(again.info.resumed).toBe(false);
    expect(again.info.earlyData).toBe('rejected');
    expect(again.info.verification).toBe('OK');
    // s_server got the rejected bytes as ordinary data after the handshake, before 'b'.
    await server.proc.waitFor(/early-twice\nb\n/, { stream: 'stdout' });
    expect(opensslServerEarlyData(server.proc.stdout, 'early-once\n')).toMatchObject({
      received: 1,
      rejected: 1,
      hasData: true,
    });
  });

  it('resumes across a HelloRetryRequest (binders over the retried transcript)', async () => {
    // The server wants P-384; the client's first key shares are others, so hellos are retried.
    const server = await startOpensslServer({ cert: certFiles('p256'), groups: 'P-384' });
    const run = await connectTwice({ port: server.port, ca: ROOT, message: 'x\n' });
    expect(run.first, JSON.stringify(run)).toMatchObject({ ok: true, resumed: false });
    expect(run.second, JSON.stringify(run)).toMatchObject({ ok: true, resumed: true });
    expect(run.second.helloRetry).toBe(true);
    await server.proc.waitFor(/^Reused session-id$/m);
  });

  it('0-RTT with a HelloRetryRequest is rejected and the handshake completes', async () => {
    // RFC 8446 §4.2.10: no early data after a HelloRetryRequest. OpenSSL with -early_data also
    // spends the ticket on the first ClientHello, so the retried one gets a full handshake
    // (openssl s_client behaves the same against it).
    const server = await startOpensslServer({
      cert: certFiles('p256'),
      earlyData: true,
      groups: 'P-384',
    });
    const run = await connectTwice({
      port: server.port,
      ca: ROOT,
      earlyData: EARLY,
      message: 'x\n',
    });
    expect(run.first, JSON.stringify(run)).toMatchObject({ ok: true, resumed: false });
    expect(run.second, JSON.stringify(run)).toMatchObject({ ok: true, earlyData: 'rejected' });
    expect(run.second.helloRetry).toBe(true);
    await server.proc.waitFor(/^Early data was rejected$/m);
    expect(server.proc.stdout).not.toContain('X-Zero-RTT');
  });

  it('a server that allows no early data: the ticket says so and none is sent', async () => {
    // Without -early_data s_server's tickets carry no early_data extension.
    const server = await startOpensslServer({ cert: certFiles('p256') });
    const run = await connectTwice({ port: server.port, ca: ROOT, earlyData: EARLY });
    expect(run.second, JSON.stringify(run)).toMatchObject({ ok: true, resumed: true });
    expect(run.second.earlyData).toBe('not sent');
    expect(server.proc.stdout).not.toContain('X-Zero-RTT');
  });
});

/** openssl s_client with a line to send; waits for the echo (if any) and exits. */
async function opensslClient(
  port: number,
  options: { sessOut?: string; sessIn?: string; earlyDataFile?: string },
  line: string,
  echo: boolean,
): Promise<Proc> {
  const client = startOpensslClient({ port, ...options });
  await client.waitFor(/^Verify return code/m, { stream: 'stdout' });
  client.write(`${line}\n`);
  if (echo) await client.waitFor(new RegExp(`\\n${line}\\n`), { stream: 'stdout' });
  // Time for the tickets, which come after the handshake.
  else await new Promise((resolve) => setTimeout(resolve, 500));
  client.endStdin();
  const { code } = await client.waitExit();
  expect(code, client.output).toBe(0);
  return client;
}

describe.skipIf(!HAVE)('openssl s_client -early_data → webtls server (in process)', () => {
  const config = async (extra: Partial<ServerConfig> = {}): Promise<ServerConfig> => ({
    certificates: [await loadCert(certFiles('p256'))],
    ticketer: new AeadTicketer(),
    maxEarlyData: 16384,
    ...extra,
  });

  it('accepts the early data once: the server reads exactly it first; a replay is rejected', async () => {
    const server = await startWebtlsServer(await config());
    try {
      const file = join(dir, 'openssl-session.pem');
      const first = await opensslClient(server.port, { sessOut: file }, 'one', true);
      expect(first.stdout).toContain('New, TLSv1.3');
      expect(first.stdout).toMatch(/Max Early Data: 16384/);

      const early = { sessIn: file, earlyDataFile: EARLY_FILE };
      const second = await opensslClient(server.port, early, 'two', true);
      expect(second.stdout).toContain('Reused, TLSv1.3');
      expect(opensslClientEarlyData(second.stdout)).toBe('accepted');
      const session = await server.session(1);
      expect(session.info!.resumed).toBe(true);
      expect(session.info!.earlyData).toBe('accepted');
      expect(session.info!.earlyDataBytes).toBe(EARLY.length);
      // The first earlyDataBytes bytes read are the 0-RTT data, then what came after.
      expect(session.received).toBe(`${EARLY}two\n`);

      // RFC 8446 §8: the same ticket's early data is accepted at most once. The handshake
      // still completes (resumed or not), and the rejected data never reaches the reader.
      const replay = await opensslClient(server.port, early, 'three', true);
      expect(opensslClientEarlyData(replay.stdout)).toBe('rejected');
      const third = await server.session(2);
      expect(third.info!.earlyData).toBe('rejected');
      expect(third.info!.earlyDataBytes).toBe(0);
      expect(third.received).toBe('three\n');
    } finally {
      await server.close();
    }
  });

  it('maxEarlyData 0: tickets allow no early data; s_client does not send it', async () => {
    const server = await startWebtlsServer(await config({ maxEarlyData: 0 }));
    try {
      const file = join(dir, 'openssl-noearly.pem');
      const first = await opensslClient(server.port, { sessOut: file }, 'one', true);
      expect(first.stdout).not.toMatch(/Max Early Data: [1-9]/);
      const early = { sessIn: file, earlyDataFile: EARLY_FILE };
      const second = await opensslClient(server.port, early, 'two', true);
      expect(second.stdout).toContain('Reused, TLSv1.3');
      expect(opensslClientEarlyData(second.stdout)).toBe('not sent');
      const session = await server.session(1);
      expect(session.info!.earlyData).toBe('not sent');
      expect(session.received).toBe('two\n');
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!HAVE)('openssl s_client -early_data → webtls s_server -early_data', () => {
  it(
    'announces "Early data received: N bytes" and prints the bytes first',
    async () => {
      const cert = certFiles('p256');
      const server = await startWebtlsServerCli([
        '-cert',
        cert.chain,
        '-key',
        cert.key,
        '-early_data',
      ]);
      const file = join(dir, 'openssl-cli-session.pem');
      const first = await opensslClient(server.port, { sessOut: file }, 'one', false);
      expect(first.stdout).toMatch(/Max Early Data: 16384/);
      await server.proc.waitFor(/^one$/m, { stream: 'stdout' });

      const early = { sessIn: file, earlyDataFile: EARLY_FILE };
      const second = await opensslClient(server.port, early, 'two', false);
      expect(second.stdout).toContain('Reused, TLSv1.3');
      expect(opensslClientEarlyData(second.stdout)).toBe('accepted');
      await server.proc.waitFor(/^two$/m, { stream: 'stdout' });
      expect(server.proc.stderr).toContain(`Early data received: ${EARLY.length} bytes`);
      expect(server.proc.stderr).toMatch(/Resumed: yes\nEarly data: accepted/);
      // Connection 1's line, then connection 2's early data, then its line.
      expect(server.proc.stdout).toContain(`one\n${EARLY}two\n`);
      server.proc.kill();
    },
    CLI_TIMEOUT,
  );
});
