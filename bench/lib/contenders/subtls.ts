/**
 * subtls's client (`startTls`) over an in-memory link.
 *
 * What subtls can do, read from its code: TLS 1.3 only, client only, one key share (P-256 ECDH),
 * one suite (TLS_AES_128_GCM_SHA256), CertificateVerify with ecdsa_secp256r1_sha256 or
 * rsa_pss_rsae_sha256, certificate signatures ECDSA P-256/P-384 or RSASSA-PKCS1-v1_5 with
 * SHA-256/384; no chain building (each certificate must be signed by the next or by a root),
 * no tickets or resumption. WebCrypto does all its crypto, HKDF included (through HMAC).
 *
 * Verification: CertificateVerify, the server's Finished, the leaf's name, validity and
 * serverAuth EKU, each chain signature up to a trusted root. Two departures from the test PKI:
 * - `requireDigitalSigKeyUsage` is off: subtls by default wants digitalSignature in every
 *   issuing certificate's keyUsage, which RFC 5280 does not ask of a CA and the test root lacks;
 * - for RSA-2048 the server has the unit-test certificate (test/unit/data/certs.ts: an RSA-2048
 *   leaf signed directly by an ECDSA P-256 CA) instead of the test PKI's chain, whose root signs
 *   the intermediate with RSASSA-PSS: subtls cannot even parse that intermediate. So it checks
 *   one certificate signature (ECDSA) where node:tls and webtls check two (RSA).
 *
 * Its client Finished goes out with the first read or write, so the adapter writes nothing
 * (`write` of zero bytes) as soon as `startTls` resolves: the handshake is then complete on both
 * sides, as for every other client.
 */
import type { Duplex } from 'node:stream';
import { ReadQueue, type RootCertsDatabase, startTls, TrustedCert } from 'subtls/index.js';
import * as certs from '../../../test/unit/data/certs.ts';
import { deferred, Inbox, type JsLib, type JsLibPlan, serverOptions } from './js-lib.ts';
import { pkiPem } from './pki.ts';
import type { BenchConn } from './types.ts';

const HOST = 'localhost';
const VERSION = '0.5.0';

/** subtls reads exact byte counts from a queue; this one is filled by the link. */
class LinkReadQueue extends ReadQueue {
  private ended = false;

  constructor(link: Duplex) {
    super();
    link.on('data', (chunk: Buffer) => {
      this.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    link.on('end', () => this.end());
    link.on('close', () => this.end());
  }

  private end(): void {
    this.ended = true;
    this.dequeue();
  }

  moreDataMayFollow(): boolean {
    return !this.ended;
  }
}

function client(link: Duplex, roots: RootCertsDatabase): BenchConn {
  const queue = new LinkReadQueue(link);
  const opened = deferred<void>();
  const inbox = new Inbox();
  let connection: Awaited<ReturnType<typeof startTls>> | undefined;
  const run = async () => {
    connection = await startTls(
      HOST,
      roots,
      // subtls also peeks (a second argument), so the queue's own read.
      queue.read.bind(queue),
      (data) => link.write(data),
      { requireDigitalSigKeyUsage: false },
    );
    await connection.write(new Uint8Array(0)); // sends the client Finished
    opened.resolve();
    // Reads are sequential in subtls: one loop for the connection's life.
    for (;;) {
      const data = await connection.read();
      if (!data) throw new Error('subtls: connection closed');
      inbox.take(data.length);
    }
  };
  run().catch((error) => {
    opened.reject(error);
    inbox.fail(error);
  });
  return {
    opened: opened.promise,
    resumed: () => false,
    earlyAccepted: () => false,
    async write(data) {
      if (!connection) throw new Error('subtls: not connected');
      await connection.write(data);
    },
    read: (n) => inbox.read(n),
    close() {
      link.removeAllListeners('data');
      link.destroy();
    },
  };
}

/** subtls 0.5.0: TLS 1.3, P-256, TLS_AES_128_GCM_SHA256. */
export const subtlsLib: JsLib = {
  name: 'subtls',
  version: VERSION,
  async plan(cert): Promise<JsLibPlan | null> {
    const unit = cert === 'rsa2048';
    const roots = await TrustedCert.databaseFromPEM(unit ? certs.caPem : pkiPem('root.pem'));
    return {
      protocol: 'TLS 1.3, P-256, TLS_AES_128_GCM_SHA256',
      verifies: unit
        ? 'name, validity, EKU, leaf signature by the unit-test CA (the test PKI’s RSA chain ' +
          'cannot be parsed: RSASSA-PSS), CertificateVerify, Finished'
        : 'name, validity, EKU, chain to the test root, CertificateVerify, Finished',
      server: unit ? { cert: certs.rsaCertPem, key: certs.rsaKeyPem } : serverOptions(cert),
      client: (link) => client(link, roots),
    };
  },
};
