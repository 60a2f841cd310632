/**
 * NSS peers (libnss3-tools): `tstclnt` as a client against webtls servers on 127.0.0.1, and
 * `selfserv`, which binds every interface, only inside a private network namespace together
 * with the webtls client. Both need an NSS certificate database: `makeNssDb` builds one holding
 * the test root (trusted to issue server certificates, `C,,`) and, for selfserv, server
 * certificates with their keys (imported from PKCS#12 files made by openssl).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shQuote } from './gnutls.ts';
import type { CertFiles } from './pki.ts';
import { ROOT } from './pki.ts';
import { type Proc, startProc } from './proc.ts';

/** An NSS database in a fresh temporary directory; `dispose()` removes it. */
export interface NssDb {
  /** The `-d` argument: `sql:DIR`. */
  dir: string;
  dispose(): void;
}

/** Creates a database trusting the test root; imports each `certs` entry under its nickname. */
export function makeNssDb(certs: Record<string, CertFiles> = {}): NssDb {
  const path = mkdtempSync(join(tmpdir(), 'webtls-nssdb-'));
  const dir = `sql:${path}`;
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });
  run('certutil', ['-N', '-d', dir, '--empty-password']);
  run('certutil', ['-A', '-d', dir, '-n', 'webtls-root', '-t', 'C,,', '-i', ROOT]);
  for (const [nickname, files] of Object.entries(certs)) {
    const p12 = join(path, `${nickname}.p12`);
    run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      files.leaf,
      '-certfile',
      files.inter,
      '-inkey',
      files.key,
      '-name',
      nickname,
      '-out',
      p12,
      '-passout',
      'pass:',
    ]);
    run('pk12util', ['-i', p12, '-d', dir, '-W', '']);
  }
  return { dir, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** Options for tstclnt. */
export interface TstclntOptions {
  port: number;
  db: NssDb;
  /** `-V min:max`, e.g. 'tls1.2:tls1.2'. */
  versions: string;
  /** A file whose content is sent (`-A`). */
  requestFile: string;
  /** One cipher suite code point (`-c :XXXX`). */
  suite?: number;
  /** Offer session tickets (`-u`). */
  tickets?: boolean;
  /** Connections in a row (`-L N`): the later ones resume the first one's session. */
  connections?: number;
  /** SNI and the name verified (`-a`, default localhost). */
  serverName?: string;
  /** More arguments, e.g. `-N <base64 ECHConfigList>` (ECH) or `-i 32` (GREASE ECH). */
  extra?: string[];
}

/**
 * Starts tstclnt against 127.0.0.1:port with SNI localhost, the extended master secret on
 * (`-G`; NSS leaves it off by default), verifying against the database's root.
 */
export function startTstclnt(o: TstclntOptions): Proc {
  const args = ['-h', '127.0.0.1', '-p', String(o.port), '-d', o.db.dir];
  args.push('-a', o.serverName ?? 'localhost');
  args.push('-V', o.versions, '-G', '-A', o.requestFile);
  if (o.suite !== undefined) args.push('-c', `:${o.suite.toString(16).padStart(4, '0')}`);
  if (o.tickets) args.push('-u');
  if (o.connections) args.push('-L', String(o.connections));
  args.push(...(o.extra ?? []));
  return startProc('tstclnt', args);
}

/**
 * Runs one `selfserv` per argument list (verbose, so it says when it listens) and then `client`
 * (a shell command) in one fresh network namespace with only loopback up. Resolves with the
 * process; its stdout carries the client's output, then each selfserv's log after a
 * `--- selfserv N` line.
 */
export function startSelfservInNetns(servers: string[][], client: string): Proc {
  const lines = ['set -u', 'ip link set lo up', 'pids=""'];
  servers.forEach((args, i) => {
    const log = `/tmp/webtls-selfserv.$$.${i}.log`;
    lines.push(`selfserv -v ${args.map(shQuote).join(' ')} >${log} 2>&1 & pids="$pids $!"`);
    // Wait (at most 10 s) until it accepts.
    lines.push(
      `n=0; until grep -q 'About to call accept' ${log}; do n=$((n+1)); ` +
        `if [ $n -gt 100 ]; then echo "selfserv did not start"; cat ${log}; exit 90; fi; ` +
        'sleep 0.1; done',
    );
  });
  lines.push(`${client}; rc=$?`, 'kill $pids 2>/dev/null');
  servers.forEach((_, i) => {
    const log = `/tmp/webtls-selfserv.$$.${i}.log`;
    lines.push(`echo '--- selfserv ${i}'; cat ${log}; rm -f ${log}`);
  });
  lines.push('exit $rc');
  return startProc('unshare', ['-n', 'sh', '-c', lines.join('\n')]);
}
