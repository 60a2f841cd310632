/**
 * gnutls peers. `gnutls-cli` is used as a client against webtls servers on 127.0.0.1.
 * `gnutls-serv` binds every interface, so it only runs inside a private network namespace
 * (`unshare -n`), together with the webtls client that talks to it.
 */
import type { GroupName, SuiteName } from './pki.ts';
import { ROOT } from './pki.ts';
import { type Proc, startProc } from './proc.ts';

/** gnutls priority names. */
const GNUTLS_GROUP: Record<GroupName, string> = {
  X25519: 'GROUP-X25519',
  'P-256': 'GROUP-SECP256R1',
  'P-384': 'GROUP-SECP384R1',
};
const GNUTLS_CIPHER: Record<SuiteName, string> = {
  TLS_AES_128_GCM_SHA256: 'AES-128-GCM',
  TLS_AES_256_GCM_SHA384: 'AES-256-GCM',
  TLS_CHACHA20_POLY1305_SHA256: 'CHACHA20-POLY1305',
};

/** A TLS 1.3-only priority string, optionally pinned to one group and one cipher. */
export function gnutlsPriority(group?: GroupName, suite?: SuiteName): string {
  let priority = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';
  if (group) priority += `:-GROUP-ALL:+${GNUTLS_GROUP[group]}`;
  if (suite) priority += `:-CIPHER-ALL:+${GNUTLS_CIPHER[suite]}`;
  return priority;
}

/** Options for gnutls-cli. */
export interface GnutlsClientOptions {
  port: number;
  group?: GroupName;
  suite?: SuiteName;
  alpn?: string[];
  /** SNI and the name verified (default localhost). */
  serverName?: string;
  /**
   * `--resume --waitresumption`: connect, wait for a TLS 1.3 ticket, connect again offering it;
   * prints `*** This is a resumed session` when it was resumed.
   */
  resume?: boolean;
  /**
   * With `resume`: `--earlydata=FILE`, FILE's bytes sent as 0-RTT on the second connection
   * (gnutls-cli prints nothing about whether they were accepted).
   */
  earlyDataFile?: string;
  /** A whole priority string, instead of the TLS 1.3-only one `group` and `suite` shape. */
  priority?: string;
  /** `--recordsize=N`: the record_size_limit gnutls-cli advertises (RFC 8449). */
  recordSize?: number;
}

/** Starts gnutls-cli against 127.0.0.1:port, verifying against the test root. */
export function startGnutlsClient(options: GnutlsClientOptions): Proc {
  const args = [
    '--x509cafile',
    ROOT,
    '--priority',
    options.priority ?? gnutlsPriority(options.group, options.suite),
    '--sni-hostname',
    options.serverName ?? 'localhost',
    '--verify-hostname',
    options.serverName ?? 'localhost',
    '-p',
    String(options.port),
  ];
  for (const protocol of options.alpn ?? []) args.push('--alpn', protocol);
  if (options.resume) args.push('--resume', '--waitresumption');
  if (options.earlyDataFile) args.push(`--earlydata=${options.earlyDataFile}`);
  if (options.recordSize !== undefined) args.push(`--recordsize=${options.recordSize}`);
  args.push('127.0.0.1');
  return startProc('gnutls-cli', args);
}

/** The gnutls-serv command line for a server inside a namespace (port fixed: nothing else is there). */
export function gnutlsServeArgs(options: {
  port: number;
  chain: string;
  key: string;
  mode: 'echo' | 'http';
  alpn?: string;
  /** A priority string (default: TLS 1.3 only). */
  priority?: string;
  /**
   * TLS 1.3 0-RTT: `--earlydata --maxearlydata=N` (true: N = 16384). gnutls-serv 3.7 accepts
   * the data but never prints or echoes it; only its debug log (`-d 5`) shows `early data
   * accepted` and `decrypted early data with length: N`.
   */
  earlyData?: boolean | number;
  /** More arguments (e.g. a second --x509certfile/--x509keyfile pair, --noticket). */
  extra?: string[];
}): string[] {
  const args = [`--${options.mode}`, '-p', String(options.port)];
  args.push('--x509certfile', options.chain, '--x509keyfile', options.key);
  args.push('--priority', options.priority ?? gnutlsPriority());
  if (options.earlyData !== undefined && options.earlyData !== false) {
    const max = options.earlyData === true ? 16384 : options.earlyData;
    args.push('--earlydata', `--maxearlydata=${max}`);
  }
  args.push(...(options.extra ?? []));
  if (options.alpn) args.push('--alpn', options.alpn);
  return args;
}

/** Quotes a word for sh. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Printed before each server's log when `startInNetns` is asked for them. */
export const GNUTLS_SERV_LOG_MARK = '=== gnutls-serv log';

/**
 * Runs `servers` (gnutls-serv argument lists, each waited for until it listens) and then
 * `client` (a shell command) inside one fresh network namespace with only loopback up.
 * Resolves with the process; its output carries the client's output, then, with
 * `showServerLogs`, each server's log after a `=== gnutls-serv log N ===` line.
 */
export function startInNetns(
  servers: string[][],
  client: string,
  options: { showServerLogs?: boolean } = {},
): Proc {
  const lines = ['set -u', 'ip link set lo up', 'pids=""'];
  servers.forEach((args, i) => {
    const log = `/tmp/webtls-gnutls-serv.$$.${i}.log`;
    lines.push(`gnutls-serv ${args.map(shQuote).join(' ')} >${log} 2>&1 & pids="$pids $!"`);
    // Wait (at most 10 s) until it listens.
    lines.push(
      `n=0; until grep -q 'listening on IPv4' ${log}; do n=$((n+1)); ` +
        `if [ $n -gt 100 ]; then echo "gnutls-serv did not start"; cat ${log}; exit 90; fi; sleep 0.1; done`,
    );
  });
  lines.push(
    `${client}; rc=$?`,
    'kill $pids 2>/dev/null',
    ...(options.showServerLogs
      ? servers.map(
          (_, i) =>
            `echo '${GNUTLS_SERV_LOG_MARK} ${i} ==='; cat /tmp/webtls-gnutls-serv.$$.${i}.log`,
        )
      : []),
    'rm -f /tmp/webtls-gnutls-serv.$$.*',
    'exit $rc',
  );
  return startProc('unshare', ['-n', 'sh', '-c', lines.join('\n')]);
}
