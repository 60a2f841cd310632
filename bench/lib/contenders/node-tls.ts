/**
 * node:tls (OpenSSL) as a benchmark contender: TLSSockets over the link, the reference the
 * other columns are divided by. Node 20's OpenSSL 3.0 has no X25519MLKEM768.
 */
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { pkiChainPem, pkiKeyPem, pkiPem } from './pki.ts';
import type { BenchConn, Contender, GroupName, Setup } from './types.ts';

const CURVES: Partial<Record<GroupName, string>> = { X25519: 'X25519', 'P-256': 'prime256v1' };

/** TLS 1.2 suite names in OpenSSL's spelling. */
const OPENSSL_TLS12: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
};

/** The suite option: node sorts TLS 1.3 names (IANA spelling) and TLS 1.2 ones itself. */
function suiteOptions(setup: Setup): tls.SecureContextOptions {
  if (!setup.suite) return {};
  return { ciphers: OPENSSL_TLS12[setup.suite] ?? setup.suite };
}

/** A node:tls socket as a BenchConn: counts received bytes so `read(n)` can wait for them. */
export function nodeTlsConn(socket: tls.TLSSocket, opened: Promise<void>): BenchConn {
  let received = 0;
  let wanted = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (wake && received >= wanted) wake();
  });
  const fail = (error: Error) => {
    failure = error;
    wake?.();
  };
  socket.on('error', fail);
  socket.on('end', () => fail(new Error('node:tls: peer ended the stream')));
  return {
    opened,
    resumed: () => socket.isSessionReused(),
    earlyAccepted: () => false,
    write: (data) =>
      new Promise((resolve, reject) =>
        socket.write(data, (error) => (error ? reject(error) : resolve())),
      ),
    async read(n) {
      wanted += n;
      while (received < wanted) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
    close() {
      socket.destroy();
    },
  };
}

/** Resolves on `event`, rejects on the socket's first error. */
export function settled(socket: tls.TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve());
    socket.once('error', reject);
  });
}

/** node:tls with its defaults apart from what the setup fixes. */
export const nodeTlsContender: Contender = {
  name: 'node:tls',
  async client(setup) {
    const curve = CURVES[setup.group];
    if (!curve) return null;
    const context = tls.createSecureContext({
      ca: pkiPem('root.pem'),
      minVersion: setup.version,
      maxVersion: setup.version,
      ecdhCurve: curve,
      ...suiteOptions(setup),
    });
    let session: Buffer | undefined; // the newest ticket, for `resume`
    return (link: Duplex, open = {}) => {
      if (open.earlyData) throw new Error('node:tls has no 0-RTT');
      const socket = tls.connect({
        socket: link,
        secureContext: context,
        servername: 'localhost',
        session: open.resume ? session : undefined,
      });
      socket.on('session', (s: Buffer) => {
        session = s;
      });
      return nodeTlsConn(socket, settled(socket, 'secureConnect'));
    };
  },
  async server(setup) {
    const curve = CURVES[setup.group];
    if (!curve) return null;
    const context = tls.createSecureContext({
      cert: pkiChainPem(setup.cert),
      key: pkiKeyPem(setup.cert),
      minVersion: setup.version,
      maxVersion: setup.version,
      ecdhCurve: curve,
      ...suiteOptions(setup),
    });
    return (link: Duplex) => {
      const socket = new tls.TLSSocket(link, { isServer: true, secureContext: context });
      return nodeTlsConn(socket, settled(socket, 'secure'));
    };
  },
};
