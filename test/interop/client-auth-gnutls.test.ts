/**
 * TLS 1.3 client certificates against GnuTLS, both ways: `bin/webtls s_client -cert` →
 * `gnutls-serv -r --verify-client-cert` (inside a private network namespace: gnutls-serv binds
 * every interface), and `gnutls-cli --x509certfile` → a webtls server requiring certificates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.ts';
import { CLIENT_TYPES, clientFiles, crlClientFiles } from './peers/client-pki.ts';
import { gnutlsPriority, gnutlsServeArgs, shQuote, startInNetns } from './peers/gnutls.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { canUnshareNet, hasBinary } from './peers/require.ts';
import { loadCert, startWebtlsServer, WEBTLS_BIN, type WebtlsServer } from './peers/webtls.ts';

const HAVE_CLI = hasBinary('gnutls-cli');
const HAVE_SERV = hasBinary('gnutls-serv');
const SUBJECTS = {
  p256: 'CN=webtls test client',
  ed25519: 'CN=webtls test client (ed25519)',
  rsa: 'CN=webtls test client (rsa2048)',
} as const;

describe.skipIf(!HAVE_SERV || !canUnshareNet())('webtls s_client -cert → gnutls-serv -r', () => {
  afterAll(killAllPeers);

  it('each client key type is verified by gnutls; none or an untrusted one is refused', async () => {
    const p256 = certFiles('p256');
    const server = gnutlsServeArgs({
      port: 5031,
      chain: p256.chain,
      key: p256.key,
      mode: 'http',
      extra: ['--x509cafile', ROOT, '-r', '--verify-client-cert'],
    });
    const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n'`;
    const base = `${shQuote(WEBTLS_BIN)} s_client -connect 127.0.0.1:5031 -servername localhost -CAfile ${shQuote(ROOT)}`;
    // Refused clients send nothing (stdin stays open for 3 s), so they are reading when the
    // alert comes instead of writing into a closed connection.
    const run = (id: string, extra: string, input = get) =>
      `${input} | ${base} ${extra} > /tmp/webtls-ca.$$.out 2>&1; echo "CASE ${id} EXIT $?"; ` +
      `cat /tmp/webtls-ca.$$.out; echo "END ${id}"`;
    const cases = CLIENT_TYPES.map((type) => {
      const files = clientFiles(type);
      return run(type, `-cert ${shQuote(files.chain)} -key ${shQuote(files.key)}`);
    });
    cases.push(run('none', '', 'sleep 3'));
    const untrusted = crlClientFiles('good');
    cases.push(
      run(
        'untrusted',
        `-cert ${shQuote(untrusted.chain)} -key ${shQuote(untrusted.key)}`,
        'sleep 3',
      ),
    );
    const proc = startInNetns(
      [server],
      `cd /tmp; ${cases.join('; ')}; rm -f /tmp/webtls-ca.$$.out`,
    );
    await proc.waitExit(240_000);

    const outputOf = (id: string) => {
      const match = new RegExp(`CASE ${id} EXIT (\\d+)\\n([\\s\\S]*?)END ${id}`).exec(proc.stdout);
      expect(match, proc.output).not.toBeNull();
      return { code: Number(match![1]), text: match![2] };
    };
    for (const type of CLIENT_TYPES) {
      const { code, text } = outputOf(type);
      expect(code, text).toBe(0);
      // gnutls-serv's page describes the client certificate it verified.
      expect(text).toContain(`Subject: ${SUBJECTS[type]}`);
    }
    const none = outputOf('none');
    expect(none.code).toBe(1);
    expect(none.text).toMatch(/PEER_ALERT.*certificate_required/);
    const refused = outputOf('untrusted');
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/PEER_ALERT/);
  }, 300_000);
});

describe.skipIf(!HAVE_CLI)(
  'gnutls-cli --x509certfile → webtls server requiring certificates',
  () => {
    let server: WebtlsServer;
    beforeAll(async () => {
      const config: ServerConfig = {
        certificates: [await loadCert(certFiles('p256'))],
        clientAuth: 'required',
        clientRoots: [pem(ROOT)],
      };
      server = await startWebtlsServer(config);
    });
    afterAll(async () => {
      await killAllPeers();
      await server.close();
    });

    function gnutlsCli(extra: string[]) {
      const args = ['--x509cafile', ROOT, '--priority', gnutlsPriority()];
      args.push('--sni-hostname', 'localhost', '--verify-hostname', 'localhost');
      args.push('-p', String(server.port), ...extra, '127.0.0.1');
      return startProc('gnutls-cli', args);
    }

    it.each(CLIENT_TYPES)('%s client certificate is verified', async (type) => {
      const files = clientFiles(type);
      const n = server.sessions.length;
      const client = gnutlsCli(['--x509certfile', files.chain, '--x509keyfile', files.key]);
      client.write('hello from gnutls\n');
      await client.waitFor(/hello from gnutls/, { stream: 'stdout' });
      client.endStdin();
      await client.waitExit();
      const session = await server.session(n);
      expect(session.error).toBeUndefined();
      expect(session.info?.verification).toBe('OK');
      expect(session.info?.peerSubject).toBe(SUBJECTS[type]);
    });

    it('no certificate: certificate_required', async () => {
      const n = server.sessions.length;
      const client = gnutlsCli([]);
      const session = await server.session(n);
      expect(session.error).toMatchObject({ code: 'CERTIFICATE_REQUIRED' });
      client.endStdin();
      await client.waitExit();
      expect(client.output).toMatch(/[Cc]ertificate is required|certificate required/);
    });
  },
);
