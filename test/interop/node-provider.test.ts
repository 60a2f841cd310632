/**
 * The node provider against real peers on loopback: webtls with `nodeProvider()` as client and
 * as server, against `openssl s_server` / `s_client` (TLS 1.3: every certificate type × group ×
 * suite; TLS 1.2: every suite × group) and node:tls (every certificate type × group × suite);
 * and over TCP against webtls on the subtle provider, both ways, every group.
 * Neither OpenSSL 3.0 nor Node 20's node:tls has X25519MLKEM768: Chromium is the foreign peer for
 * it (e2e/chromium-node-provider.test.ts), besides test/node/provider-cross.test.ts in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCipherSuites, parseGroups } from '../../src/cli/names.ts';
import { subtleProvider, TLS12_SUITES } from '../../src/crypto/index.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import { nodeProvider } from '../../src/node/index.ts';
import type { ConnectOptions } from '../../src/streams/index.ts';
import { type NodeTlsServer, nodeTlsExchange, startNodeTlsServer } from './peers/node-tls.ts';
import { type OpensslServer, startOpensslClient, startOpensslServer } from './peers/openssl.ts';
import {
  CERT_LABELS,
  CERT_TYPES,
  type CertType,
  certFiles,
  GROUP_SUITE_PAIRS,
  GROUPS,
  pem,
  ROOT,
} from './peers/pki.ts';
import { killAllPeers, type Proc, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer, webtlsExchange } from './peers/webtls.ts';

const HAVE_OPENSSL = requirePeer('openssl');
const provider = nodeProvider();
const GET = 'GET / HTTP/1.0\r\n\r\n';

/** How OpenSSL names the groups in getEphemeralKeyInfo(). */
const OPENSSL_GROUP_NAME: Record<string, string> = {
  X25519: 'X25519',
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
};

/** TLS 1.2 suite × group, with the certificate type the suite needs. */
const CASES12 = TLS12_SUITES.flatMap((suite) =>
  GROUPS.map((group) => [suite.opensslName, group, suite.name, suite.auth] as const),
);

function clientOptions(extra: Partial<ConnectOptions>): ConnectOptions {
  return { provider, serverName: 'localhost', roots: [pem(ROOT)], ...extra };
}

/** One webtls server (node provider) per certificate type. */
async function startServers(
  extra: { groups?: number[] } = {},
): Promise<Map<CertType, WebtlsServer>> {
  const servers = new Map<CertType, WebtlsServer>();
  for (const type of CERT_TYPES) {
    const config = {
      provider,
      certificates: [await loadCert(certFiles(type), provider)],
      ...extra,
    };
    servers.set(type, await startWebtlsServer(config));
  }
  return servers;
}

/** Ends s_client's stdin (it sends close_notify) and expects a clean exit. */
async function finish(client: Proc): Promise<void> {
  client.endStdin();
  const { code } = await client.waitExit();
  expect(code, client.output).toBe(0);
}

describe.skipIf(!HAVE_OPENSSL)('webtls client (node provider) → openssl s_server', () => {
  const servers = new Map<CertType, OpensslServer>();
  const servers12 = new Map<string, number>();
  beforeAll(async () => {
    for (const type of CERT_TYPES) {
      servers.set(type, await startOpensslServer({ cert: certFiles(type), www: true }));
    }
    for (const [auth, type] of [
      ['ECDSA', 'p256'],
      ['RSA', 'rsa2048'],
    ] as const) {
      const cert = certFiles(type);
      const proc = startProc('openssl', [
        's_server',
        '-accept',
        '127.0.0.1:0',
        '-tls1_2',
        '-www',
        '-cert',
        cert.leaf,
        '-cert_chain',
        cert.inter,
        '-key',
        cert.key,
      ]);
      const match = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, { stream: 'stdout' });
      servers12.set(auth, Number(match[1]));
    }
  });
  afterAll(killAllPeers);

  describe.each(CERT_TYPES)('TLS 1.3, %s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const options = clientOptions({
        groups: parseGroups([group]),
        cipherSuites: parseCipherSuites([suite]),
      });
      const { info, received } = await webtlsExchange(
        servers.get(type)!.port,
        options,
        GET,
        /<\/HTML>/i,
      );
      expect(info.protocol).toBe('TLSv1.3');
      expect(info.group).toBe(group);
      expect(info.cipherSuite).toBe(suite);
      expect(info.verification).toBe('OK');
      expect(received).toMatch(/Protocol\s+: TLSv1\.3/);
      expect(received).toContain(`Cipher    : ${suite}`);
    });
  });

  it.each(CASES12)('TLS 1.2, %s over %s', async (opensslName, group, suiteName, auth) => {
    const suite = TLS12_SUITES.find((s) => s.name === suiteName)!;
    const options = clientOptions({
      // OpenSSL wants its P-256 certificate's curve listed (RFC 8422 §4); it picks our first.
      groups: parseGroups(group === 'P-256' ? [group] : [group, 'P-256']),
      // A TLS 1.3 suite too, so the client offers both versions and the server picks 1.2.
      cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, suite.code],
    });
    const { info, received } = await webtlsExchange(
      servers12.get(auth)!,
      options,
      GET,
      /<\/HTML>/i,
    );
    expect(info.protocol).toBe('TLSv1.2');
    expect(info.cipherSuite).toBe(suiteName);
    expect(info.group).toBe(group);
    expect(info.verification).toBe('OK');
    expect(received).toContain(`Cipher    : ${opensslName}`);
    expect(received).toMatch(/Extended master secret: yes/);
  });
});

describe.skipIf(!HAVE_OPENSSL)('openssl s_client → webtls server (node provider)', () => {
  let servers: Map<CertType, WebtlsServer>;
  beforeAll(async () => {
    // P-256 last, so the group under test wins when a TLS 1.2 client also lists P-256.
    servers = await startServers({ groups: parseGroups(['X25519', 'P-384', 'P-256']) });
  });
  afterAll(async () => {
    await killAllPeers();
    for (const server of servers.values()) await server.close();
  });

  describe.each(CERT_TYPES)('TLS 1.3, %s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const server = servers.get(type)!;
      const n = server.sessions.length;
      const line = `hello from openssl ${group} ${suite}`;
      const client = startOpensslClient({ port: server.port, group, suite });
      client.write(`${line}\n`);
      await client.waitFor(new RegExp(`(^|\\n)${line}\\n`), { stream: 'stdout' });
      await finish(client);
      expect(client.stdout).toContain(`Cipher is ${suite}`);
      expect(client.stdout).toMatch(/Verify return code: 0 \(ok\)/);
      const session = await server.session(n);
      expect(session.error).toBeUndefined();
      expect(session.info?.protocol).toBe('TLSv1.3');
      expect(session.info?.group).toBe(group);
      expect(session.info?.cipherSuite).toBe(suite);
      expect(session.received).toBe(`${line}\n`);
    });
  });

  it.each(CASES12)('TLS 1.2, %s over %s', async (opensslName, group, suiteName, auth) => {
    const server = servers.get(auth === 'RSA' ? 'rsa2048' : 'p256')!;
    const n = server.sessions.length;
    const client = startProc('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-tls1_2',
      '-cipher',
      opensslName,
      '-groups',
      group === 'P-256' ? group : `${group}:P-256`,
      '-servername',
      'localhost',
      '-verify_hostname',
      'localhost',
      '-CAfile',
      ROOT,
      '-verify_return_error',
    ]);
    const line = `hello over ${opensslName} ${group}`;
    client.write(`${line}\n`);
    await client.waitFor(new RegExp(`\\n${line}\\n`), { stream: 'stdout' });
    await finish(client);
    expect(client.stdout).toContain(`New, TLSv1.2, Cipher is ${opensslName}`);
    expect(client.stdout).toMatch(/Extended master secret: yes/);
    expect(client.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.cipherSuite).toBe(suiteName);
    expect(session.info?.group).toBe(group);
    expect(session.received).toBe(`${line}\n`);
  });
});

describe('webtls client (node provider) → node:tls server', () => {
  const servers = new Map<CertType, NodeTlsServer>();
  beforeAll(async () => {
    for (const type of CERT_TYPES) {
      servers.set(type, await startNodeTlsServer({ cert: certFiles(type) }));
    }
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
  });

  describe.each(CERT_TYPES)('%s certificate', (type) => {
    it.each(GROUP_SUITE_PAIRS)(`${CERT_LABELS[type]}, %s, %s`, async (group, suite) => {
      const server = servers.get(type)!;
      const message = `hello from webtls ${group} ${suite}\n`;
      const options = clientOptions({
        groups: parseGroups([group]),
        cipherSuites: parseCipherSuites([suite]),
      });
      const { info, received } = await webtlsExchange(server.port, options, message, /\n/);
      expect(received).toBe(message);
      expect(info.group).toBe(group);
      expect(info.cipherSuite).toBe(suite);
      expect(info.verification).toBe('OK');
      expect(server.seen.at(-1)?.cipher).toBe(suite);
    });
  });
});

describe('node:tls client → webtls server (node provider)', () => {
  let servers: Map<CertType, WebtlsServer>;
  beforeAll(async () => {
    servers = await startServers();
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
    });
  });
});

describe('webtls (node provider) ↔ webtls (subtle provider) over TCP', () => {
  const subtle = subtleProvider();
  const GROUPS13 = ['X25519MLKEM768', ...GROUPS];
  const servers: WebtlsServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it.each(
    GROUPS13.flatMap((group) => [
      ['node', 'subtle', group],
      ['subtle', 'node', group],
    ]),
  )('%s client → %s server, %s', async (clientName, serverName, group) => {
    const [clientProvider, serverProvider] =
      clientName === 'node' ? [provider, subtle] : [subtle, provider];
    const server = await startWebtlsServer({
      provider: serverProvider,
      certificates: [await loadCert(certFiles('p256'), serverProvider)],
    });
    servers.push(server);
    const message = `${clientName} to ${serverName} over ${group}\n`;
    const options = {
      ...clientOptions({ groups: parseGroups([group]) }),
      provider: clientProvider,
    };
    const { info, received } = await webtlsExchange(server.port, options, message, /\n/);
    expect(received).toBe(message);
    expect(info.group).toBe(group);
    expect(info.verification).toBe('OK');
    const session = await server.session(0);
    expect(session.error).toBeUndefined();
    expect(session.info?.group).toBe(group);
    expect(session.received).toBe(message);
  });
});
