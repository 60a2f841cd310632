import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../src/crypto/index.ts';
import { tcpTransport } from '../../src/node/tcp.ts';
import { connect } from '../../src/streams/index.ts';
import { startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import type { Proc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer } from './peers/webtls.ts';

/**
 * AEAD usage limits (RFC 8446 §5.5) against OpenSSL, with a limit of a few records: the webtls
 * side updates its keys with KeyUpdate(update_requested) before the limit, OpenSSL (with -msg)
 * shows each KeyUpdate and answers with its own, and every byte arrives.
 */

const hasOpenssl = requirePeer('openssl');
const provider = defaultProvider();
const procs: Proc[] = [];
let server: WebtlsServer | undefined;

afterEach(async () => {
  for (const p of procs.splice(0)) p.kill();
  await server?.close();
  server = undefined;
});

/** KeyUpdate messages OpenSSL's -msg trace shows in one direction ('<<<' received). */
function keyUpdates(trace: string, direction: '<<<' | '>>>'): number {
  const lines = trace.split('\n');
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith(direction) && lines[i].includes('KeyUpdate')) n++;
  }
  return n;
}

describe.skipIf(!hasOpenssl)('AEAD usage limits against openssl', () => {
  it('webtls client → openssl s_server: KeyUpdate before each limit, data intact', async () => {
    const oss = await startOpensslServer({ cert: certFiles('p256'), extra: ['-msg'] });
    procs.push(oss.proc);
    const tls = connect(await tcpTransport('127.0.0.1', oss.port), {
      serverName: 'localhost',
      roots: [pem(ROOT)],
      sessionStore: null,
      limits: { aeadRecordLimit: 2 },
    });
    await tls.opened;
    const writer = tls.writable.getWriter();
    const lines = Array.from({ length: 6 }, (_, i) => `line ${i} ${'x'.repeat(20000)}\n`);
    for (const line of lines) await writer.write(new TextEncoder().encode(line));
    await oss.proc.waitFor(/line 5 x+/, { stream: 'stdout', timeoutMs: 15_000 });
    for (let i = 0; i < 6; i++) expect(oss.proc.stdout).toContain(`line ${i} `);
    expect(keyUpdates(oss.proc.stdout, '<<<')).toBeGreaterThanOrEqual(3);
    // update_requested: OpenSSL sends its own KeyUpdate in reply.
    expect(keyUpdates(oss.proc.stdout, '>>>')).toBeGreaterThanOrEqual(1);
    await tls.close();
  });

  it('openssl s_client → webtls server: the server rekeys its writes, openssl reads them all', async () => {
    server = await startWebtlsServer({
      provider,
      certificates: [await loadCert(certFiles('p256'), provider)],
      limits: { aeadRecordLimit: 2 },
    });
    const client = startOpensslClient({ port: server.port, extra: ['-msg'] });
    procs.push(client);
    await client.waitFor(/Verify return code: 0/, { stream: 'stdout', timeoutMs: 15_000 });
    // The echo server sends each line back; big lines take several records each.
    for (let i = 0; i < 4; i++) client.write(`echo ${i} ${'y'.repeat(30000)}\n`);
    await client.waitFor(/echo 3 y+/, { stream: 'stdout', timeoutMs: 15_000 });
    expect(keyUpdates(client.stdout, '<<<')).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 4; i++) expect(client.stdout).toContain(`echo ${i} `);
  });
});
