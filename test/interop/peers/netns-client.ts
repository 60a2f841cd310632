/**
 * Runs inside a private network namespace next to gnutls-serv (which binds every interface):
 * connects through the webtls streams API for each case given as JSON in argv[2] and prints one
 * `RESULT {...}` line per case. Each case is bounded to 15 s.
 */
import { certifiedKeyFromPem } from '../../../src/certified-key.ts';
import { parseCipherSuites, parseGroups, parseTls12Ciphers } from '../../../src/cli/names.ts';
import { defaultProvider } from '../../../src/crypto/index.ts';
import { TlsError } from '../../../src/error.ts';
import { tcpTransport } from '../../../src/node/index.ts';
import type { ClientSessionStore } from '../../../src/sessions/client-store.ts';
import { MemorySessionStore } from '../../../src/sessions/memory-store.ts';
import { connect } from '../../../src/streams/index.ts';

/** One connection to make. */
export interface NetnsCase {
  id: string;
  port: number;
  group?: string;
  suite?: string;
  alpn?: string[];
  ca: string;
  message: string;
  /** Cap the version (default: TLS 1.3 and 1.2 offered). */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** A TLS 1.2 suite by OpenSSL name (instead of `suite`). */
  tls12Cipher?: string;
  /** Connect a second time with the first connection's session store; report its `resumed`. */
  resume?: boolean;
  /** A client certificate to offer when asked: chain PEM file (leaf first) and PKCS#8 key. */
  clientChain?: string;
  clientKey?: string;
  /** ClientConfig.recordSizeLimit (RFC 8449). */
  recordSizeLimit?: number;
}

/** What happened, printed as JSON. */
export interface NetnsResult {
  id: string;
  ok: boolean;
  group?: string;
  suite?: string;
  alpn?: string;
  protocol?: string;
  /** With `resume`: whether the second connection resumed (the first must not have). */
  resumed?: boolean;
  verification?: string;
  received?: string;
  /** ConnectionInfo.recordSizeLimit, when it was negotiated. */
  recordSizeLimit?: { sent: number; received: number };
  code?: string;
  error?: string;
}

async function runCase(
  c: NetnsCase,
  ca: string,
  sessionStore?: ClientSessionStore,
): Promise<NetnsResult> {
  const suites = c.tls12Cipher
    ? parseTls12Ciphers([c.tls12Cipher])
    : c.suite
      ? parseCipherSuites([c.suite])
      : undefined;
  const tls = connect(await tcpTransport('127.0.0.1', c.port), {
    serverName: 'localhost',
    roots: [ca],
    groups: c.group ? parseGroups([c.group]) : undefined,
    cipherSuites: suites,
    alpnProtocols: c.alpn,
    maxVersion: c.maxVersion,
    recordSizeLimit: c.recordSizeLimit,
    sessionStore,
    clientCertificate:
      c.clientChain && c.clientKey
        ? await certifiedKeyFromPem(
            readFileSync(c.clientChain, 'utf8'),
            readFileSync(c.clientKey, 'utf8'),
            defaultProvider(),
          )
        : undefined,
  });
  const timer = setTimeout(() => void tls.close(), 15_000);
  try {
    const info = await tls.opened;
    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode(c.message));
    const reader = tls.readable.getReader();
    let received = '';
    while (!received.includes(c.message)) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    return {
      id: c.id,
      ok: true,
      group: info.group,
      suite: info.cipherSuite,
      alpn: info.alpn,
      protocol: info.protocol,
      resumed: info.resumed,
      verification: info.verification,
      received,
      recordSizeLimit: info.recordSizeLimit,
    };
  } finally {
    clearTimeout(timer);
    await tls.close();
  }
}

const { readFileSync } = await import('node:fs');
const cases = JSON.parse(process.argv[2] ?? '[]') as NetnsCase[];
for (const c of cases) {
  let result: NetnsResult;
  try {
    const ca = readFileSync(c.ca, 'utf8');
    if (c.resume) {
      const store = new MemorySessionStore();
      const first = await runCase(c, ca, store);
      result = first.resumed
        ? { ...first, ok: false, error: 'first connection resumed' }
        : {
            ...(await runCase(c, ca, store)),
          };
    } else {
      result = await runCase(c, ca);
    }
  } catch (error) {
    result = {
      id: c.id,
      ok: false,
      code: error instanceof TlsError ? error.code : undefined,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
process.exit(0);
