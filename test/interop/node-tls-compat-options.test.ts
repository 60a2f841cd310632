/**
 * webtls/node/tls details checked against node:tls itself: checkServerIdentity's verdicts,
 * option parsing (ciphers, ecdhCurve, versions, encrypted keys), and TLS over a Duplex that is
 * not a socket at all.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import * as nodeTls from 'node:tls';
import { describe, expect, it } from 'vitest';
import tls, { type PeerCertificate } from '../../src/node/tls/index.ts';
import { cipherSuitesFrom, groupsFrom } from '../../src/node/tls/options.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';

const P256 = certFiles('p256');

/** A minimal certificate object: the fields checkServerIdentity reads. */
function cert(subjectaltname: string | undefined, cn?: string | string[]): PeerCertificate {
  return { subjectaltname, subject: cn === undefined ? {} : { CN: cn } } as PeerCertificate;
}

const IDENTITY_CASES: [string, PeerCertificate][] = [
  ['a.com', cert('DNS:a.com')],
  ['A.COM', cert('DNS:a.com')],
  ['a.com.', cert('DNS:a.com')],
  ['b.a.com', cert('DNS:*.a.com')],
  ['a.com', cert('DNS:*.a.com')],
  ['c.b.a.com', cert('DNS:*.a.com')],
  ['foo.com', cert('DNS:*.com')],
  ['bar.a.com', cert('DNS:b*r.a.com')],
  ['br.a.com', cert('DNS:b*r.a.com')],
  ['xn--x.a.com', cert('DNS:xn--*.a.com')],
  ['b.a.com', cert('DNS:*.*.com')],
  ['a.com', cert('DNS:b.com, DNS:a.com')],
  ['a.com', cert(undefined, 'a.com')],
  ['a.com', cert('URI:http://a.com/', 'a.com')],
  ['a.com', cert('DNS:b.com', 'a.com')],
  ['a.com', cert(undefined, ['b.com', 'a.com'])],
  ['a.com', cert(undefined)],
  ['127.0.0.1', cert('IP Address:127.0.0.1')],
  ['127.0.0.1', cert('DNS:127.0.0.1')],
  ['127.0.0.2', cert('IP Address:127.0.0.1')],
  ['::1', cert('IP Address:0:0:0:0:0:0:0:1')],
  ['0:0:0:0:0:0:0:1', cert('IP Address:::1')],
  ['127.0.0.1', cert(undefined, '127.0.0.1')],
  ['a.com', cert('DNS:"a.com, DNS:b.com"')],
];

describe('checkServerIdentity', () => {
  it.each(IDENTITY_CASES)('%s against %o answers as node:tls', (host, certificate) => {
    const theirs = nodeTls.checkServerIdentity(host, certificate);
    const ours = tls.checkServerIdentity(host, certificate);
    expect(ours === undefined, `node says ${theirs?.message}`).toBe(theirs === undefined);
    if (theirs) {
      expect(ours?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(ours?.host).toBe((theirs as unknown as { host: string }).host);
      expect(ours?.cert).toBe(certificate);
    }
  });

  it('matches real certificates as node:tls does', () => {
    const leaf = new X509Certificate(pem(P256.leaf)).toLegacyObject();
    for (const host of ['localhost', '127.0.0.1', '::1', 'other.test', '127.0.0.2']) {
      const theirs = nodeTls.checkServerIdentity(host, leaf) === undefined;
      expect(tls.checkServerIdentity(host, leaf) === undefined, host).toBe(theirs);
    }
  });
});

describe('options', () => {
  it('reads OpenSSL cipher lists, including node’s default', () => {
    expect(cipherSuitesFrom('ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256')).toEqual([
      0xc02f, 0x1301,
    ]);
    // Names webtls lacks (CBC, DHE) select nothing, as OpenSSL ignores names it lacks.
    expect(cipherSuitesFrom('DHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384')).toEqual([
      0xc02c,
    ]);
    expect(cipherSuitesFrom('HIGH:!ECDHE-RSA-AES128-GCM-SHA256')).not.toContain(0xc02f);
    expect(cipherSuitesFrom(nodeTls.DEFAULT_CIPHERS)?.length).toBeGreaterThanOrEqual(9);
    expect(() => cipherSuitesFrom('RC4-MD5')).toThrow(
      expect.objectContaining({ code: 'ERR_SSL_NO_CIPHER_MATCH' }),
    );
  });

  it('reads ecdhCurve lists and refuses unknown groups', () => {
    expect(groupsFrom('X25519:P-256:secp384r1')).toEqual([0x1d, 0x17, 0x18]);
    expect(groupsFrom('auto')).toBeUndefined();
    expect(() => groupsFrom('X25519:brainpoolP256r1')).toThrow(/brainpoolP256r1/);
  });

  it('exports the bundled roots as rootCertificates, the same list node:tls has', () => {
    expect(tls.rootCertificates.length).toBeGreaterThan(100);
    expect(Object.isFrozen(tls.rootCertificates)).toBe(true);
    // src/verify/roots was generated from this Node's list; a mismatch means it is stale.
    // Node wraps some PEM bodies at other widths: compare the certificates, not the text.
    const body = (text: string) => text.replace(/-----[A-Z ]+-----|\s/g, '');
    const ours = tls.rootCertificates.map(body).sort();
    expect(ours).toEqual(nodeTls.rootCertificates.map(body).sort());
  });

  it('refuses versions below TLS 1.2 as the maximum', () => {
    expect(() => tls.createSecureContext({ maxVersion: 'TLSv1.1' })).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' }),
    );
  });
});

/** One end of an in-memory pipe: what it is written, its peer reads. */
class PipeEnd extends Duplex {
  peer: PipeEnd | undefined;

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.peer?.push(chunk);
    callback();
  }

  override _final(callback: () => void): void {
    this.peer?.push(null);
    callback();
  }
}

/** Two Duplexes joined back to back, in memory: no socket anywhere. */
function duplexPair(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

describe('TLS over any Duplex', () => {
  it('runs client and server TLSSockets over an in-memory pair, encrypted key', async () => {
    const encrypted = createPrivateKey(pem(P256.key)).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'correct horse',
    }) as string;
    const [a, b] = duplexPair();
    const server = new tls.TLSSocket(b, {
      isServer: true,
      key: encrypted,
      passphrase: 'correct horse',
      cert: pem(P256.chain),
    });
    server.on('data', (chunk) => server.write(chunk));
    const client = tls.connect({ socket: a, servername: 'localhost', ca: pem(ROOT) });
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    expect(client.authorized).toBe(true);
    client.write('in memory');
    const [reply] = (await once(client, 'data')) as [Buffer];
    expect(reply.toString()).toBe('in memory');
    client.destroy();
    server.destroy();
  });

  it('refuses an encrypted key without its passphrase', async () => {
    const encrypted = createPrivateKey(pem(P256.key)).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    }) as string;
    const [, b] = duplexPair();
    const server = new tls.TLSSocket(b, { isServer: true, key: encrypted, cert: pem(P256.chain) });
    const [error] = (await once(server, 'error')) as [Error & { code?: string }];
    expect(error.code).toBe('ERR_MISSING_PASSPHRASE');
  });
});
