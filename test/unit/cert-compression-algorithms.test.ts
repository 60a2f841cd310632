import { describe, expect, it } from 'vitest';
import type { CertCompressionAlgorithm } from '../../src/certcomp/algorithm.ts';
import { type BrotliModule, brotli } from '../../src/certcomp/brotli.ts';
import { zlib } from '../../src/certcomp/zlib.ts';
import { zstd } from '../../src/certcomp/zstd.ts';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import type { ClientCertVerifier } from '../../src/verify/types.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';

/**
 * RFC 8879 certificate compression end to end, webtls client to webtls server in memory, once per
 * algorithm with the real codecs: zlib (CompressionStream), brotli (brotli-wasm, loaded the way
 * this runtime loads it) and zstd (decompress-only, so never sent). The same file runs in Node,
 * Chromium, Deno, Bun and workerd. Negotiation without algorithm stand-ins; the codecs alone are
 * in certcomp.test.ts, foreign peers in the interop and e2e tests.
 */

const provider = subtleProvider();
const userAgent = typeof navigator === 'undefined' ? 'Node.js' : navigator.userAgent;
const inNode = userAgent.startsWith('Node.js');

/**
 * brotli-wasm as this runtime loads it. Node: the Node build through `loadBrotliNode` (the web
 * build would fetch its .wasm by file: URL), imported by a path bundlers do not follow. Elsewhere
 * the default export (in workerd, scripts/test-workerd.ts aliases the package to its web build,
 * initialised with the .wasm as a module).
 */
async function loadBrotli(): Promise<BrotliModule> {
  if (inNode) {
    const helper = '../../src/node/brotli.ts';
    const { loadBrotliNode } = (await import(/* @vite-ignore */ helper)) as {
      loadBrotliNode: () => Promise<BrotliModule>;
    };
    return loadBrotliNode();
  }
  const mod = await import('brotli-wasm');
  return (await mod.default) as unknown as BrotliModule;
}

const brotliHere = (): CertCompressionAlgorithm => brotli({ load: loadBrotli });

/** Every message each side sends, by name. */
interface Sent {
  client: string[];
  server: string[];
}

async function run(
  clientAlgs: CertCompressionAlgorithm[],
  serverAlgs: CertCompressionAlgorithm[],
  extra: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {},
) {
  const sent: Sent = { client: [], server: [] };
  const c: ClientConfig = {
    provider,
    roots: [certs.caPem],
    sessionStore: null,
    certCompression: clientAlgs,
    onEvent: (e) => e.type === 'send' && sent.client.push(e.name),
    ...extra.client,
  };
  const s: ServerConfig = {
    provider,
    certificates: [await certifiedKey(provider, certs.rsaCertPem, certs.rsaKeyPem)],
    certCompression: serverAlgs,
    onEvent: (e) => e.type === 'send' && sent.server.push(e.name),
    ...extra.server,
  };
  const client = new ClientConnection(c, { serverName: 'localhost' });
  const server = new ServerConnection(s);
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  expect(client.info.protocol).toBe('TLSv1.3');
  expect(client.info.verification).toBe('OK');
  return { client, server, sent };
}

/** `ALG (N -> M bytes)` with M < N, the same on both sides; returns the sizes. */
function expectCompressed(name: string, clientSays: string, serverSays: string) {
  expect(serverSays).toBe(clientSays);
  const m = new RegExp(`^${name} \\((\\d+) -> (\\d+) bytes\\)$`).exec(clientSays);
  expect(m, clientSays).not.toBeNull();
  const [before, after] = [Number(m![1]), Number(m![2])];
  expect(after).toBeGreaterThan(0);
  expect(after).toBeLessThan(before);
  return { before, after };
}

/** Accepts any client chain: the test is about the message that carried it. */
const anyClient: ClientCertVerifier = {
  async verifyClient(chain) {
    return { chain: [...chain] } as never;
  },
};

describe('certificate compression per algorithm, webtls to webtls (RFC 8879)', () => {
  it('zlib: the server certificate goes zlib-compressed and verifies', async () => {
    const { client, server, sent } = await run([zlib], [zlib]);
    expect(sent.server).toContain('CompressedCertificate (zlib)');
    expect(sent.server).not.toContain('Certificate');
    expectCompressed('zlib', client.info.certCompression, server.info.certCompression);
  });

  it('brotli: the server certificate goes brotli-compressed and verifies', async () => {
    const { client, server, sent } = await run([brotliHere()], [brotliHere()]);
    expect(sent.server).toContain('CompressedCertificate (brotli)');
    expect(sent.server).not.toContain('Certificate');
    expectCompressed('brotli', client.info.certCompression, server.info.certCompression);
  });

  it('brotli: the client certificate goes brotli-compressed when asked for', async () => {
    const { client, server, sent } = await run([brotliHere()], [brotliHere()], {
      client: {
        clientCertificate: await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem),
      },
      server: { clientAuth: 'required', clientVerifier: anyClient },
    });
    expect(sent.client).toContain('CompressedCertificate (brotli)');
    expect(sent.client).not.toContain('Certificate');
    expect(server.info.peerCertificates.length).toBeGreaterThan(0);
    expect(client.info.certCompression).toMatch(/^brotli \(/);
  });

  it('zstd on both sides: nobody compresses, so the plain Certificate goes', async () => {
    const { client, server, sent } = await run([zstd()], [zstd()]);
    expect(sent.server).toContain('Certificate');
    expect(sent.server.some((m) => m.startsWith('CompressedCertificate'))).toBe(false);
    expect(client.info.certCompression).toBe('none');
    expect(server.info.certCompression).toBe('none');
  });

  it('server [brotli, zlib], client [zstd, zlib]: zlib, the only one both can use', async () => {
    const { client, server, sent } = await run([zstd(), zlib], [brotliHere(), zlib]);
    expect(sent.server).toContain('CompressedCertificate (zlib)');
    expectCompressed('zlib', client.info.certCompression, server.info.certCompression);
  });

  it("server [zlib, brotli], client [brotli, zlib]: the server's preference wins", async () => {
    const { client, server } = await run([brotliHere(), zlib], [zlib, brotliHere()]);
    expectCompressed('zlib', client.info.certCompression, server.info.certCompression);
  });
});
