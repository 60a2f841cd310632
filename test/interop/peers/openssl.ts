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
  /**
   * -early_data: accept TLS 1.3 0-RTT (max_early_data 16384 unless `maxEarlyData`). s_server then
   * prints `Early data received:`, the bytes and `End of early data` (the bytes may come out
   * before the header: see opensslServerEarlyData), `No early data received` or `Early data was
   * rejected`.
   */
  earlyData?: boolean;
  /** -max_early_data N (with `earlyData`). */
  maxEarlyData?: number;
  extra?: string[];
  /** The openssl executable (default `openssl` on PATH; OpenSSL 4: peers/openssl4.ts). */
  binary?: string;
  /**
   * Run under `stdbuf -oL`: s_server writes through stdio, fully buffered into a pipe, so
   * `-trace` and `-msg` lines otherwise arrive only when it exits.
   */
  lineBuffered?: boolean;
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
  if (options.earlyData) args.push('-early_data');
  if (options.maxEarlyData !== undefined)
    args.push('-max_early_data', String(options.maxEarlyData));
  if (options.extra) args.push(...options.extra);
  const binary = options.binary ?? 'openssl';
  const proc = options.lineBuffered
    ? startProc('stdbuf', ['-oL', binary, ...args])
    : startProc(binary, args);
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
  /** -sess_out FILE: write the session (the last ticket received) to FILE. */
  sessOut?: string;
  /** -sess_in FILE: offer the session in FILE. */
  sessIn?: string;
  /** -early_data FILE: send FILE as 0-RTT when resuming; prints `Early data was accepted`. */
  earlyDataFile?: string;
  extra?: string[];
  /** The openssl executable (default `openssl` on PATH; OpenSSL 4: peers/openssl4.ts). */
  binary?: string;
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
  if (options.sessOut) args.push('-sess_out', options.sessOut);
  if (options.sessIn) args.push('-sess_in', options.sessIn);
  if (options.earlyDataFile) args.push('-early_data', options.earlyDataFile);
  if (options.extra) args.push(...options.extra);
  return startProc(options.binary ?? 'openssl', args);
}

/** What `openssl s_client` said of 0-RTT: `Early data was accepted|rejected|not sent`. */
export function opensslClientEarlyData(stdout: string): string | undefined {
  return /^Early data was (accepted|rejected|not sent)$/m.exec(stdout)?.[1];
}

/**
 * How many connections `openssl s_server -early_data` reported early data for, and whether
 * `data` is among what it printed. It writes the bytes to stdout unbuffered and its
 * `Early data received:` header through a buffer, so the bytes may come before the header.
 */
export function opensslServerEarlyData(
  stdout: string,
  data: string,
): { received: number; rejected: number; none: number; hasData: boolean } {
  const count = (re: RegExp) => stdout.match(re)?.length ?? 0;
  return {
    received: count(/^End of early data$/gm),
    rejected: count(/^Early data was rejected$/gm),
    none: count(/^No early data received$/gm),
    hasData: stdout.includes(data),
  };
}
