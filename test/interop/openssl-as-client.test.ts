/**
 * `openssl s_client` → webtls server (accept() behind listen()): every group × suite ×
 * certificate type with data both ways, KeyUpdate both ways, HelloRetryRequest and ALPN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroups } from '../../src/cli/names.ts';
import type { TlsEvent } from '../../src/conn/types.ts';
import { startOpensslClient } from './peers/openssl.ts';
import {
  CERT_LABELS,
  CERT_TYPES,
  type CertType,
  certFiles,
  GROUP_SUITE_PAIRS,
} from './peers/pki.ts';
import { killAllPeers, type Proc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  type WebtlsServer,
} from './peers/webtls.ts';

const HAVE = requirePeer('openssl');

/** Sends `line` through s_client and waits until the webtls echo comes back on its stdout. */
async function roundTrip(client: Proc, line: string): Promise<void> {
  const before = client.stdout.length;
  client.write(`${line}\n`);
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await client.waitFor(new RegExp(`(^|\\n)${escaped}\\n`), { stream: 'stdout' });
  expect(client.stdout.slice(before)).toContain(line);
}

/** Ends s_client's stdin (it sends close_notify) and expects a clean exit. */
async function finish(client: Proc): Promise<void> {
  client.endStdin();
  const { code } = await client.waitExit();
  expect(code, client.output).toBe(0);
}

describe.skipIf(!HAVE)('openssl s_client → webtls accept()', () => {
  const servers = new Map<CertType, WebtlsServer>();
  beforeAll(async () => {
    for (const type of CERT_TYPES) {
      servers.set(
        type,
        await startWebtlsServer({ certificates: [await loadCert(certFiles(type))] }),
      );
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
      const client = startOpensslClient({ port: server.port, group, suite });
      await roundTrip(client, `hello from openssl ${group} ${suite}`);
      await finish(client);

      expect(client.stdout).toContain(`Cipher is ${suite}`);
      expect(client.stdout).toMatch(/Verify return code: 0 \(ok\)/);
      const session = await server.session(n);
      expect(session.error).toBeUndefined();
      expect(session.info?.protocol).toBe('TLSv1.3');
      expect(session.info?.group).toBe(group);
      expect(session.info?.cipherSuite).toBe(suite);
      expect(session.info?.serverName).toBe('localhost');
      expect(session.received).toBe(`hello from openssl ${group} ${suite}\n`);
    });
  });
});

describe.skipIf(!HAVE)('openssl s_client → webtls accept(): negotiation and KeyUpdate', () => {
  afterAll(killAllPeers);

  it('HelloRetryRequest: openssl shares X25519 first, the server accepts only P-256', async () => {
    const cert = await loadCert(certFiles('p256'));
    const server = await startWebtlsServer({
      certificates: [cert],
      groups: parseGroups(['P-256']),
    });
    try {
      const client = startOpensslClient({ port: server.port, group: 'X25519:P-256' });
      await roundTrip(client, 'after hrr');
      await finish(client);
      const session = await server.session(0);
      expect(session.info?.helloRetry).toBe(true);
      expect(session.info?.group).toBe('P-256');
      expect(client.stdout).toMatch(/Server Temp Key: (ECDH, )?(P-256|prime256v1)/);
    } finally {
      await server.close();
    }
  });

  it('ALPN: the server picks its protocol from the client list', async () => {
    const cert = await loadCert(certFiles('p256'));
    const server = await startWebtlsServer({ certificates: [cert], alpnProtocols: ['http/1.1'] });
    try {
      const client = startOpensslClient({ port: server.port, alpn: 'h2,http/1.1' });
      await roundTrip(client, 'alpn');
      await finish(client);
      expect(client.stdout).toContain('ALPN protocol: http/1.1');
      expect((await server.session(0)).info?.alpn).toBe('http/1.1');
    } finally {
      await server.close();
    }
  });

  it('truncation: s_client killed without close_notify → the server session fails TRUNCATED', async () => {
    const server = await startWebtlsServer({ certificates: [await loadCert(certFiles('p256'))] });
    try {
      const client = startOpensslClient({ port: server.port });
      await roundTrip(client, 'about to vanish');
      client.kill();
      const session = await server.session(0);
      expect(session.received).toBe('about to vanish\n');
      expect(session.error).toMatchObject({ code: 'TRUNCATED' });
    } finally {
      await server.close();
    }
  });

  it('KeyUpdate both ways: k and K from openssl, keyUpdate(true) from webtls', async () => {
    const events: string[] = [];
    const onEvent = (e: TlsEvent) => {
      if (/key.?update/i.test(e.name)) events.push(`${e.type} ${e.name}`);
    };
    const count = (type: string) => events.filter((e) => e.startsWith(type)).length;
    // Echoes, and on "update-please" sends KeyUpdate(update_requested) before the echo.
    const handler: SessionHandler = async (tls, session) => {
      const reader = tls.readable.getReader();
      const writer = tls.writable.getWriter();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = new TextDecoder().decode(value);
        session.received += text;
        if (text.includes('update-please')) await tls.keyUpdate(true);
        await writer.write(value);
      }
      await writer.close();
    };
    const cert = await loadCert(certFiles('p256'));
    const server = await startWebtlsServer({ certificates: [cert], onEvent }, handler);
    try {
      const client = startOpensslClient({ port: server.port });
      await roundTrip(client, 'before updates');

      // 1. k: openssl updates its sending key; the echo proves we decrypt what follows.
      client.write('k\n');
      await client.waitFor(/KEYUPDATE/);
      await roundTrip(client, 'after client k');
      expect(count('receive')).toBe(1);
      expect(count('send')).toBe(0);

      // 2. K: openssl asks us to update; we answer before our next data.
      client.write('K\n');
      await client.waitFor(/KEYUPDATE[\s\S]*KEYUPDATE/);
      await roundTrip(client, 'after client K');
      expect(count('receive')).toBe(2);
      expect(count('send')).toBe(1);

      // 3. We update and ask openssl to; it answers before its next data.
      await roundTrip(client, 'update-please');
      await roundTrip(client, 'after server update');
      expect(count('send')).toBe(2);
      expect(count('receive')).toBe(3);
      await finish(client);
      expect((await server.session(0)).error).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
