/**
 * @reclaimprotocol/tls's client (`makeTLSClient`) over an in-memory link, with its WebCrypto
 * backend (`setCryptoImplementation(webcryptoCrypto)`, its fastest).
 *
 * What it can do, read from its code: client only, TLS 1.3 and 1.2; X25519, P-256 and P-384
 * (by default it offers and generates a key share for all three); AES-GCM and ChaCha20-Poly1305
 * suites (ChaCha20 in JavaScript, first in its default order), TLS 1.2 ECDHE with AES-GCM,
 * ChaCha20 or AES-CBC; tickets, but no HelloRetryRequest. The adapter pins TLS 1.3, X25519 and
 * TLS_AES_128_GCM_SHA256, what node:tls and webtls negotiate here, so one key share is made.
 *
 * Verification: the leaf's name (CN or DNS SAN) and validity, each certificate's signature by
 * the next or by a root (the Mozilla store, which it searches on every handshake, plus `rootCAs`),
 * CertificateVerify and Finished. No CA or key-usage checks. It cannot verify the test PKI's
 * RSA-2048 chain (the root signs the intermediate with RSASSA-PSS, and it insists the signature
 * algorithm name equal the issuer key's), so for RSA-2048 the server has the unit-test
 * certificate (test/unit/data/certs.ts: an RSA-2048 leaf signed directly by an ECDSA P-256 CA):
 * one certificate signature checked where node:tls and webtls check two.
 */
import type { Duplex } from 'node:stream';
import { loadX509FromPem, makeTLSClient, setCryptoImplementation } from '@reclaimprotocol/tls';
import { webcryptoCrypto } from '@reclaimprotocol/tls/webcrypto';
import * as certs from '../../../test/unit/data/certs.ts';
import { deferred, Inbox, type JsLib, type JsLibPlan, serverOptions } from './js-lib.ts';
import { pkiPem } from './pki.ts';
import type { BenchConn } from './types.ts';

const HOST = 'localhost';
const VERSION = '0.1.2';

setCryptoImplementation(webcryptoCrypto);

/** Its default logger writes to the console; a bench prints only its progress. */
const silent = { info() {}, debug() {}, trace() {}, warn() {}, error() {} };

type RootCAs = ReturnType<typeof loadX509FromPem>[];

function client(link: Duplex, rootCAs: RootCAs): BenchConn {
  const opened = deferred<void>();
  const inbox = new Inbox();
  const tls = makeTLSClient({
    host: HOST,
    rootCAs,
    supportedProtocolVersions: ['TLS1_3'],
    namedCurves: ['X25519'],
    cipherSuites: ['TLS_AES_128_GCM_SHA256'],
    logger: silent,
    write({ header, content }) {
      link.write(header);
      link.write(content);
    },
    onHandshake: () => opened.resolve(),
    onApplicationData: (plaintext) => inbox.take(plaintext.length),
    onTlsEnd(error) {
      const failure = error ?? new Error('reclaim: connection ended');
      opened.reject(failure);
      inbox.fail(failure);
    },
  });
  const onData = (chunk: Buffer) => {
    tls.handleReceivedBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  };
  link.on('data', onData);
  tls.startHandshake().catch((error) => opened.reject(error));
  return {
    opened: opened.promise,
    resumed: () => false,
    earlyAccepted: () => false,
    write: (data) => tls.write(data),
    read: (n) => inbox.read(n),
    close() {
      link.off('data', onData);
      link.destroy();
    },
  };
}

/** @reclaimprotocol/tls 0.1.2 with WebCrypto: TLS 1.3, X25519, TLS_AES_128_GCM_SHA256. */
export const reclaimLib: JsLib = {
  name: 'reclaim',
  version: VERSION,
  async plan(cert): Promise<JsLibPlan | null> {
    const unit = cert === 'rsa2048';
    const rootCAs = [loadX509FromPem(unit ? certs.caPem : pkiPem('root.pem'))];
    return {
      protocol: 'TLS 1.3, X25519, TLS_AES_128_GCM_SHA256',
      verifies: unit
        ? 'name, validity, leaf signature by the unit-test CA (it cannot verify the test ' +
          'PKI’s RSASSA-PSS-signed intermediate), CertificateVerify, Finished'
        : 'name, validity, chain to the test root, CertificateVerify, Finished',
      server: unit ? { cert: certs.rsaCertPem, key: certs.rsaKeyPem } : serverOptions(cert),
      client: (link) => client(link, rootCAs),
    };
  },
};
