/**
 * TLS 1.2 client certificates from NSS: `tstclnt -V tls1.2:tls1.2 -n <nickname>` → a webtls
 * server requiring certificates (RFC 5246 §7.4.6, §7.4.8), with P-256 and RSA client keys; and
 * tstclnt without a certificate → handshake_failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFiles } from './peers/client-pki.ts';
import { makeNssDb, type NssDb } from './peers/nss.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  type WebtlsServer,
} from './peers/webtls.ts';

const HAVE = requirePeer('tstclnt', 'certutil', 'pk12util', 'openssl');

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

describe.skipIf(!HAVE)('tstclnt -n (TLS 1.2) → webtls server requiring certificates', () => {
  let db: NssDb;
  /** A database without client certificates (NSS offers any it holds when given no -n). */
  let bare: NssDb;
  let server: WebtlsServer;
  let request: string;
  const tmp = mkdtempSync(join(tmpdir(), 'webtls-nss-ca12-'));
  beforeAll(async () => {
    db = makeNssDb({
      'webtls-client': clientFiles('p256'),
      'webtls-client-rsa': clientFiles('rsa'),
    });
    bare = makeNssDb();
    request = join(tmp, 'request.txt');
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
    bare?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** tstclnt with SNI localhost, TLS 1.2 only, the extended master secret on (-G). */
  function tstclnt(extra: string[], from = db) {
    const args = ['-h', '127.0.0.1', '-p', String(server.port), '-d', from.dir, '-a', 'localhost'];
    args.push('-V', 'tls1.2:tls1.2', '-G', '-A', request, ...extra);
    return startProc('tstclnt', args);
  }

  it.each([
    ['webtls-client', 'CN=webtls test client', /^ecdsa_secp256r1_sha256$/],
    ['webtls-client-rsa', 'CN=webtls test client (rsa2048)', /^rsa_(pss_rsae|pkcs1)_sha256$/],
  ])('%s is verified', async (nickname, subject, scheme) => {
    const n = server.sessions.length;
    const client = tstclnt(['-n', nickname]);
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    expect(client.stdout).toContain('hello from nss');
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.verification).toBe('OK');
    expect(session.info?.peerSubject).toBe(subject);
    expect(session.info?.peerSignatureScheme).toMatch(scheme);
  });

  it('no certificate: handshake_failure', async () => {
    const n = server.sessions.length;
    const client = tstclnt([], bare);
    const session = await server.session(n);
    expect(session.error).toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    const { code } = await client.waitExit();
    expect(code).not.toBe(0);
    expect(client.output).toMatch(/SSL_ERROR_HANDSHAKE_FAILURE_ALERT|handshake failure/i);
  });
});
