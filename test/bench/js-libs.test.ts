/**
 * The client adapters of bench/js-libs.ts really speak TLS: each one (subtls,
 * @reclaimprotocol/tls, node-forge, webtls's ClientConnection), for every certificate kind it has a plan for, completes a
 * handshake with a node:tls server and delivers 64 KiB to it intact, and refuses a server whose
 * chain does not reach the roots it was given.
 */
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { forgeLib } from '../../bench/lib/contenders/forge.ts';
import type { JsLib } from '../../bench/lib/contenders/js-lib.ts';
import { pkiPem } from '../../bench/lib/contenders/pki.ts';
import { reclaimLib } from '../../bench/lib/contenders/reclaim.ts';
import { subtlsLib } from '../../bench/lib/contenders/subtls.ts';
import type { CertKind } from '../../bench/lib/contenders/types.ts';
import { webtlsConnLib } from '../../bench/lib/contenders/webtls-conn.ts';
import { duplexPair } from '../../bench/lib/duplex-pair.ts';
import { nodeProvider } from '../../src/node/index.ts';

const LIBS: JsLib[] = [
  subtlsLib,
  reclaimLib,
  forgeLib,
  webtlsConnLib('webtls (ClientConnection)', nodeProvider()),
];
const KINDS: CertKind[] = ['p256', 'rsa2048'];

/** A node:tls server that keeps every byte it receives; `arrived(n)` waits for n of them. */
function server(link: Duplex, options: tls.SecureContextOptions) {
  const socket = new tls.TLSSocket(link, {
    isServer: true,
    secureContext: tls.createSecureContext(options),
  });
  const chunks: Buffer[] = [];
  let length = 0;
  socket.on('error', () => undefined); // a refused handshake ends here; the client reports it
  const secure = new Promise<void>((resolve) => socket.once('secure', resolve));
  const arrived = (n: number) =>
    new Promise<Buffer>((resolve) => {
      const check = () => {
        if (length < n) return;
        socket.off('data', check);
        resolve(Buffer.concat(chunks));
      };
      socket.on('data', check);
      check();
    });
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
  });
  return { socket, secure, arrived };
}

describe.each(LIBS.map((lib) => [lib.name, lib] as const))('%s adapter', (_, lib) => {
  it('has a plan for the certificates it can use', async () => {
    const plans = await Promise.all(KINDS.map((kind) => lib.plan(kind)));
    // forge does RSA key transport only; the others take both kinds.
    expect(plans.map((p) => p !== null)).toEqual(lib === forgeLib ? [false, true] : [true, true]);
  });

  it.each(KINDS)('handshakes and sends 64 KiB intact (%s)', async (kind) => {
    const plan = await lib.plan(kind);
    if (!plan) return; // covered by the test above
    const [clientEnd, serverEnd] = duplexPair();
    const peer = server(serverEnd, plan.server);
    const client = plan.client(clientEnd);
    await Promise.all([client.opened, peer.secure]);

    const data = crypto.getRandomValues(new Uint8Array(64 * 1024));
    const arrived = peer.arrived(data.length);
    for (let at = 0; at < data.length; at += 16 * 1024) {
      await client.write(data.subarray(at, at + 16 * 1024));
    }
    expect((await arrived).equals(data)).toBe(true);
    expect(peer.socket.getProtocol()).toBe(lib === forgeLib ? 'TLSv1.1' : 'TLSv1.3');

    // And the other way, so the adapter's read side is real too.
    peer.socket.write(data.subarray(0, 5000));
    await client.read(5000);
    client.close();
    peer.socket.destroy();
  });

  it('refuses a chain that does not reach its roots (intermediate left out)', async () => {
    const kind: CertKind = lib === forgeLib ? 'rsa2048' : 'p256';
    const plan = await lib.plan(kind);
    if (!plan) throw new Error('no plan');
    const foreign = { cert: pkiPem(`${kind}/leaf.pem`) };
    const [clientEnd, serverEnd] = duplexPair();
    const peer = server(serverEnd, { ...plan.server, ...foreign });
    const client = plan.client(clientEnd);
    await expect(client.opened).rejects.toThrow();
    client.close();
    peer.socket.destroy();
  });
});
