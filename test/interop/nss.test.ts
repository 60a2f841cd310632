/**
 * NSS interop (libnss3-tools), TLS 1.2 and TLS 1.3, both directions:
 * `tstclnt` → webtls accept() on 127.0.0.1 for every TLS 1.2 suite and every TLS 1.3 suite,
 * and TLS 1.2 resumption by ticket (`-u -L 2`) and by session ID (`-L 2`); webtls → `selfserv`
 * (which binds every interface, so it runs with the webtls client in a private network
 * namespace) for the same suites and both kinds of resumption. NSS leaves the extended master
 * secret off unless asked (`-G`); webtls requires it, so every NSS peer here gets `-G`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS12_SUITES } from '../../src/crypto/index.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { netnsClientCommand, netnsResults } from './peers/netns-cases.ts';
import type { NetnsCase } from './peers/netns-client.ts';
import { makeNssDb, type NssDb, startSelfservInNetns, startTstclnt } from './peers/nss.ts';
import { type CertFiles, certFiles, ROOT, SUITES } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  type WebtlsServer,
} from './peers/webtls.ts';

const HAVE_CLIENT = requirePeer('tstclnt', 'certutil', 'pk12util', 'openssl');
const HAVE_SERVER = requirePeer('selfserv', 'certutil', 'pk12util', 'openssl', 'unshare', 'ip');

/** TLS 1.3 suite code points by IANA name. */
const TLS13_CODES: Record<string, number> = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
};

/**
 * An RSA leaf NSS accepts for TLS 1.2: NSS's client wants keyEncipherment in an RSA server
 * certificate's keyUsage even for ECDHE_RSA, where only digitalSignature is used (it rejects
 * the test PKI's digitalSignature-only RSA leaf with SEC_ERROR_INADEQUATE_KEY_USAGE). Same key
 * and intermediate as `rsa2048`, one day of validity.
 */
function nssRsaCert(dir: string): CertFiles {
  const rsa = certFiles('rsa2048');
  const ext = join(dir, 'leaf.ext');
  writeFileSync(
    ext,
    [
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
    ].join('\n'),
  );
  const csr = join(dir, 'leaf.csr');
  const leaf = join(dir, 'leaf.pem');
  const chain = join(dir, 'chain.pem');
  execFileSync('openssl', ['req', '-new', '-key', rsa.key, '-subj', '/CN=localhost', '-out', csr]);
  execFileSync('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    rsa.inter,
    '-CAkey',
    rsa.inter.replace(/inter\.pem$/, 'inter.key'),
    '-set_serial',
    String(Date.now()),
    '-days',
    '1',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    leaf,
  ]);
  writeFileSync(chain, readFileSync(leaf, 'utf8') + readFileSync(rsa.inter, 'utf8'));
  return { leaf, inter: rsa.inter, chain, key: rsa.key };
}

/** Reads one chunk, answers it, and closes (tstclnt ends a connection when the server does). */
const answerAndClose: SessionHandler = async (tls, session) => {
  const reader = tls.readable.getReader();
  const writer = tls.writable.getWriter();
  const { value } = await reader.read();
  session.received = new TextDecoder().decode(value);
  await writer.write(value ?? new Uint8Array(0));
  await writer.close();
  await tls.closed;
};

describe.skipIf(!HAVE_CLIENT)('tstclnt → webtls accept()', () => {
  let db: NssDb;
  let server: WebtlsServer;
  let request: string;
  const tmp = mkdtempSync(join(tmpdir(), 'webtls-nss-'));
  beforeAll(async () => {
    db = makeNssDb();
    request = join(tmp, 'request.txt');
    writeFileSync(request, 'hello from nss\n');
    server = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256')), await loadCert(nssRsaCert(tmp))],
        ticketer: new AeadTicketer(),
        sessionCache: new MemorySessionCache(),
      },
      answerAndClose,
    );
  });
  afterAll(async () => {
    await killAllPeers();
    await server?.close();
    db?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it.each(TLS12_SUITES.map((s) => [s.name, s.code] as const))('TLS 1.2 %s', async (name, code) => {
    const n = server.sessions.length;
    const client = startTstclnt({
      port: server.port,
      db,
      versions: 'tls1.2:tls1.2',
      requestFile: request,
      suite: code,
    });
    const { code: exit } = await client.waitExit();
    expect(exit, client.output).toBe(0);
    expect(client.stdout).toContain('hello from nss');
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.cipherSuite).toBe(name);
  });

  it.each(SUITES)('TLS 1.3 %s', async (name) => {
    const n = server.sessions.length;
    const client = startTstclnt({
      port: server.port,
      db,
      versions: 'tls1.3:tls1.3',
      requestFile: request,
      suite: TLS13_CODES[name],
    });
    const { code: exit } = await client.waitExit();
    expect(exit, client.output).toBe(0);
    expect(client.stdout).toContain('hello from nss');
    const session = await server.session(n);
    expect(session.info?.protocol).toBe('TLSv1.3');
    expect(session.info?.cipherSuite).toBe(name);
  });

  it.each([
    ['an RFC 5077 ticket (-u)', true, /1 stateless resumes/],
    ['a session ID', false, /1 cache hits[\s\S]*0 stateless resumes/],
  ])('TLS 1.2 resumption by %s', async (_label, tickets, report) => {
    const n = server.sessions.length;
    const client = startTstclnt({
      port: server.port,
      db,
      versions: 'tls1.2:tls1.2',
      requestFile: request,
      tickets,
      connections: 2,
    });
    const { code: exit } = await client.waitExit();
    expect(exit, client.output).toBe(0);
    // NSS's own count of how the second connection was made.
    expect(client.output).toMatch(report);
    expect((await server.session(n)).info?.resumed).toBe(false);
    const second = await server.session(n + 1);
    expect(second.error).toBeUndefined();
    expect(second.info?.resumed).toBe(true);
    expect(second.received).toBe('hello from nss\n');
  });
});

describe.skipIf(!HAVE_SERVER || !canUnshareNet())('webtls → selfserv (in a private netns)', () => {
  let db: NssDb;
  beforeAll(() => {
    db = makeNssDb({ 'webtls-ec': certFiles('p256'), 'webtls-rsa': certFiles('rsa2048') });
  });
  afterAll(async () => {
    await killAllPeers();
    db?.dispose();
  });

  it('every TLS 1.2 and TLS 1.3 suite; TLS 1.2 resumption by ticket and by session ID', async () => {
    // 1. Two selfservs with both certificates: with tickets (-u) and without.
    const common = ['-d', db.dir, '-e', 'webtls-ec', '-n', 'webtls-rsa', '-V', 'tls1.2:tls1.3'];
    const servers = [
      [...common, '-p', '4433', '-G', '-u'],
      [...common, '-p', '4434', '-G'],
    ];

    // 2. The cases for the streams-API client.
    const message = 'GET / HTTP/1.0\r\n\r\n';
    const cases: NetnsCase[] = [];
    for (const suite of TLS12_SUITES) {
      cases.push({
        id: `tls12 ${suite.name}`,
        port: 4433,
        tls12Cipher: suite.opensslName,
        maxVersion: 'TLSv1.2',
        ca: ROOT,
        message,
      });
    }
    for (const suite of SUITES) {
      cases.push({ id: `tls13 ${suite}`, port: 4433, suite, ca: ROOT, message });
    }
    const resume = { maxVersion: 'TLSv1.2' as const, ca: ROOT, message, resume: true };
    cases.push({ id: 'resume ticket', port: 4433, ...resume });
    cases.push({ id: 'resume session id', port: 4434, ...resume });

    // 3. Run the client in the namespace.
    const proc = startSelfservInNetns(servers, netnsClientCommand(cases));
    await proc.waitExit(240_000);

    // 4. Every case did what it asked for.
    const results = netnsResults(proc.stdout);
    for (const c of cases) {
      const result = results.get(c.id);
      expect(result, `${c.id}\n${proc.output}`).toBeDefined();
      expect(result!.ok, `${c.id}: ${result!.error}\n${proc.output}`).toBe(true);
      expect(result!.verification).toBe('OK');
      expect(result!.received).toContain('GET / HTTP/1.0');
    }
    for (const suite of TLS12_SUITES) {
      const result = results.get(`tls12 ${suite.name}`)!;
      expect(result.protocol).toBe('TLSv1.2');
      expect(result.suite).toBe(suite.name);
    }
    for (const suite of SUITES) {
      const result = results.get(`tls13 ${suite}`)!;
      expect(result.protocol).toBe('TLSv1.3');
      expect(result.suite).toBe(suite);
    }
    expect(results.get('resume ticket')!.resumed).toBe(true);
    expect(results.get('resume session id')!.resumed).toBe(true);

    // 5. selfserv's own counters: the ticket server saw a stateless resume, the other a cache
    // hit.
    const logs = proc.stdout.split(/^--- selfserv \d$/m);
    expect(logs[1]).toMatch(/[1-9]\d* stateless resumes/);
    expect(logs[2]).toMatch(/[1-9]\d* cache hits/);
  }, 300_000);
});
