/**
 * node-forge's TLS client (`forge.tls.createConnection`) over an in-memory link.
 *
 * What forge can do, read from its lib/tls.js: TLS 1.0 and 1.1 only (its newest version is
 * 1.1), and two suites, TLS_RSA_WITH_AES_128_CBC_SHA and TLS_RSA_WITH_AES_256_CBC_SHA: RSA key
 * transport, no (EC)DHE, no ECDSA. So it has no plan for the P-256 certificate, and for RSA-2048
 * the node:tls server is told to accept TLS 1.1 and AES128-SHA, which Node 20 refuses by default
 * (`minVersion`/`maxVersion` TLSv1.1, `ciphers: 'AES128-SHA:@SECLEVEL=0'`).
 *
 * Verification: forge checks the chain against the test root (`pki.verifyCertificateChain`:
 * signatures, including the root's RSASSA-PSS one, validity, CA constraints) but not the server's
 * name; the adapter adds that in forge's `verify` callback, from the leaf's subjectAltName.
 *
 * forge works on binary strings: received bytes go in with `Buffer#toString('latin1')` and
 * records come out through `Buffer.from(…, 'latin1')`, the cheapest conversions Node has.
 */
import type { Duplex } from 'node:stream';
import forge from 'node-forge';
import { deferred, Inbox, type JsLib, type JsLibPlan, serverOptions } from './js-lib.ts';
import { pkiPem } from './pki.ts';
import type { BenchConn } from './types.ts';

const HOST = 'localhost';
const VERSION = '1.4.4';

/** Whether forge's parsed leaf names HOST among its DNS subjectAltNames. */
function namesHost(leaf: forge.pki.Certificate): boolean {
  const san = leaf.getExtension('subjectAltName') as
    | { altNames?: { type: number; value: string }[] }
    | undefined;
  return (san?.altNames ?? []).some((name) => name.type === 2 && name.value === HOST);
}

function client(link: Duplex, caStore: forge.pki.CAStore): BenchConn {
  const opened = deferred<void>();
  const inbox = new Inbox();
  const conn = forge.tls.createConnection({
    server: false,
    caStore,
    cipherSuites: [forge.tls.CipherSuites.TLS_RSA_WITH_AES_128_CBC_SHA],
    virtualHost: HOST,
    verify(_c, verified, depth, certs) {
      if (verified === true && depth === 0 && !namesHost(certs[0])) {
        return { alert: forge.tls.Alert.Description.bad_certificate, message: 'wrong name' };
      }
      return verified;
    },
    connected: () => opened.resolve(),
    tlsDataReady(c) {
      link.write(Buffer.from(c.tlsData.getBytes(), 'latin1'));
    },
    dataReady(c) {
      inbox.take(c.data.getBytes().length);
    },
    closed: () => inbox.fail(new Error('forge: connection closed')),
    error(_c, error) {
      const failure = new Error(`forge: ${error.message}`);
      opened.reject(failure);
      inbox.fail(failure);
    },
  });
  const onData = (chunk: Buffer) => conn.process(chunk.toString('latin1'));
  link.on('data', onData);
  conn.handshake();
  return {
    opened: opened.promise,
    resumed: () => false,
    earlyAccepted: () => false,
    async write(data) {
      conn.prepare(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'));
    },
    read: (n) => inbox.read(n),
    close() {
      link.off('data', onData);
      link.destroy();
    },
  };
}

/** node-forge 1.4.4: RSA-2048 only, TLS 1.1, TLS_RSA_WITH_AES_128_CBC_SHA. */
export const forgeLib: JsLib = {
  name: 'forge',
  version: VERSION,
  async plan(cert): Promise<JsLibPlan | null> {
    if (cert !== 'rsa2048') return null;
    const caStore = forge.pki.createCaStore([pkiPem('root.pem')]);
    return {
      protocol: 'TLS 1.1, RSA key transport, TLS_RSA_WITH_AES_128_CBC_SHA (HMAC-SHA1)',
      verifies: 'chain to the test root (forge), server name (the adapter, in forge’s callback)',
      server: serverOptions(cert, {
        minVersion: 'TLSv1.1',
        maxVersion: 'TLSv1.1',
        ciphers: 'AES128-SHA:@SECLEVEL=0',
      }),
      client: (link) => client(link, caStore),
    };
  },
};
