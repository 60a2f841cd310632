/** `openssl s_server` and `openssl s_client` as interop peers. */
import type { CertFiles, GroupName, SuiteName } from './pki.ts';
import { ROOT } from './pki.ts';
import { type Proc, startProc } from './proc.ts';

/** Options for `openssl s_server`. */
export interface OpensslServerOptions {
  cert: CertFiles;
  /** Answer GET with a status page (-www); otherwise echo mode: stdout/stdin. */
  www?: boolean;
  groups?: string;
  ciphersuites?: string;
  alpn?: string;
  extra?: string[];
}

/** A running `openssl s_server` on 127.0.0.1 and the port it reported. */
export interface OpensslServer {
  proc: Proc;
  port: number;
}

/** Starts `openssl s_server -tls1_3` on 127.0.0.1:0 and waits for its ACCEPT line. */
export async function startOpensslServer(options: OpensslServerOptions): Promise<OpensslServer> {
  const args = ['s_server', '-accept', '127.0.0.1:0', '-tls1_3'];
  args.push(
    '-cert',
    options.cert.leaf,
    '-cert_chain',
    options.cert.inter,
    '-key',
    options.cert.key,
  );
  if (options.www) args.push('-www');
  if (options.groups) args.push('-groups', options.groups);
  if (options.ciphersuites) args.push('-ciphersuites', options.ciphersuites);
  if (options.alpn) args.push('-alpn', options.alpn);
  if (options.extra) args.push(...options.extra);
  const proc = startProc('openssl', args);
  const match = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, { stream: 'stdout' });
  return { proc, port: Number(match[1]) };
}

/** Options for `openssl s_client`. */
export interface OpensslClientOptions {
  port: number;
  /** Sent as SNI and verified (-servername, -verify_hostname). Default localhost. */
  serverName?: string;
  group?: GroupName | string;
  suite?: SuiteName;
  alpn?: string;
  extra?: string[];
}

/**
 * Starts `openssl s_client` against 127.0.0.1:port, verifying against the test root. It keeps
 * its stdin open until `endStdin()`; `k`/`K` lines on stdin send a KeyUpdate.
 */
export function startOpensslClient(options: OpensslClientOptions): Proc {
  const name = options.serverName ?? 'localhost';
  const args = ['s_client', '-connect', `127.0.0.1:${options.port}`, '-tls1_3'];
  args.push('-servername', name, '-verify_hostname', name, '-CAfile', ROOT, '-verify_return_error');
  if (options.group) args.push('-groups', options.group);
  if (options.suite) args.push('-ciphersuites', options.suite);
  if (options.alpn) args.push('-alpn', options.alpn);
  if (options.extra) args.push(...options.extra);
  return startProc('openssl', args);
}
