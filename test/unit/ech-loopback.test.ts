import { beforeAll, describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection, type ClientOptions } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { decodeEchConfigList, encodeEchConfigList } from '../../src/ech/config.ts';
import { type EchKeyPair, generateEchKey } from '../../src/ech/keys.ts';
import type { TlsError } from '../../src/error.ts';
import { decodeClientHello } from '../../src/msgs/client-hello.ts';
import { ExtensionType, NamedGroup } from '../../src/msgs/enums.ts';
import { findExtension } from '../../src/msgs/extensions/extension.ts';
import { decodeServerName } from '../../src/msgs/extensions/server-name.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { fromUtf8, utf8 } from '../../src/util/bytes.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { plainHandshakes } from './helpers/wire.ts';

/**
 * Encrypted Client Hello between webtls client and server in memory (draft-ietf-tls-esni):
 * accepted, rejected with retry configurations, HelloRetryRequest, GREASE, and resumption with
 * 0-RTT inside ECH. Interop with BoringSSL and NSS is in test/interop/.
 *
 * The test certificate names localhost, so the public name is localhost too and the real
 * server name another name on the same certificate would be ideal; the certificate lists only
 * localhost and IP addresses, so both are localhost here and the tests read the inner and outer
 * names from the server's info and the wire instead.
 */

const provider = subtleProvider();
const NAME = 'localhost';
let key: EchKeyPair;
let otherKey: EchKeyPair;

beforeAll(async () => {
  key = await generateEchKey({ publicName: NAME, configId: 7 });
  otherKey = await generateEchKey({ publicName: NAME, configId: 7 });
});

async function server(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    ech: { keys: [key] },
    ...extra,
  };
}

function client(extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    provider,
    roots: [certs.caPem],
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    sessionStore: null,
    ech: { configList: encodeEchConfigList([key.config]) },
    ...extra,
  };
}

async function run(c: ClientConfig, s: ServerConfig, options: Partial<ClientOptions> = {}) {
  const cc = new ClientConnection(c, { serverName: NAME, ...options });
  const ss = new ServerConnection(s);
  await cc.process();
  const first = cc.takeTls()!;
  ss.readTls(first);
  let error: TlsError | undefined;
  try {
    await pump(cc, ss);
  } catch (e) {
    error = e as TlsError;
  }
  return { c: cc, s: ss, first, error };
}

describe('ECH, webtls to webtls', () => {
  it('is accepted: the server handshakes with the inner hello', async () => {
    const { c, s, first, error } = await run(client(), await server());
    expect(error).toBeUndefined();
    expect(c.info.ech).toBe('accepted');
    expect(s.info.ech).toBe('accepted');
    expect(s.info.serverName).toBe(NAME);
    expect(s.info.outerServerName).toBe(NAME);
    // On the wire: one ClientHello, with the outer ECH extension.
    const hello = decodeClientHello(plainHandshakes(first)[0].body);
    const ech = findExtension(hello.extensions, ExtensionType.encrypted_client_hello)!;
    expect(ech[0]).toBe(0);
    expect(decodeServerName(findExtension(hello.extensions, ExtensionType.server_name)!)).toBe(
      NAME,
    );
    await c.write(utf8('hi'));
    await pump(c, s);
    expect(fromUtf8(s.read()!)).toBe('hi');
  });

  it('is accepted across a HelloRetryRequest', async () => {
    const { c, s, error } = await run(
      client({ keyShares: 1 }),
      await server({ groups: [NamedGroup.secp256r1] }),
    );
    expect(error).toBeUndefined();
    expect(c.info.helloRetry).toBe(true);
    expect(c.info.ech).toBe('accepted');
    expect(s.info.ech).toBe('accepted');
  });

  it('is rejected with a stale key: ECH_REQUIRED carries the retry configs', async () => {
    const { c, s, error } = await run(client(), await server({ ech: { keys: [otherKey] } }));
    expect(c.info.ech).toBe('rejected');
    expect(s.info.ech).toBe('rejected');
    expect(error?.code).toBe('ECH_REQUIRED');
    const retry = decodeEchConfigList(error!.echRetryConfigs!);
    expect(retry[0].raw).toEqual(otherKey.config.raw);
    // The retry succeeds with the configs the server sent.
    const again = await run(
      client({ ech: { configList: error!.echRetryConfigs! } }),
      await server({ ech: { keys: [otherKey] } }),
    );
    expect(again.error).toBeUndefined();
    expect(again.c.info.ech).toBe('accepted');
  });

  it('is rejected by a server without ECH: ECH_REQUIRED without retry configs', async () => {
    const { c, error } = await run(client(), await server({ ech: undefined }));
    expect(c.info.ech).toBe('rejected');
    expect(error?.code).toBe('ECH_REQUIRED');
    expect(error?.echRetryConfigs).toBeUndefined();
  });

  it('GREASE ECH completes a normal handshake; the server sends retry configs, ignored', async () => {
    const { c, s, first, error } = await run(client({ ech: { grease: true } }), await server());
    expect(error).toBeUndefined();
    expect(c.info.ech).toBe('grease');
    expect(s.info.ech).toBe('rejected');
    const hello = decodeClientHello(plainHandshakes(first)[0].body);
    expect(findExtension(hello.extensions, ExtensionType.encrypted_client_hello)).toBeDefined();
  });

  it('resumes with 0-RTT inside ECH', async () => {
    const store = new MemorySessionStore();
    const ticketer = new AeadTicketer({ provider });
    const s = await server({ ticketer, maxEarlyData: 1024 });
    const c = client({ sessionStore: store });
    const firstRun = await run(c, s);
    expect(firstRun.error).toBeUndefined();
    await firstRun.c.write(utf8('x'));
    await pump(firstRun.c, firstRun.s);
    expect(store.count(NAME)).toBeGreaterThan(0);
    const second = await run(c, s, { earlyData: utf8('early') });
    expect(second.error).toBeUndefined();
    expect(second.c.info.ech).toBe('accepted');
    expect(second.c.info.resumed).toBe(true);
    expect(second.c.info.earlyData).toBe('accepted');
    expect(fromUtf8(second.s.read()!)).toBe('early');
  });
});
