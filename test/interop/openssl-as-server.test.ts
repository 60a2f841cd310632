/**
 * webtls client (streams API) → `openssl s_server`: every group × suite × certificate type,
 * KeyUpdate both ways, HelloRetryRequest, ALPN, an IP-only certificate and truncation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCipherSuites, parseGroups } from '../../src/cli/names.ts';
import type { TlsEvent } from '../../src/conn/types.ts';
import { TlsError } from '../../src/error.ts';
import { tcpTransport } from '../../src/node/index.ts';
import { type ConnectOptions, connect } from '../../src/streams/index.ts';
import { type OpensslServer, startOpensslServer } from './peers/openssl.ts';
import {
  CERT_LABELS,
  CERT_TYPES,
  type CertType,
  certFiles,
  GROUP_SUITE_PAIRS,
  ipOnlyCertFiles,
  pem,
  ROOT,
} from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { webtlsExchange } from './peers/webtls.ts';

const HAVE = requirePeer('openssl');
const GET = 'GET / HTTP/1.0\r\n\r\n';
const latin1 = new TextDecoder('latin1');

function clientOptions(extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return { serverName: 'localhost', roots: [pem(ROOT)], ...extra };
}

/** Reads from `reader` until `pattern` matches what arrived; bounded by `timeoutMs`. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got ${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended waiting for ${pattern}; got ${text}`);
    text += latin1.decode(value);
  }
  return text;
}

/** Polls `condition` every 10 ms for at most `timeoutMs`. */
async function waitUntil(
  condition: () => boolean,
  describe: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in time: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!HAVE)('webtls client → openssl s_server -www', () => {
  const servers = new Map<CertType, OpensslServer>();
  beforeAll(async () => {
    for (const type of CERT_TYPES) {
      servers.set(type, await startOpensslServer({ cert: certFiles(type), www: true }));
    }
  });
  afterAll(killAllPeers);

  describe.each(CERT_TYPES)('%s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const { port } = servers.get(type)!;
      const options = clientOptions({
        groups: parseGroups([group]),
        cipherSuites: parseCipherSuites([suite]),
      });
      const { info, received } = await webtlsExchange(port, options, GET, /<\/HTML>/i);
      expect(info.protocol).toBe('TLSv1.3');
      expect(info.group).toBe(group);
      expect(info.cipherSuite).toBe(suite);
      expect(info.verification).toBe('OK');
      expect(info.helloRetry).toBe(false);
      expect(info.peerCertificates.length).toBe(2);
      expect(received).toMatch(/^HTTP\/1\.0 200 ok/);
      // openssl's page names the suite it negotiated.
      expect(received).toContain(`Cipher is ${suite}`);
    });
  });
});

describe.skipIf(!HAVE)('webtls client → openssl s_server: negotiation', () => {
  afterAll(killAllPeers);

  it('HelloRetryRequest: client shares X25519 only, server accepts only P-256', async () => {
    const server = await startOpensslServer({
      cert: certFiles('p256'),
      www: true,
      groups: 'P-256',
    });
    const options = clientOptions({ groups: parseGroups(['X25519', 'P-256']), keyShares: 1 });
    const { info, received } = await webtlsExchange(server.port, options, GET, /<\/HTML>/i);
    expect(info.helloRetry).toBe(true);
    expect(info.group).toBe('P-256');
    expect(received).toMatch(/^HTTP\/1\.0 200 ok/);
    server.proc.kill();
  });

  it('ALPN: the server picks from the client list; no overlap is refused', async () => {
    const server = await startOpensslServer({
      cert: certFiles('p256'),
      www: true,
      alpn: 'http/1.1',
    });
    const both = clientOptions({ alpnProtocols: ['h2', 'http/1.1'] });
    const agreed = await webtlsExchange(server.port, both, GET, /<\/HTML>/i);
    expect(agreed.info.alpn).toBe('http/1.1');
    // openssl 3.0 answers a list it cannot serve with a fatal no_application_protocol.
    const h2only = clientOptions({ alpnProtocols: ['h2'] });
    const refused = await webtlsExchange(server.port, h2only, GET, /<\/HTML>/i).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TlsError);
    expect(refused).toMatchObject({ code: 'PEER_ALERT', peerAlert: 120 });
    server.proc.kill();
  });

  it('IP-only certificate: verifies when dialled by 127.0.0.1, fails by name', async () => {
    const server = await startOpensslServer({ cert: ipOnlyCertFiles(), www: true });
    const byIp = await webtlsExchange(
      server.port,
      clientOptions({ serverName: '127.0.0.1' }),
      GET,
      /<\/HTML>/i,
    );
    expect(byIp.info.verification).toBe('OK');
    // No SNI is sent for an address (RFC 6066 §3), so the connection reports none.
    expect(byIp.info.serverName).toBeUndefined();

    const tls = connect(await tcpTransport('127.0.0.1', server.port), clientOptions());
    const error = await tls.opened.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TlsError);
    expect((error as TlsError).code).toBe('CERT_NAME_MISMATCH');
    await expect(tls.closed).rejects.toBe(error);
    server.proc.kill();
  });
});

describe.skipIf(!HAVE)('webtls client ↔ openssl s_server (echo mode)', () => {
  afterAll(killAllPeers);

  it('KeyUpdate both ways: k, K from openssl, and keyUpdate(true) from webtls', async () => {
    const server = await startOpensslServer({ cert: certFiles('p256') });
    const events: string[] = [];
    const onEvent = (e: TlsEvent) => {
      if (/key.?update/i.test(e.name)) events.push(`${e.type} ${e.name}`);
    };
    const count = (type: string) => events.filter((e) => e.startsWith(type)).length;
    const tls = connect(await tcpTransport('127.0.0.1', server.port), clientOptions({ onEvent }));
    await tls.opened;
    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();
    const enc = new TextEncoder();
    try {
      await writer.write(enc.encode('before updates\n'));
      await server.proc.waitFor(/before updates/, { stream: 'stdout' });

      // 1. openssl updates its sending key (k); its next data must decrypt under the new key.
      //    (s_server takes a command only when the line arrives alone, so wait for its effect.)
      server.proc.write('k\n');
      await waitUntil(
        () => count('receive') === 1,
        () => events.join(', '),
      );
      server.proc.write('after server k\n');
      await readUntil(reader, /after server k/);
      expect(count('send')).toBe(0);

      // 2. openssl asks us to update too (K): we answer with our own KeyUpdate, and our next
      //    record must decrypt under our new key.
      server.proc.write('K\n');
      await waitUntil(
        () => count('receive') === 2 && count('send') === 1,
        () => events.join(', '),
      );
      server.proc.write('after server K\n');
      await readUntil(reader, /after server K/);
      await writer.write(enc.encode('client after K\n'));
      await server.proc.waitFor(/client after K/, { stream: 'stdout' });

      // 3. We update and ask openssl to update; data keeps flowing both ways.
      await tls.keyUpdate(true);
      await writer.write(enc.encode('client after own update\n'));
      await server.proc.waitFor(/client after own update/, { stream: 'stdout' });
      // openssl answers our request lazily, just before its next data (RFC 8446 §4.6.3).
      server.proc.write('server after client update\n');
      await readUntil(reader, /server after client update/);
      expect(count('receive')).toBe(3);
      expect(count('send')).toBe(2);
    } finally {
      await tls.close();
      server.proc.kill();
    }
  });

  it('truncation: openssl dies without close_notify → readable errors with TRUNCATED', async () => {
    const server = await startOpensslServer({ cert: certFiles('p256') });
    const tls = connect(await tcpTransport('127.0.0.1', server.port), clientOptions());
    await tls.opened;
    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();
    await writer.write(new TextEncoder().encode('ping\n'));
    await server.proc.waitFor(/ping/, { stream: 'stdout' });
    server.proc.write('pong\n');
    await readUntil(reader, /pong/);

    // SIGKILL: the kernel closes the TCP connection; no close_notify is ever sent.
    server.proc.kill();
    const error = await reader
      .read()
      .then(
        () => reader.read(),
        (e: unknown) => Promise.reject(e),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(TlsError);
    expect((error as TlsError).code).toBe('TRUNCATED');
    await expect(tls.closed).rejects.toMatchObject({ code: 'TRUNCATED' });
  });
});
