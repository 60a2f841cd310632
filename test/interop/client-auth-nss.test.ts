/**
 * TLS 1.3 client certificates against NSS, both ways: `tstclnt -n` → a webtls server requiring
 * certificates, and `bin/webtls s_client -cert` → `selfserv -r -r` (inside a private network
 * namespace: selfserv binds every interface). The NSS database trusts the test root for client
 * authentication too (`CT,C,`). NSS 3.87 takes P-256 and RSA client keys; it neither imports
 * an Ed25519 key nor offers ed25519 in its CertificateRequest.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFiles, crlClientFiles } from './peers/client-pki.ts';
import { shQuote } from './peers/gnutls.ts';
import { makeNssDb, type NssDb, startSelfservInNetns } from './peers/nss.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  WEBTLS_BIN,
  type WebtlsServer,
} from './peers/webtls.ts';

const HAVE_CLIENT = requirePeer('tstclnt', 'certutil', 'pk12util', 'openssl');
const HAVE_SERVER = requirePeer('selfserv', 'certutil', 'pk12util', 'openssl', 'unshare', 'ip');
const SUBJECTS = { p256: 'CN=webtls test client', rsa: 'CN=webtls test client (rsa2048)' };

/**
 * Key types NSS can hold as a client (pk12util of NSS 3.87 cannot import an Ed25519 key,
 * SEC_ERROR_PKCS12_UNABLE_TO_IMPORT_KEY).
 */
const NSS_CLIENT_TYPES = ['p256', 'rsa'] as const;

/** A database with the server certificate and the client certificates NSS can import. */
function clientAuthDb(): NssDb {
  const db = makeNssDb({
    'webtls-ec': certFiles('p256'),
    ...Object.fromEntries(NSS_CLIENT_TYPES.map((t) => [`client-${t}`, clientFiles(t)])),
  });
  // Trusted to issue server (C) and client (T) certificates.
  execFileSync('certutil', ['-M', '-d', db.dir, '-n', 'webtls-root', '-t', 'CT,C,'], {
    stdio: 'pipe',
  });
  return db;
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

describe.skipIf(!HAVE_CLIENT)('tstclnt -n → webtls server requiring certificates', () => {
  let db: NssDb;
  let server: WebtlsServer;
  const tmp = mkdtempSync(join(tmpdir(), 'webtls-nss-ca-'));
  const request = join(tmp, 'request.txt');
  beforeAll(async () => {
    db = clientAuthDb();
    writeFileSync(request, 'hello from nss\n');
    server = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256'))],
        clientAuth: 'required',
        clientRoots: [pem(ROOT)],
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

  const tstclnt = (extra: string[]) =>
    startProc('tstclnt', [
      ...['-h', '127.0.0.1', '-p', String(server.port), '-d', db.dir, '-a', 'localhost'],
      ...['-V', 'tls1.3:tls1.3', '-A', request, ...extra],
    ]);

  it.each(NSS_CLIENT_TYPES)('%s client certificate is verified', async (type) => {
    const n = server.sessions.length;
    const client = tstclnt(['-n', `client-${type}`]);
    await client.waitExit(60_000);
    const session = await server.session(n);
    expect(session.error, client.output).toBeUndefined();
    expect(session.info?.verification).toBe('OK');
    expect(session.info?.peerSubject).toBe(SUBJECTS[type]);
    expect(session.received).toBe('hello from nss\n');
  });

  it('no certificate: certificate_required', async () => {
    // A database without client certificates: tstclnt would otherwise pick one by itself.
    const empty = makeNssDb();
    const n = server.sessions.length;
    const client = startProc('tstclnt', [
      ...['-h', '127.0.0.1', '-p', String(server.port), '-d', empty.dir, '-a', 'localhost'],
      ...['-V', 'tls1.3:tls1.3', '-A', request],
    ]);
    const session = await server.session(n);
    await client.waitExit(60_000);
    empty.dispose();
    expect(session.error).toMatchObject({ code: 'CERTIFICATE_REQUIRED' });
  });
});

describe.skipIf(!HAVE_SERVER || !canUnshareNet())('webtls s_client -cert → selfserv -r -r', () => {
  let db: NssDb;
  beforeAll(() => {
    db = clientAuthDb();
  });
  afterAll(async () => {
    await killAllPeers();
    db?.dispose();
  });

  it('each client key type is validated by NSS; none or an untrusted one is refused', async () => {
    const server = ['-d', db.dir, '-n', 'webtls-ec', '-p', '4461', '-V', 'tls1.3:tls1.3'];
    server.push('-r', '-r');
    const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n'`;
    const base = `${shQuote(WEBTLS_BIN)} s_client -connect 127.0.0.1:4461 -servername localhost -CAfile ${shQuote(ROOT)}`;
    // Refused clients send nothing (stdin stays open for 3 s), so they are reading when the
    // alert comes instead of writing into a closed connection.
    const run = (id: string, extra: string, input = get) =>
      `${input} | ${base} ${extra} > /tmp/webtls-nss-ca.$$.out 2>&1; echo "CASE ${id} EXIT $?"; ` +
      `cat /tmp/webtls-nss-ca.$$.out; echo "END ${id}"`;
    const certArgs = (files: { chain: string; key: string }) =>
      `-cert ${shQuote(files.chain)} -key ${shQuote(files.key)}`;
    const cases = NSS_CLIENT_TYPES.map((type) => run(type, certArgs(clientFiles(type))));
    cases.push(run('ed25519', certArgs(clientFiles('ed25519')), 'sleep 3'));
    cases.push(run('none', '', 'sleep 3'));
    cases.push(run('untrusted', certArgs(crlClientFiles('good')), 'sleep 3'));
    const proc = startSelfservInNetns(
      [server],
      `cd /tmp; ${cases.join('; ')}; rm -f /tmp/webtls-nss-ca.$$.out`,
    );
    await proc.waitExit(240_000);

    const outputOf = (id: string) => {
      const match = new RegExp(`CASE ${id} EXIT (\\d+)\\n([\\s\\S]*?)END ${id}`).exec(proc.stdout);
      expect(match, proc.output).not.toBeNull();
      return { code: Number(match![1]), text: match![2] };
    };
    for (const type of NSS_CLIENT_TYPES) {
      const { code, text } = outputOf(type);
      expect(code, text).toBe(0);
      expect(text).toContain('GET / HTTP/1.0');
    }
    // selfserv's log: each certificate validated, with its subject.
    const log = proc.stdout.slice(proc.stdout.indexOf('--- selfserv 0'));
    for (const type of NSS_CLIENT_TYPES) {
      expect(log).toContain(`subject DN: ${SUBJECTS[type]}`);
    }
    expect(log.match(/Certificate Validated/g)?.length).toBe(NSS_CLIENT_TYPES.length);
    // NSS 3.87 lists no ed25519 in its CertificateRequest: webtls sends no certificate.
    const ed25519 = outputOf('ed25519');
    expect(ed25519.code).toBe(1);
    expect(ed25519.text).toMatch(/PEER_ALERT.*certificate_required/);
    const none = outputOf('none');
    expect(none.code).toBe(1);
    expect(none.text).toMatch(/PEER_ALERT.*certificate_required/);
    const refused = outputOf('untrusted');
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/PEER_ALERT.*unknown_ca/);
  }, 300_000);
});
