/**
 * TLS 1.3 resumption and 0-RTT with gnutls 3.7, both directions:
 * - a webtls client → `gnutls-serv --earlydata -d 5`, inside a private network namespace
 *   (gnutls-serv binds every interface) with the webtls client there too (the streams API
 *   through test/interop/peers/resume-client.ts). gnutls-serv never prints early data; its debug
 *   log says `early data accepted` and `decrypted early data with length: N`, N being our
 *   payload's length (docs/interop.md, "0-RTT and resumption peers").
 * - `gnutls-cli --resume --waitresumption --earlydata=FILE` → a webtls server on 127.0.0.1: the
 *   second connection is resumed and the server reads exactly FILE's bytes as 0-RTT data.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import {
  GNUTLS_SERV_LOG_MARK,
  gnutlsServeArgs,
  shQuote,
  startGnutlsClient,
  startInNetns,
} from './peers/gnutls.ts';
import { certFiles, REPO, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import type { ResumeCase, ResumeRun } from './peers/resume-client.ts';
import { loadCert, startWebtlsServer } from './peers/webtls.ts';

const HAVE_CLI = requirePeer('gnutls-cli');
const HAVE_SERV = requirePeer('gnutls-serv', 'unshare', 'ip');
const EARLY = 'GET /early HTTP/1.0\r\nX-Zero-RTT: gnutls\r\n\r\n';
const dir = mkdtempSync(join(tmpdir(), 'webtls-0rtt-gnutls-'));

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_SERV || !canUnshareNet())('webtls client → gnutls-serv --earlydata', () => {
  it('resumes, sends 0-RTT and gnutls-serv decrypts exactly our bytes as early data', async () => {
    const cert = certFiles('p256');
    const server = gnutlsServeArgs({
      port: 5020,
      chain: cert.chain,
      key: cert.key,
      mode: 'echo',
      earlyData: true,
      extra: ['-d', '5'],
    });
    const tsx = `${REPO}/node_modules/.bin/tsx`;
    const script = `${REPO}/test/interop/peers/resume-client.ts`;
    const c: ResumeCase = { port: 5020, ca: ROOT, earlyData: EARLY, message: 'after\n' };
    const client = `cd ${shQuote(REPO)}; ${shQuote(tsx)} ${shQuote(script)} ${shQuote(JSON.stringify(c))}`;
    const proc = startInNetns([server], client, { showServerLogs: true });
    await proc.waitExit(120_000);

    const match = /^RESULT (.*)$/m.exec(proc.stdout);
    expect(match, proc.output).not.toBeNull();
    const run = JSON.parse(match![1]) as ResumeRun;
    expect(run.first, proc.output).toMatchObject({ ok: true, protocol: 'TLSv1.3', resumed: false });
    expect(run.second, proc.output).toMatchObject({ ok: true, resumed: true });
    expect(run.second.earlyData).toBe('accepted');
    // gnutls-serv echoes what came after the handshake (not the early data).
    expect(run.second.received).toContain('after\n');

    const log = proc.stdout.split(GNUTLS_SERV_LOG_MARK)[1] ?? '';
    expect(log, proc.output).toContain('*** This is a resumed session');
    expect(log).toMatch(/early data accepted/);
    expect(log).toContain(`decrypted early data with length: ${EARLY.length},`);
  }, 180_000);
});

describe.skipIf(!HAVE_CLI)('gnutls-cli --resume --earlydata → webtls server', () => {
  it('resumes and the server reads exactly the early data first', async () => {
    const file = join(dir, 'early.txt');
    writeFileSync(file, EARLY);
    const server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256'))],
      ticketer: new AeadTicketer(),
      maxEarlyData: 16384,
    });
    try {
      const client = startGnutlsClient({ port: server.port, resume: true, earlyDataFile: file });
      await client.waitFor(/\*\*\* This is a resumed session/);
      await client.waitFor(/Simple Client Mode/);
      client.write('after\n');
      await client.waitFor(/\nafter\n/, { stream: 'stdout' });
      client.endStdin();
      const { code } = await client.waitExit();
      expect(code, client.output).toBe(0);

      const first = await server.session(0);
      expect(first.info!.resumed).toBe(false);
      const second = await server.session(1);
      expect(second.info!.resumed).toBe(true);
      expect(second.info!.earlyData).toBe('accepted');
      expect(second.info!.earlyDataBytes).toBe(EARLY.length);
      expect(second.received).toBe(`${EARLY}after\n`);
    } finally {
      await server.close();
    }
  });
});
