/**
 * TLS 1.3 resumption and 0-RTT with BoringSSL (`bssl-tool`, Debian android-boringssl), both
 * directions:
 * - a webtls client → `bssl-tool server -early-data`, inside a private network namespace (it
 *   binds every interface) with the client there too: `webtls s_client -sess_out`, then
 *   `-sess_in -early_data FILE`, and the streams API (test/interop/peers/resume-client.ts).
 *   bssl-tool server reports `Resumed session: yes`, `Early data: yes` and prints the bytes.
 * - `bssl-tool client -session-out`, then `-session-in -early-data @FILE` → a webtls server on
 *   127.0.0.1: the server reads exactly FILE's bytes as 0-RTT data; a replayed ticket's early
 *   data is rejected, which bssl-tool reports as EARLY_DATA_REJECTED.
 */
import { mkdtempSync, readFileSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { runWithBsslServer, startBsslClient } from './peers/bssl.ts';
import { shQuote } from './peers/gnutls.ts';
import { certFiles, REPO, ROOT } from './peers/pki.ts';
import { killAllPeers, type Proc } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import type { ResumeCase, ResumeRun } from './peers/resume-client.ts';
import { loadCert, startWebtlsServer, startWebtlsServerCli, WEBTLS_BIN } from './peers/webtls.ts';

const HAVE = requirePeer('bssl-tool');
const HAVE_NETNS = HAVE && requirePeer('unshare', 'ip', 'ss') && canUnshareNet();
const EARLY = 'GET /early HTTP/1.0\r\nX-Zero-RTT: boringssl\r\n\r\n';
const dir = mkdtempSync(join(tmpdir(), 'webtls-0rtt-bssl-'));
const EARLY_FILE = join(dir, 'early.txt');
writeFileSync(EARLY_FILE, EARLY);

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

/** bssl-tool server's report blocks, one per connection: `Resumed session` and `Early data`. */
function bsslServerReports(out: string): { resumed: string; early: string }[] {
  return [...out.matchAll(/Resumed session: (\w+)[\s\S]*?Early data: (\w+)/g)].map((m) => ({
    resumed: m[1],
    early: m[2],
  }));
}

describe.skipIf(!HAVE_NETNS)('webtls client → bssl-tool server -early-data (netns)', () => {
  it('webtls s_client -sess_out, then -sess_in -early_data FILE: resumed and accepted', async () => {
    const session = join(dir, 'cli-session.pem');
    const sClient = (args: string[]) =>
      `sleep 1 | ${shQuote(WEBTLS_BIN)} s_client ${[
        '-connect',
        '127.0.0.1:5030',
        '-servername',
        'localhost',
        '-CAfile',
        ROOT,
        ...args,
      ]
        .map(shQuote)
        .join(' ')}`;
    const client = [
      sClient(['-sess_out', session]),
      'echo "FIRST-EXIT $?"',
      sClient(['-sess_in', session, '-early_data', EARLY_FILE]),
      'echo "SECOND-EXIT $?"',
    ].join('; ');
    const run = await runWithBsslServer(
      { port: 5030, cert: certFiles('p256'), earlyData: true },
      client,
      180_000,
    );
    const output = `${run.proc.output}`;
    expect(run.client, output).toContain('FIRST-EXIT 0');
    expect(run.client, output).toContain('SECOND-EXIT 0');
    const [first, second] = run.client.split('FIRST-EXIT 0');
    expect(first).toContain('Resumed: no');
    expect(first).not.toContain('-sess_out not written');
    expect(readFileSync(session, 'utf8')).toContain('BEGIN WEBTLS SESSION');
    expect(second).toContain('Resumed: yes');
    expect(second).toContain('Early data: accepted');
    expect(second).toContain('Verification: OK');

    expect(bsslServerReports(run.server), output).toEqual([
      { resumed: 'no', early: 'no' },
      { resumed: 'yes', early: 'yes' },
    ]);
    expect(run.server).toContain(EARLY);
  }, 200_000);

  it('the streams API: resumed, early data accepted, bytes printed by the server', async () => {
    const tsx = `${REPO}/node_modules/.bin/tsx`;
    const script = `${REPO}/test/interop/peers/resume-client.ts`;
    const c: ResumeCase = { port: 5031, ca: ROOT, earlyData: EARLY, message: 'after\n' };
    const client = `cd ${shQuote(REPO)}; ${shQuote(tsx)} ${shQuote(script)} ${shQuote(JSON.stringify(c))}`;
    const run = await runWithBsslServer(
      { port: 5031, cert: certFiles('p384'), earlyData: true },
      client,
    );
    const match = /^RESULT (.*)$/m.exec(run.client);
    expect(match, run.proc.output).not.toBeNull();
    const result = JSON.parse(match![1]) as ResumeRun;
    expect(result.first, run.proc.output).toMatchObject({ ok: true, resumed: false });
    expect(result.first.sessions).toBeGreaterThan(0);
    expect(result.second, run.proc.output).toMatchObject({ ok: true, resumed: true });
    expect(result.second.earlyData).toBe('accepted');
    expect(bsslServerReports(run.server)).toEqual([
      { resumed: 'no', early: 'no' },
      { resumed: 'yes', early: 'yes' },
    ]);
    // The early data, then what was sent after the handshake.
    expect(run.server, run.proc.output).toContain(`${EARLY}after\n`);
  }, 200_000);
});

/**
 * Runs bssl-tool client until its handshake report, then (bounded) until its -session-out file
 * has a session, or a second otherwise, then ends it.
 */
async function bsslClient(options: Parameters<typeof startBsslClient>[0]): Promise<Proc> {
  const client = startBsslClient(options);
  await client.waitFor(/Cert issuer:|Error/);
  const deadline = Date.now() + (options.sessionOut ? 10_000 : 1000);
  const ready = () => options.sessionOut && statSync(options.sessionOut, { throwIfNoEntry: false });
  while (Date.now() < deadline && !(ready() && (ready() as Stats).size > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  client.endStdin();
  await client.waitExit();
  return client;
}

describe.skipIf(!HAVE)('bssl-tool client -early-data → webtls server', () => {
  it('accepts the early data once; the replay is rejected and reported', async () => {
    const server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256'))],
      ticketer: new AeadTicketer(),
      maxEarlyData: 16384,
    });
    try {
      const file = join(dir, 'bssl-session.pem');
      const first = await bsslClient({ port: server.port, sessionOut: file });
      expect(first.output).toContain('Resumed session: no');
      expect(readFileSync(file, 'utf8'), first.output).toContain('BEGIN SSL SESSION PARAMETERS');
      expect((await server.session(0)).info!.resumed).toBe(false);

      const early = { port: server.port, sessionIn: file, earlyDataFile: EARLY_FILE };
      const second = await bsslClient(early);
      expect(second.output).toContain('Resumed session: yes');
      expect(second.output).not.toContain('EARLY_DATA_REJECTED');
      const session = await server.session(1);
      expect(session.info!.resumed).toBe(true);
      expect(session.info!.earlyData).toBe('accepted');
      expect(session.info!.earlyDataBytes).toBe(EARLY.length);
      expect(session.received).toBe(EARLY);

      // The same ticket again: its early data was already accepted once (RFC 8446 §8).
      const replay = await bsslClient(early);
      expect(replay.output).toContain('EARLY_DATA_REJECTED');
      // bssl-tool stops there (it does not retry); android-boringssl 13 resets the connection
      // before its Finished, so the server's handshake fails with ECONNRESET. The server never
      // hands the rejected data to the application either way.
      const third = await server.session(2);
      if (third.info) expect(third.info.earlyData).toBe('rejected');
      expect(third.received).toBe('');
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!HAVE)('bssl-tool client -early-data → webtls s_server -early_data', () => {
  it('the CLI announces the early data and prints exactly its bytes', async () => {
    // (Not Ed25519: bssl-tool client does not offer ed25519 signatures by default.)
    const cert = certFiles('rsa2048');
    const server = await startWebtlsServerCli([
      '-cert',
      cert.chain,
      '-key',
      cert.key,
      '-early_data',
    ]);
    try {
      const file = join(dir, 'bssl-cli-session.pem');
      const first = await bsslClient({ port: server.port, sessionOut: file });
      expect(readFileSync(file, 'utf8'), first.output + server.proc.output).toContain(
        'BEGIN SSL SESSION PARAMETERS',
      );
      const second = await bsslClient({
        port: server.port,
        sessionIn: file,
        earlyDataFile: EARLY_FILE,
      });
      expect(second.output).toContain('Resumed session: yes');
      expect(second.output).not.toContain('EARLY_DATA_REJECTED');
      await server.proc.waitFor(/Early data received: \d+ bytes/, { stream: 'stderr' });
      expect(server.proc.stderr).toContain(`Early data received: ${EARLY.length} bytes`);
      expect(server.proc.stderr).toMatch(/Resumed: yes\nEarly data: accepted/);
      await server.proc.waitFor(/X-Zero-RTT: boringssl\r\n\r\n/, { stream: 'stdout' });
      // Connection 1 sent nothing; connection 2 sent only the early data.
      expect(server.proc.stdout).toBe(`ACCEPT 127.0.0.1:${server.port}\n${EARLY}`);
    } finally {
      server.proc.kill();
    }
  }, 120_000);
});
