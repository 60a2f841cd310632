/**
 * webtls client certificates over TLS 1.2 → servers that bind every interface, so they run with
 * the webtls client in a private network namespace (`unshare -n`): `gnutls-serv
 * --require-client-cert --verify-client-cert` (`NORMAL:-VERS-ALL:+VERS-TLS1.2`) and NSS
 * `selfserv -r -r -V tls1.2:tls1.2`. Each server
 * checks the client's CertificateVerify (RFC 5246 §7.4.8) with its own code: a connection only
 * completes if the signature over the handshake messages verifies, and a wrong key is refused.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { clientFiles } from './peers/client-pki.ts';
import { gnutlsServeArgs, startInNetns } from './peers/gnutls.ts';
import { netnsClientCommand, netnsResults } from './peers/netns-cases.ts';
import type { NetnsCase } from './peers/netns-client.ts';
import { makeNssDb, startSelfservInNetns } from './peers/nss.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';

const HAVE = requirePeer('gnutls-serv', 'unshare', 'ip');
const HAVE_NSS = requirePeer('selfserv', 'certutil', 'pk12util', 'openssl', 'unshare', 'ip');

/** One case per client key type, plus one without a certificate and one with a wrong key. */
function clientCases(port: number, message?: string): NetnsCase[] {
  const base = { port, maxVersion: 'TLSv1.2' as const, ca: ROOT };
  const cases: NetnsCase[] = (['p256', 'ed25519', 'rsa'] as const).map((type) => ({
    id: type,
    message: message ?? `hello with ${type}\n`,
    clientChain: clientFiles(type).chain,
    clientKey: clientFiles(type).key,
    ...base,
  }));
  cases.push({ id: 'none', message: message ?? 'hello without\n', ...base });
  // The client certificate with another P-256 key (the server leaf's): the signature cannot
  // verify under the certificate's key.
  cases.push({
    id: 'wrong key',
    message: message ?? 'hello forged\n',
    clientChain: clientFiles('p256').chain,
    clientKey: certFiles('p256').key,
    ...base,
  });
  return cases;
}

describe.skipIf(!HAVE || !canUnshareNet())(
  'webtls client certificate → gnutls-serv TLS 1.2 (in a private netns)',
  () => {
    afterAll(killAllPeers);

    it('P-256, Ed25519 and RSA client certificates; none and a wrong key are refused', async () => {
      const ec = certFiles('p256');
      const server = gnutlsServeArgs({
        port: 5111,
        chain: ec.chain,
        key: ec.key,
        mode: 'echo',
        priority: 'NORMAL:-VERS-ALL:+VERS-TLS1.2',
        extra: ['--require-client-cert', '--verify-client-cert', '--x509cafile', ROOT],
      });
      const proc = startInNetns([server], netnsClientCommand(clientCases(5111)));
      await proc.waitExit(120_000);
      const results = netnsResults(proc.stdout);
      for (const type of ['p256', 'ed25519', 'rsa']) {
        const result = results.get(type);
        expect(result, `${type}\n${proc.output}`).toBeDefined();
        expect(result!.ok, `${type}: ${result!.error}\n${proc.output}`).toBe(true);
        expect(result!.protocol).toBe('TLSv1.2');
        expect(result!.received).toContain(`hello with ${type}\n`);
      }
      // gnutls answers an empty Certificate with decode_error (its own gnutls-cli gets the same),
      // and a CertificateVerify that does not verify with decrypt_error (RFC 5246 §7.2.2).
      for (const [id, alert] of [
        ['none', 'decode_error'],
        ['wrong key', 'decrypt_error'],
      ]) {
        const result = results.get(id);
        expect(result, proc.output).toBeDefined();
        expect(result!.ok, `${id}\n${proc.output}`).toBe(false);
        expect(result!.code, result!.error).toBe('PEER_ALERT');
        expect(result!.error).toContain(alert);
      }
    });
  },
);

describe.skipIf(!HAVE_NSS || !canUnshareNet())(
  'webtls client certificate → NSS selfserv -r -r, TLS 1.2 (in a private netns)',
  () => {
    afterAll(killAllPeers);

    it('P-256 and RSA client certificates; Ed25519, none and a wrong key are refused', async () => {
      const db = makeNssDb({ 'webtls-ec': certFiles('p256') });
      try {
        // The root must be trusted to issue client certificates too (T), not only servers (C).
        const dir = db.dir;
        execFileSync('certutil', ['-M', '-d', dir, '-n', 'webtls-root', '-t', 'CT,,']);
        const server = ['-d', dir, '-e', 'webtls-ec', '-V', 'tls1.2:tls1.2', '-G', '-r', '-r'];
        // selfserv answers a request with a page that echoes it, then closes.
        const cases = clientCases(4443, 'GET / HTTP/1.0\r\n\r\n');
        const proc = startSelfservInNetns([[...server, '-p', '4443']], netnsClientCommand(cases));
        await proc.waitExit(120_000);
        const results = netnsResults(proc.stdout);
        for (const type of ['p256', 'rsa']) {
          const result = results.get(type);
          expect(result, `${type}\n${proc.output}`).toBeDefined();
          expect(result!.ok, `${type}: ${result!.error}\n${proc.output}`).toBe(true);
          expect(result!.protocol).toBe('TLSv1.2');
          expect(result!.received).toContain('GET / HTTP/1.0');
        }
        // NSS 3.87 takes no Ed25519 certificates in TLS (bad_certificate), answers an empty
        // Certificate under -r -r with bad_certificate, and a CertificateVerify that does not
        // verify with decrypt_error.
        for (const [id, alert] of [
          ['ed25519', 'bad_certificate'],
          ['none', 'bad_certificate'],
          ['wrong key', 'decrypt_error'],
        ]) {
          const result = results.get(id);
          expect(result, proc.output).toBeDefined();
          expect(result!.ok, `${id}\n${proc.output}`).toBe(false);
          expect(result!.code, result!.error).toBe('PEER_ALERT');
          expect(result!.error).toContain(alert);
        }
      } finally {
        db.dispose();
      }
    }, 150_000);
  },
);
