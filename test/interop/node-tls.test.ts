/**
 * node:tls interop, both directions, in-process: webtls client → node:tls server and node:tls
 * client → webtls accept(), for every group × suite × certificate type, plus ALPN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCipherSuites, parseGroups } from '../../src/cli/names.ts';
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
