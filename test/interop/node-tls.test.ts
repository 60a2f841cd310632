/**
 * node:tls interop, both directions, in-process: webtls client → node:tls server and node:tls
 * client → webtls accept(), for every group × suite × certificate type, plus ALPN.
 */
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCipherSuites, parseGroups } from '../../src/cli/names.ts';
import { tcpTransport } from '../../src/node/index.ts';
import { connect } from '../../src/streams/index.ts';
import { type NodeTlsServer, nodeTlsExchange, startNodeTlsServer } from './peers/node-tls.ts';
import {
  CERT_LABELS,
  CERT_TYPES,
  type CertType,
  certFiles,
  GROUP_SUITE_PAIRS,
  pem,
  ROOT,
} from './peers/pki.ts';
import { loadCert, startWebtlsServer, type WebtlsServer, webtlsExchange } from './peers/webtls.ts';

/** How node (OpenSSL) names the groups in getEphemeralKeyInfo(). */
const OPENSSL_GROUP_NAME: Record<string, string> = {
  X25519: 'X25519',
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
};

describe('webtls client → node:tls server', () => {
  const servers = new Map<CertType, NodeTlsServer>();
  beforeAll(async () => {
    for (const type of CERT_TYPES) {
      servers.set(type, await startNodeTlsServer({ cert: certFiles(type), alpn: ['http/1.1'] }));
    }
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
  });

  describe.each(CERT_TYPES)('%s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const server = servers.get(type)!;
      const message = `hello from webtls ${group} ${suite}\n`;
      const options = {
        serverName: 'localhost',
        roots: [pem(ROOT)],
        groups: parseGroups([group]),
        cipherSuites: parseCipherSuites([suite]),
      };
      const { info, received } = await webtlsExchange(server.port, options, message, /\n/);
      expect(received).toBe(message);
      expect(info.group).toBe(group);
      expect(info.cipherSuite).toBe(suite);
      expect(info.verification).toBe('OK');
      expect(server.seen.at(-1)?.cipher).toBe(suite);
      expect(server.seen.at(-1)?.servername).toBe('localhost');
    });
  });

  it('dialled by address: verifies the IP SAN and sends no SNI (RFC 6066 §3)', async () => {
    const server = servers.get('p256')!;
    const options = { serverName: '127.0.0.1', roots: [pem(ROOT)] };
    const { info, received } = await webtlsExchange(server.port, options, 'by ip\n', /\n/);
    expect(received).toBe('by ip\n');
    expect(info.verification).toBe('OK');
    expect(server.seen.at(-1)?.servername).toBe(false);
  });

  it('ALPN: node picks from the client list', async () => {
    const server = servers.get('p256')!;
    const options = {
      serverName: 'localhost',
      roots: [pem(ROOT)],
      alpnProtocols: ['h2', 'http/1.1'],
    };
    const { info } = await webtlsExchange(server.port, options, 'alpn\n', /\n/);
    expect(info.alpn).toBe('http/1.1');
    expect(server.seen.at(-1)?.alpn).toBe('http/1.1');
  });
});

describe('node:tls client → webtls accept()', () => {
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
    for (const server of servers.values()) await server.close();
  });

  describe.each(CERT_TYPES)('%s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const server = servers.get(type)!;
      const n = server.sessions.length;
      const message = `hello from node ${group} ${suite}\n`;
      const result = await nodeTlsExchange({ port: server.port, group, suite, message });
      expect(result.authorized).toBe(true);
      expect(result.protocol).toBe('TLSv1.3');
      expect(result.cipher).toBe(suite);
      expect(result.group).toBe(OPENSSL_GROUP_NAME[group]);
      expect(result.received).toBe(message);
      const session = await server.session(n);
      expect(session.error).toBeUndefined();
      expect(session.info?.group).toBe(group);
      expect(session.info?.cipherSuite).toBe(suite);
      expect(session.received).toBe(message);
    });
  });

  it('ALPN: the webtls server picks from the node client list', async () => {
    const server = servers.get('p256')!;
    const n = server.sessions.length;
    const result = await nodeTlsExchange({
      port: server.port,
      alpn: ['h2', 'http/1.1'],
      message: 'a\n',
    });
    expect(result.alpn).toBe('http/1.1');
    expect((await server.session(n)).info?.alpn).toBe('http/1.1');
  });
});

/** 4 MiB of a pattern nobody would produce by accident. */
function pattern(total: number): Uint8Array {
  const data = new Uint8Array(total);
  for (let i = 0; i < total; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  return data;
}

/** Polls `condition` every 10 ms for at most `timeoutMs`. */
async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('volume and alerts with node:tls', () => {
  const MiB4 = 4 * 1024 * 1024;

  it('webtls client: 4 MiB through a node:tls echo server, writing and reading at once', async () => {
    const server = await startNodeTlsServer({ cert: certFiles('p256') });
    const tls = connect(await tcpTransport('127.0.0.1', server.port), {
      serverName: 'localhost',
      roots: [pem(ROOT)],
    });
    try {
      await tls.opened;
      const data = pattern(MiB4);
      const writing = (async () => {
        const writer = tls.writable.getWriter();
        for (let offset = 0; offset < MiB4; offset += 16_384) {
          await writer.write(data.subarray(offset, offset + 16_384));
        }
        writer.releaseLock();
      })();
      const reader = tls.readable.getReader();
      let received = 0;
      let mismatch = -1;
      while (received < MiB4) {
        const { value, done } = await reader.read();
        if (done) break;
        for (let i = 0; i < value.length && mismatch < 0; i++) {
          if (value[i] !== data[received + i]) mismatch = received + i;
        }
        received += value.length;
      }
      await writing;
      expect(mismatch).toBe(-1);
      expect(received).toBe(MiB4);
    } finally {
      await tls.close();
      await server.close();
    }
  }, 60_000);

  it('node:tls client: 4 MiB through a webtls echo server', async () => {
    const server = await startWebtlsServer({ certificates: [await loadCert(certFiles('p256'))] });
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
      minVersion: 'TLSv1.3',
    });
    socket.on('error', () => undefined);
    try {
      await once(socket, 'secureConnect');
      const data = pattern(MiB4);
      const chunks: Buffer[] = [];
      let received = 0;
      const done = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (received >= MiB4) resolve();
        });
        socket.once('close', () => reject(new Error(`closed after ${received} bytes`)));
      });
      socket.write(data);
      await done;
      expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
      socket.end();
      const session = await server.session(0);
      expect(session.error).toBeUndefined();
      expect(session.received.length).toBe(MiB4);
    } finally {
      socket.destroy();
      await server.close();
    }
  }, 60_000);

  it('a failed verification sends its alert first: node sees unknown_ca', async () => {
    const server = await startNodeTlsServer({ cert: certFiles('p256') });
    try {
      // Bundled roots only: the test CA is unknown.
      const tls = connect(await tcpTransport('127.0.0.1', server.port), {
        serverName: 'localhost',
      });
      await expect(tls.opened).rejects.toMatchObject({ code: 'CERT_UNKNOWN_ISSUER' });
      await expect(tls.closed).rejects.toMatchObject({ code: 'CERT_UNKNOWN_ISSUER' });
      await waitUntil(() => server.clientErrors.length > 0);
      expect(server.clientErrors[0]).toMatch(/unknown ca|alert number 48/i);
    } finally {
      await server.close();
    }
  });
});
