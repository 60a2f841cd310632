/**
 * BoringSSL's `bssl-tool` (Debian android-boringssl) as a peer.
 *
 * `bssl-tool server` binds every interface and prints no line once it listens, so it only runs
 * inside a private network namespace (`unshare -n`, loopback up), where a shell waits for its
 * port with `ss` and then runs the client command in the same namespace. Two habits of the
 * server shape the script (docs/interop.md, "0-RTT and resumption peers"):
 * - it ends a connection when its stdin ends, and
 * - it sends its TLS 1.3 NewSessionTickets only along with its first application data write.
 * So its stdin is a ticker: a line `tick` every 200 ms, which both keeps the connection open and
 * flushes the tickets to the client.
 *
 * `bssl-tool client` is an ordinary client and talks to servers on 127.0.0.1 directly; it prints
 * its report on stderr.
 */

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { shQuote } from './gnutls.ts';
import type { CertFiles } from './pki.ts';
import { ROOT } from './pki.ts';
import { type Proc, startProc } from './proc.ts';

/** Options for `bssl-tool server` (TLS 1.3 only, -loop). */
export interface BsslServerOptions {
  /** Fixed: nothing else listens inside the namespace. */
  port: number;
  cert: CertFiles;
  /** -early-data: accept 0-RTT (BoringSSL advertises max_early_data_size 14336). */
  earlyData?: boolean;
  /** Encrypted Client Hello: `-ech-key` and `-ech-config` (files from `generateBsslEch`). */
  ech?: BsslEchFiles;
  extra?: string[];
}

/** The files `bssl-tool generate-ech` writes (raw binary, not PEM). */
export interface BsslEchFiles {
  /** One ECHConfigList holding `config`, as a client is given it. */
  list: string;
  /** One ECHConfig (for `bssl-tool server -ech-config`). */
  config: string;
  /** The raw 32-byte X25519 private key (for `-ech-key`). */
  key: string;
}

/**
 * Makes an ECH key with `bssl-tool generate-ech` (DHKEM(X25519, HKDF-SHA256), version 0xfe0d)
 * into `dir/prefix.{list,config,key}.bin`.
 */
export function generateBsslEch(
  dir: string,
  prefix: string,
  publicName: string,
  configId: number,
): BsslEchFiles {
  const files = {
    list: join(dir, `${prefix}.list.bin`),
    config: join(dir, `${prefix}.config.bin`),
    key: join(dir, `${prefix}.key.bin`),
  };
  execFileSync('bssl-tool', [
    'generate-ech',
    '-out-ech-config-list',
    files.list,
    '-out-ech-config',
    files.config,
    '-out-private-key',
    files.key,
    '-public-name',
    publicName,
    '-config-id',
    String(configId),
  ]);
  return files;
}

/** The `bssl-tool server` argument list. */
export function bsslServerArgs(options: BsslServerOptions): string[] {
  const args = ['server', '-accept', String(options.port), '-loop', '-min-version', 'tls1.3'];
  args.push('-cert', options.cert.chain, '-key', options.cert.key);
  if (options.earlyData) args.push('-early-data');
  if (options.ech) args.push('-ech-key', options.ech.key, '-ech-config', options.ech.config);
  args.push(...(options.extra ?? []));
  return args;
}

/** What a namespace run printed, split by a marker line. */
export interface NetnsRun {
  proc: Proc;
  /** The client command's stdout and stderr (with its exit status as `CLIENT-EXIT n`). */
  client: string;
  /** bssl-tool server's stdout and stderr. */
  server: string;
}

const SERVER_MARK = '=== bssl-tool server output ===';

/**
 * Runs `bssl-tool server` and then `client` (a shell command) in one fresh network namespace,
 * waits for both (bounded by `timeoutMs`), and returns what each printed.
 */
export async function runWithBsslServer(
  server: BsslServerOptions,
  client: string,
  timeoutMs = 120_000,
): Promise<NetnsRun> {
  const log = '/tmp/webtls-bssl-serv.$$.log';
  const lines = [
    'set -u',
    'ip link set lo up',
    `(while :; do echo tick || exit 0; sleep 0.2; done) | bssl-tool ${bsslServerArgs(server)
      .map(shQuote)
      .join(' ')} >${log} 2>&1 & spid=$!`,
    // Wait (at most 10 s) until it listens.
    `n=0; until ss -ltn | grep -q ':${server.port} '; do n=$((n+1)); ` +
      `if [ $n -gt 100 ]; then echo "bssl-tool server did not start"; cat ${log}; exit 90; fi; ` +
      'sleep 0.1; done',
    `( ${client} ) 2>&1; echo "CLIENT-EXIT $?"`,
    'kill $spid 2>/dev/null; sleep 0.1',
    `echo '${SERVER_MARK}'; cat ${log}; rm -f ${log}`,
  ];
  const proc = startProc('unshare', ['-n', 'sh', '-c', lines.join('\n')]);
  proc.endStdin();
  await proc.waitExit(timeoutMs);
  const [clientOut, serverOut = ''] = proc.stdout.split(`${SERVER_MARK}\n`);
  return { proc, client: clientOut, server: serverOut };
}

/** Options for `bssl-tool client` against 127.0.0.1. */
export interface BsslClientOptions {
  port: number;
  /** -server-name (default localhost); the chain is verified against the test root. */
  serverName?: string;
  /** -session-out FILE: the session (PEM `SSL SESSION PARAMETERS`), written when a ticket comes. */
  sessionOut?: string;
  /** -session-in FILE: offer this session. */
  sessionIn?: string;
  /** -early-data @FILE: send FILE's bytes as 0-RTT when resuming. */
  earlyDataFile?: string;
  extra?: string[];
}

/**
 * Starts `bssl-tool client`. Its stdin stays open and empty until `endStdin()`: anything written
 * there before the handshake completes would go out as early data too.
 */
export function startBsslClient(options: BsslClientOptions): Proc {
  const args = ['client', '-connect', `127.0.0.1:${options.port}`, '-min-version', 'tls1.3'];
  args.push('-server-name', options.serverName ?? 'localhost', '-root-certs', ROOT);
  if (options.sessionOut) args.push('-session-out', options.sessionOut);
  if (options.sessionIn) args.push('-session-in', options.sessionIn);
  if (options.earlyDataFile) args.push('-early-data', `@${options.earlyDataFile}`);
  args.push(...(options.extra ?? []));
  return startProc('bssl-tool', args);
}
