/**
 * gnutls interop. gnutls-cli → webtls accept() on 127.0.0.1 for every group × suite ×
 * certificate type. webtls → gnutls-serv: gnutls-serv binds every interface, so it runs in a
 * private network namespace (`unshare -n`), together with the webtls client (the streams API
 * through a script, and bin/webtls s_client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gnutlsServeArgs, shQuote, startGnutlsClient, startInNetns } from './peers/gnutls.ts';
import { netnsResults } from './peers/netns-cases.ts';
import type { NetnsCase } from './peers/netns-client.ts';
import {
  CERT_LABELS,
  CERT_TYPES,
  type CertType,
  certFiles,
  GROUP_SUITE_PAIRS,
  REPO,
  ROOT,
} from './peers/pki.ts';
import { killAllPeers, type Proc } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, WEBTLS_BIN, type WebtlsServer } from './peers/webtls.ts';

const HAVE_CLI = requirePeer('gnutls-cli');
const HAVE_SERV = requirePeer('gnutls-serv', 'unshare', 'ip');

/** Sends a line through gnutls-cli, waits for its echo, then ends stdin; expects exit 0. */
async function exchange(client: Proc, line: string): Promise<void> {
  await client.waitFor(/Handshake was completed/);
  client.write(`${line}\n`);
  await client.waitFor(new RegExp(`(^|\\n)${line}\\n`), { stream: 'stdout' });
  client.endStdin();
  const { code } = await client.waitExit();
  expect(code, client.output).toBe(0);
}

describe.skipIf(!HAVE_CLI)('gnutls-cli → webtls accept()', () => {
  const servers = new Map<CertType, WebtlsServer>();
  beforeAll(async () => {
    for (const type of CERT_TYPES) {
      const config = {
        certificates: [await loadCert(certFiles(type))],
        alpnProtocols: ['http/1.1'],
      };
      servers.set(type, await startWebtlsServer(config));
    }
  });
  afterAll(async () => {
    await killAllPeers();
    for (const server of servers.values()) await server.close();
  });

  describe.each(CERT_TYPES)('%s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const server = servers.get(type)!;
      const n = server.sessions.length;
      const client = startGnutlsClient({ port: server.port, group, suite });
      await exchange(client, `hello from gnutls ${group} ${suite}`);
      expect(client.output).toMatch(/The certificate is trusted/);
      expect(client.output).toMatch(/\(TLS1\.3/);
      const session = await server.session(n);
      expect(session.error).toBeUndefined();
      expect(session.info?.group).toBe(group);
      expect(session.info?.cipherSuite).toBe(suite);
      expect(session.received).toBe(`hello from gnutls ${group} ${suite}\n`);
    });
  });

  it('ALPN: the server picks from the client list', async () => {
    const server = servers.get('p256')!;
    const n = server.sessions.length;
    const client = startGnutlsClient({ port: server.port, alpn: ['h2', 'http/1.1'] });
    await exchange(client, 'alpn');
    expect(client.output).toMatch(/Application protocol: http\/1\.1/);
    expect((await server.session(n)).info?.alpn).toBe('http/1.1');
  });
});

describe.skipIf(!HAVE_SERV || !canUnshareNet())('webtls → gnutls-serv (in a private netns)', () => {
  afterAll(killAllPeers);

  it('streams API: every group × suite (P-256 cert), every cert type, ALPN; and s_client', async () => {
    // 1. One echo server per certificate type, one HTTP server, all inside the namespace.
    const echoPort = (i: number) => 5001 + i;
    const servers = CERT_TYPES.map((type, i) => {
      const files = certFiles(type);
      const alpn = type === 'p256' ? 'http/1.1' : undefined;
      return gnutlsServeArgs({
        port: echoPort(i),
        chain: files.chain,
        key: files.key,
        mode: 'echo',
        alpn,
      });
    });
    const p256 = certFiles('p256');
    servers.push(gnutlsServeArgs({ port: 5010, chain: p256.chain, key: p256.key, mode: 'http' }));

    // 2. The cases for the streams-API client.
    const cases: NetnsCase[] = [];
    const p256Port = echoPort(CERT_TYPES.indexOf('p256'));
    for (const [group, suite] of GROUP_SUITE_PAIRS) {
      const message = `hello from webtls ${group} ${suite}\n`;
      cases.push({ id: `p256 ${group} ${suite}`, port: p256Port, group, suite, ca: ROOT, message });
    }
    CERT_TYPES.forEach((type, i) => {
      const message = `hello from webtls (${type})\n`;
      cases.push({ id: `cert ${type}`, port: echoPort(i), ca: ROOT, message });
    });
    cases.push({
      id: 'alpn',
      port: p256Port,
      alpn: ['h2', 'http/1.1'],
      ca: ROOT,
      message: 'alpn\n',
    });

    // 3. Run both clients in the namespace.
    const tsx = `${REPO}/node_modules/.bin/tsx`;
    const script = `${REPO}/test/interop/peers/netns-client.ts`;
    const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n'`;
    const sClient = `${shQuote(WEBTLS_BIN)} s_client -connect 127.0.0.1:5010 -servername localhost -CAfile ${shQuote(ROOT)}`;
    const client = [
      `cd ${shQuote(REPO)}`,
      `${shQuote(tsx)} ${shQuote(script)} ${shQuote(JSON.stringify(cases))}`,
      `${get} | ${sClient} > /tmp/webtls-sclient.$$.out 2>&1; echo "CLI-EXIT $?"`,
      `cat /tmp/webtls-sclient.$$.out; rm -f /tmp/webtls-sclient.$$.out`,
    ].join('; ');
    const proc = startInNetns(servers, client);
    await proc.waitExit(240_000);

    // 4. Every case succeeded with what it asked for.
    const results = netnsResults(proc.stdout);
    for (const c of cases) {
      const result = results.get(c.id);
      expect(result, `${c.id}\n${proc.output}`).toBeDefined();
      expect(result!.ok, `${c.id}: ${result!.error}`).toBe(true);
      expect(result!.verification).toBe('OK');
      expect(result!.received).toContain(c.message);
      if (c.group) expect(result!.group).toBe(c.group);
      if (c.suite) expect(result!.suite).toBe(c.suite);
    }
    expect(results.get('alpn')!.alpn).toBe('http/1.1');

    // 5. bin/webtls s_client fetched gnutls-serv's page.
    expect(proc.stdout, proc.output).toContain('CLI-EXIT 0');
    expect(proc.stdout).toContain('Verification: OK');
    expect(proc.stdout).toMatch(/HTTP\/1\.0 200 OK/i);
  }, 300_000);
});
