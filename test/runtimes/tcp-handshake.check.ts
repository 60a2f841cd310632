/**
 * A real TLS 1.3 handshake through webtls's node:net transport (`tcpTransport` from src/node/),
 * for runtimes other than Node that implement node:net. test/runtimes/bun-handshake.test.ts
 * runs it under Bun, and under Node for comparison, against an `openssl s_server -rev` on
 * 127.0.0.1: it verifies the server's chain against the test root, sends a line, reads the
 * server's reversal of it, and closes with close_notify.
 *
 * Usage: bun run test/runtimes/tcp-handshake.check.ts <port> <root.pem>
 * Prints one JSON line (runtime, negotiated parameters, what was sent and received); exits 1 on
 * any error, printing it.
 */
import { readFileSync } from 'node:fs';
import { tcpTransport } from '../../src/node/index.ts';
import { connect } from '../../src/streams/index.ts';

const TIMEOUT_MS = 15_000;
const [portText, rootPath] = process.argv.slice(2);
const port = Number(portText);
if (!Number.isInteger(port) || port <= 0 || !rootPath) {
  console.error('usage: tcp-handshake.check.ts <port> <root.pem>');
  process.exit(2);
}

async function run(): Promise<void> {
  const runtime = process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`;
  const transport = await tcpTransport('127.0.0.1', port, { timeoutMs: TIMEOUT_MS });
  const tls = connect(transport, {
    serverName: 'localhost',
    roots: [readFileSync(rootPath, 'utf8')],
  });
  const info = await tls.opened;

  // 1. Send one line; s_server -rev answers each line with its characters reversed.
  const sent = `hello from ${runtime}`;
  const writer = tls.writable.getWriter();
  await writer.write(new TextEncoder().encode(`${sent}\n`));

  // 2. Read until the answer's newline (bounded by the timer below).
  const reader = tls.readable.getReader();
  const decoder = new TextDecoder();
  let received = '';
  while (!received.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server closed early; got ${JSON.stringify(received)}`);
    received += decoder.decode(value, { stream: true });
  }

  // 3. close_notify; openssl answers it by closing too.
  await writer.close();
  reader.releaseLock();
  console.log(
    JSON.stringify({
      runtime,
      protocol: info.protocol,
      cipherSuite: info.cipherSuite,
      group: info.group,
      verification: info.verification,
      sent,
      received: received.trimEnd(),
    }),
  );
}

const timer = setTimeout(() => {
  console.error(`tcp-handshake: no result after ${TIMEOUT_MS} ms`);
  process.exit(1);
}, TIMEOUT_MS);
try {
  await run();
  clearTimeout(timer);
  process.exit(0);
} catch (error) {
  console.error('tcp-handshake: failed:', error);
  process.exit(1);
}
