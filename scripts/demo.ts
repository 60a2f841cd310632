/**
 * `npm start`: a webtls server and a webtls client talking TLS 1.3 over loopback TCP. The
 * server's certificate is issued for this run by a throwaway CA (made with the openssl command
 * line in a temporary directory); the client trusts only that CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certifiedKeyFromPem } from '../src/certified-key.ts';
import { summaryLines } from '../src/cli/summary.ts';
import { defaultProvider } from '../src/crypto/index.ts';
import { listen, tcpTransport } from '../src/node/index.ts';
import { accept, connect, type TlsStream } from '../src/streams/index.ts';
import { fromUtf8, utf8 } from '../src/util/bytes.ts';

interface Issued {
  caPem: string;
  chainPem: string;
  keyPem: string;
}

/** Issues a CA and a server certificate for localhost and 127.0.0.1 (ECDSA P-256) in `dir`. */
function issueCertificates(dir: string): Issued {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...p256,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=webtls demo CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', ...p256, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { caPem: read('ca.pem'), chainPem: read('server.pem'), keyPem: read('server.key') };
}

/** Reads `readable` to its end as text. */
async function readText(readable: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  const reader = readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += fromUtf8(r.value);
  reader.releaseLock();
  return text;
}

/** The server side of one connection: read the client's message, answer, close. */
async function serveOne(tls: TlsStream): Promise<string> {
  await tls.opened;
  const reader = tls.readable.getReader();
  const { value } = await reader.read();
  const heard = value ? fromUtf8(value) : '';
  const writer = tls.writable.getWriter();
  await writer.write(utf8(`hello, client; you said "${heard}"`));
  await writer.close();
  reader.releaseLock();
  await readText(tls.readable);
  await tls.closed;
  return heard;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webtls-demo-'));
  try {
    // 1. A certificate for this run.
    const issued = issueCertificates(dir);
    const provider = defaultProvider();
    const certified = await certifiedKeyFromPem(issued.chainPem, issued.keyPem, provider);

    // 2. A server on a free loopback port.
    let served: Promise<string> | undefined;
    const listener = await listen(0, '127.0.0.1', (transport) => {
      const config = { provider, certificates: [certified], alpnProtocols: ['demo/1'] };
      served = serveOne(accept(transport, config));
      served.catch(() => undefined);
    });
    console.log(`server listening on 127.0.0.1:${listener.port}`);

    // 3. A client that trusts only the demo CA.
    const transport = await tcpTransport('127.0.0.1', listener.port);
    const tls = connect(transport, {
      serverName: 'localhost',
      provider,
      roots: [issued.caPem],
      alpnProtocols: ['demo/1'],
    });
    const info = await tls.opened;
    console.log('client: handshake complete');
    for (const line of summaryLines(info)) console.log(`  ${line}`);

    // 4. One message each way, then close_notify both ways.
    const writer = tls.writable.getWriter();
    await writer.write(utf8('hello, server'));
    const answer = await readText(tls.readable);
    await writer.close();
    await tls.closed;
    const heard = await served;
    console.log(`server heard: "${heard}"`);
    console.log(`client heard: "${answer}"`);
    await listener.close();
    if (heard !== 'hello, server' || !answer.startsWith('hello, client')) {
      throw new Error('the messages did not arrive intact');
    }
    console.log('demo: OK');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('demo failed:', error);
    process.exit(1);
  },
);
