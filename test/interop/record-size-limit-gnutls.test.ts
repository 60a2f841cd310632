/**
 * RFC 8449 record_size_limit against GnuTLS, which negotiates it (`--recordsize=N` sets the
 * limit it advertises), in TLS 1.3 and TLS 1.2, both ways. Each side advertises a small limit
 * and is sent messages many times larger: a record over either limit would end the connection
 * with record_overflow (GnuTLS enforces its own limit as webtls does), so an intact message
 * shows the sender cut its records to the receiver's limit.
 *
 * gnutls-cli sends each read of its stdin with one gnutls_record_send and drops what did not
 * fit in that record, so it only sends short lines here; gnutls-serv --echo answers a line
 * at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gnutlsServeArgs, startGnutlsClient, startInNetns } from './peers/gnutls.ts';
import { netnsClientCommand, netnsResults } from './peers/netns-cases.ts';
import type { NetnsCase } from './peers/netns-client.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers, type Proc } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  startWebtlsServerCli,
  type WebtlsServer,
} from './peers/webtls.ts';

const HAVE_CLI = requirePeer('gnutls-cli');
const HAVE_SERV = requirePeer('gnutls-serv', 'unshare', 'ip');

const PRIORITY = {
  'TLSv1.3': 'NORMAL:-VERS-ALL:+VERS-TLS1.3',
  'TLSv1.2': 'NORMAL:-VERS-ALL:+VERS-TLS1.2',
} as const;
const VERSIONS = ['TLSv1.3', 'TLSv1.2'] as const;

/** GnuTLS's limit (gnutls-cli takes 512 to 4096) and ours: far below the 3000-byte messages. */
const GNUTLS_LIMIT = 1024;
const WEBTLS_LIMIT = 600;

/** A line of `n` printable bytes that names its test. */
function line(tag: string, n: number): string {
  let s = `${tag}:`;
  for (let i = 0; s.length < n; i++) s += String.fromCharCode(97 + (i % 26));
  return s;
}

/** Answers each line received with `reply(line)`; closes after the client's close_notify. */
const replyHandler =
  (reply: (line: string) => string): SessionHandler =>
  async (tls, session) => {
    const reader = tls.readable.getReader();
    const writer = tls.writable.getWriter();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      session.received += new TextDecoder().decode(value);
      if (session.received.endsWith('\n')) {
        await writer.write(new TextEncoder().encode(`${reply(session.received.trim())}\n`));
      }
    }
    await writer.close();
    await tls.closed;
  };

/** Sends a line through gnutls-cli, waits for `expected`, then ends stdin; expects exit 0. */
async function exchange(client: Proc, text: string, expected: string): Promise<void> {
  await client.waitFor(/Handshake was completed/);
  client.write(`${text}\n`);
  await client.waitFor(new RegExp(`${expected}\\n`), { stream: 'stdout' });
  client.endStdin();
  const { code } = await client.waitExit();
  expect(code, client.output).toBe(0);
}

describe.skipIf(!HAVE_CLI)('record_size_limit: gnutls-cli → webtls accept()', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    server = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256'))],
        recordSizeLimit: WEBTLS_LIMIT,
      },
      replyHandler((text) => line(text, 3000)),
    );
  });
  afterAll(async () => {
    await killAllPeers();
    await server.close();
  });

  it.each(VERSIONS)('%s: both limits negotiated, 3000 bytes to gnutls', async (version) => {
    const n = server.sessions.length;
    const text = `gnutls-cli ${version}`;
    const client = startGnutlsClient({
      port: server.port,
      priority: PRIORITY[version],
      recordSize: GNUTLS_LIMIT,
    });
    await exchange(client, text, line(text, 3000));
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe(version);
    // GnuTLS advertises its limit plus TLS 1.3's content-type byte (as RFC 8449 counts it).
    const sent = version === 'TLSv1.3' ? GNUTLS_LIMIT + 1 : GNUTLS_LIMIT;
    expect(session.info?.recordSizeLimit).toEqual({ sent, received: WEBTLS_LIMIT });
    expect(session.received).toBe(`${text}\n`);
  });
});

describe.skipIf(!HAVE_CLI)('record_size_limit: gnutls-cli → webtls s_server', () => {
  afterAll(killAllPeers);

  it('-record_size_limit: the summary shows both limits', async () => {
    const { chain, key } = certFiles('p256');
    const { proc: server, port } = await startWebtlsServerCli([
      ...['-cert', chain, '-key', key, '-naccept', '1'],
      ...['-record_size_limit', String(WEBTLS_LIMIT)],
    ]);
    const client = startGnutlsClient({ port, recordSize: GNUTLS_LIMIT });
    await client.waitFor(/Handshake was completed/);
    client.write('over the CLI\n');
    await server.waitFor(/over the CLI\n/, { stream: 'stdout' });
    client.endStdin();
    await client.waitExit();
    const { code } = await server.waitExit();
    expect(code, server.output).toBe(0);
    expect(server.stderr).toContain(
      `Record size limit: sent ${GNUTLS_LIMIT + 1}, received ${WEBTLS_LIMIT}`,
    );
  });
});

describe.skipIf(!HAVE_SERV || !canUnshareNet())(
  'record_size_limit: webtls → gnutls-serv (in a private netns)',
  () => {
    afterAll(killAllPeers);

    it('TLS 1.3 and 1.2: both limits kept, 3000 bytes each way', async () => {
      // webtls cuts the message to GnuTLS's limit; gnutls-serv echoes the line in records cut
      // to ours.
      const ec = certFiles('p256');
      const serve = (port: number, version: (typeof VERSIONS)[number]) =>
        gnutlsServeArgs({
          port,
          chain: ec.chain,
          key: ec.key,
          mode: 'echo',
          priority: PRIORITY[version],
          extra: [`--recordsize=${GNUTLS_LIMIT}`],
        });
      const servers = [serve(5111, 'TLSv1.3'), serve(5112, 'TLSv1.2')];
      const cases: NetnsCase[] = VERSIONS.map((version, i) => ({
        id: version,
        port: 5111 + i,
        ca: ROOT,
        message: `${line(`webtls ${version}`, 3000)}\n`,
        recordSizeLimit: WEBTLS_LIMIT,
      }));
      const proc = startInNetns(servers, netnsClientCommand(cases));
      await proc.waitExit(120_000);

      const results = netnsResults(proc.stdout);
      for (const c of cases) {
        const result = results.get(c.id);
        expect(result, `${c.id}\n${proc.output}`).toBeDefined();
        expect(result!.ok, `${c.id}: ${result!.error}\n${proc.output}`).toBe(true);
        expect(result!.protocol).toBe(c.id);
        const sent = c.id === 'TLSv1.3' ? GNUTLS_LIMIT + 1 : GNUTLS_LIMIT;
        expect(result!.recordSizeLimit).toEqual({ sent, received: WEBTLS_LIMIT });
        expect(result!.received).toContain(c.message);
      }
    }, 150_000);
  },
);
