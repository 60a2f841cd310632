/**
 * webtls's sans-IO ClientConnection over an in-memory link, with a few lines of glue: bytes
 * from the link go to `readTls` + `process()`, whatever `takeTls()` then holds goes back out.
 * This is how bench/js-libs.ts drives webtls, at the level the JavaScript libraries are driven
 * (their own engines and callbacks, no Web Streams). The streams API (`connect`, as
 * bench/lib/contenders/webtls.ts uses it) costs more per handshake on top; bench/README.md says
 * how much.
 *
 * TLS 1.3, X25519, TLS_AES_128_GCM_SHA256, no session store: full handshakes only. The
 * server's chain is verified in full against the test root, name included.
 */
import type { Duplex } from 'node:stream';
import type { ClientConfig } from '../../../src/config.ts';
import { ClientConnection } from '../../../src/conn/client.ts';
import type { CryptoProvider } from '../../../src/crypto/provider.ts';
import { CipherSuite, NamedGroup } from '../../../src/msgs/enums.ts';
import { deferred, Inbox, type JsLib, type JsLibPlan, serverOptions } from './js-lib.ts';
import { pkiPem } from './pki.ts';
import type { BenchConn } from './types.ts';

const HOST = 'localhost';

function client(link: Duplex, config: ClientConfig): BenchConn {
  const conn = new ClientConnection(config, { serverName: HOST });
  const opened = deferred<void>();
  const inbox = new Inbox();
  // Every call on the connection runs in turn, so its output leaves in order.
  let queue = Promise.resolve();
  const send = () => {
    const out = conn.takeTls();
    if (out) link.write(out);
  };
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    const run = queue.then(work);
    queue = run.catch((error) => {
      opened.reject(error);
      inbox.fail(error);
    });
    return run;
  };
  const step = () =>
    enqueue(async () => {
      await conn.process();
      send();
      const data = conn.read();
      if (data) inbox.take(data.length);
      if (conn.handshakeComplete) opened.resolve();
    });
  const onData = (chunk: Buffer) => {
    conn.readTls(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    step().catch(() => undefined); // reported through `opened` and `read`
  };
  link.on('data', onData);
  step().catch(() => undefined);
  return {
    opened: opened.promise,
    resumed: () => false,
    earlyAccepted: () => false,
    write: (data) =>
      enqueue(async () => {
        await conn.write(data);
        send();
      }),
    read: (n) => inbox.read(n),
    close() {
      link.off('data', onData);
      link.destroy();
    },
  };
}

/** webtls through ClientConnection with `provider`, named `name` in the results. */
export function webtlsConnLib(name: string, provider: CryptoProvider): JsLib {
  return {
    name,
    version: 'this tree',
    async plan(cert): Promise<JsLibPlan> {
      const config: ClientConfig = {
        provider,
        roots: [pkiPem('root.pem')],
        sessionStore: null,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        groups: [NamedGroup.x25519],
        cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
      };
      return {
        protocol: 'TLS 1.3, X25519, TLS_AES_128_GCM_SHA256',
        verifies: 'full path to the test root (signatures, validity, CA and usage), name',
        server: serverOptions(cert),
        client: (link) => client(link, config),
      };
    },
  };
}
