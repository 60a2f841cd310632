import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../src/crypto/index.ts';
import { encodeEchConfigList } from '../../src/ech/config.ts';
import { type EchKeyPair, generateEchKey } from '../../src/ech/keys.ts';
import type { TlsError } from '../../src/error.ts';
import { tcpTransport } from '../../src/node/tcp.ts';
import { connectWithEchRetry } from '../../src/streams/index.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { loadCert, startWebtlsServer, type WebtlsServer } from './peers/webtls.ts';

/**
 * connectWithEchRetry over TCP against a webtls server whose ECH key was rotated: the client's
 * stale configuration is rejected, the server's retry configurations (authenticated by the
 * public name's certificate) are used once on a new connection, which is accepted.
 */

const provider = defaultProvider();
let oldKey: EchKeyPair;
let newKey: EchKeyPair;
let server: WebtlsServer;
let opened = 0;

beforeAll(async () => {
  oldKey = await generateEchKey({ publicName: 'localhost', configId: 1 });
  newKey = await generateEchKey({ publicName: 'localhost', configId: 2 });
  server = await startWebtlsServer({
    certificates: [await loadCert(certFiles('p256'), provider)],
    ech: { keys: [newKey] },
  });
});
afterAll(() => server.close());

const open = async () => {
  opened++;
  return tcpTransport('127.0.0.1', server.port);
};

describe('connectWithEchRetry', () => {
  it('retries once with the retry configs of a rotated server and is accepted', async () => {
    opened = 0;
    const tls = await connectWithEchRetry(open, {
      serverName: 'localhost',
      roots: [pem(ROOT)],
      sessionStore: null,
      ech: { configList: encodeEchConfigList([oldKey.config]) },
    });
    expect(opened).toBe(2);
    expect(tls.info.ech).toBe('accepted');
    await tls.close();
    const first = await server.session(server.sessions.length - 2);
    expect((first.error as TlsError).code).toBe('PEER_ALERT');
  });

  it('does not retry when the configuration is current', async () => {
    opened = 0;
    const tls = await connectWithEchRetry(open, {
      serverName: 'localhost',
      roots: [pem(ROOT)],
      sessionStore: null,
      ech: { configList: encodeEchConfigList([newKey.config]) },
    });
    expect(opened).toBe(1);
    expect(tls.info.ech).toBe('accepted');
    await tls.close();
  });
});
