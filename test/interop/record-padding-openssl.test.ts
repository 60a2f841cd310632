/**
 * TLS 1.3 record padding (RFC 8446 §5.4) against OpenSSL, both ways: OpenSSL strips the padding
 * webtls adds, and its `-trace` shows every protected record's length, so the padding itself is
 * checked on the wire. A protected record's inner plaintext is its length less the 16-byte tag.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { startWebtlsServerCli, webtlsExchange } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const CERT = certFiles('p256');
const TAG = 16;

/**
 * The inner plaintext lengths of the protected records one side's `-trace` shows, in the
 * direction `which` ('Received' or 'Sent').
 */
function innerLengths(trace: string, which: 'Received' | 'Sent'): number[] {
  const pattern = new RegExp(
    `^${which} Record\\nHeader:\\n.*\\n\\s*Content Type = ApplicationData \\(23\\)\\n\\s*Length = (\\d+)`,
    'gm',
  );
  return [...trace.matchAll(pattern)].map((m) => Number(m[1]) - TAG);
}

describe.skipIf(!HAVE)('record padding ↔ OpenSSL', () => {
  afterAll(killAllPeers);

  it('openssl s_client -trace → webtls s_server -record_padding 512 -www', async () => {
    const { proc: server, port } = await startWebtlsServerCli([
      ...['-cert', CERT.chain, '-key', CERT.key, '-naccept', '1', '-www'],
      ...['-record_padding', '512'],
    ]);
    const client = startOpensslClient({ port, extra: ['-trace', '-ign_eof'] });
    await client.waitFor(/Verify return code: 0/);
    client.write('GET / HTTP/1.0\r\n\r\n');
    await client.waitFor(/<\/html>|<\/pre>|<\/body>/i, { stream: 'stdout' });
    client.endStdin();
    await client.waitExit();
    await server.waitExit();
    const lengths = innerLengths(client.stdout, 'Received');
    // The encrypted flight, the tickets, the page, close_notify: each a multiple of 512.
    expect(lengths.length, client.stdout).toBeGreaterThanOrEqual(4);
    for (const n of lengths) expect(n % 512, `${lengths}`).toBe(0);
    expect(client.stdout).toMatch(/HTTP\/1\.[01] 200/);
  });

  it('webtls client (recordPadding 100) → openssl s_server -trace -www', async () => {
    const { proc: server, port } = await startOpensslServer({
      cert: CERT,
      www: true,
      extra: ['-trace'],
      lineBuffered: true,
    });
    const { received } = await webtlsExchange(
      port,
      { serverName: 'localhost', roots: [await readRoot()], recordPadding: 100 },
      'GET / HTTP/1.0\r\n\r\n',
      /<\/html>|<\/BODY>/i,
    );
    expect(received).toMatch(/HTTP\/1\.[01] 200/);
    // The client's Finished and its request (and its close_notify when it reaches s_server
    // before the connection is gone), each padded to a multiple of 100.
    const request =
      /Received Record\nHeader:\n(?:[^\n]*\n){3}\s*Inner Content Type = ApplicationData/;
    await server.waitFor(request, { stream: 'stdout' });
    const lengths = innerLengths(server.stdout, 'Received');
    expect(lengths.length, server.stdout).toBeGreaterThanOrEqual(2);
    for (const n of lengths) expect(n % 100, `${lengths}`).toBe(0);
  });
});

async function readRoot(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(ROOT, 'utf8');
}
