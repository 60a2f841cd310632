/**
 * A real PostgreSQL server (Debian's `postgresql`) for interop tests: a fresh cluster in a
 * temporary directory, listening on 127.0.0.1 and a free port only, its Unix socket in the same
 * directory, `ssl = on` with a certificate of the test PKI, and a pg_hba.conf whose only TCP
 * lines are `hostssl`, so a client that does not upgrade to TLS is refused.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root every PostgreSQL program is
 * run as the `postgres` OS user through `setpriv`, which execs in place: the process we start
 * is the postmaster itself and a signal to it reaches it (runuser would sit in between).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CertType, certFiles } from './pki.ts';
import { type Proc, runProc, startProc } from './proc.ts';
import { hasBinary } from './require.ts';

/** The superuser initdb creates, the only role pg_hba.conf lets in (over TLS, by password). */
export const PG_USER = 'webtls';
/** Its password (SCRAM-SHA-256 verifier in the cluster). */
export const PG_PASSWORD = 'webtls-interop-password';
/** The database initdb creates. */
export const PG_DATABASE = 'postgres';

/** How long startup, initdb and shutdown may each take. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** How long a test waits for a line in the server's log. */
const LOG_WAIT_MS = 5_000;
/** A free port can be taken between the probe and the bind: try this many ports. */
const BIND_ATTEMPTS = 3;

/** The newest installed PostgreSQL server: its major version and bin directory. */
export interface PostgresInstall {
  version: number;
  bin: string;
}

/** Finds /usr/lib/postgresql/<major>/bin with both `postgres` and `initdb`, newest first. */
export function findPostgres(root = '/usr/lib/postgresql'): PostgresInstall | undefined {
  if (!existsSync(root)) return undefined;
  const installs = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .map((name) => ({ version: Number(name), bin: join(root, name, 'bin') }))
    .filter((i) => existsSync(join(i.bin, 'postgres')) && existsSync(join(i.bin, 'initdb')))
    .sort((a, b) => b.version - a.version);
  return installs[0];
}

/** True when we run as root (PostgreSQL then runs as the `postgres` OS user). */
function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Like requirePeer: true when a PostgreSQL server is installed (and, as root, setpriv and the
 * `postgres` user exist). Otherwise throws under CI and warns and returns false elsewhere.
 */
export function requirePostgres(): boolean {
  const missing: string[] = [];
  if (!findPostgres()) missing.push('/usr/lib/postgresql/*/bin/postgres (Debian postgresql)');
  if (runningAsRoot()) {
    if (!hasBinary('setpriv')) missing.push('setpriv');
    if (postgresIds() === undefined) missing.push('the postgres OS user');
  }
  if (missing.length === 0) return true;
  const message = `interop peer missing: ${missing.join(', ')} (install it: see .ci/run)`;
  if (process.env.CI) throw new Error(`${message}; CI requires every peer`);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

/** The uid and gid of the `postgres` OS user, if there is one. */
function postgresIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The command and arguments that run `program` as the server's OS user. */
function asPostgres(program: string, args: string[]): [string, string[]] {
  if (!runningAsRoot()) return [program, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', program, ...args]];
}

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Options for startPostgres. */
export interface PostgresOptions {
  /** The server certificate (default p256: localhost, 127.0.0.1 and ::1 under the test root). */
  cert?: CertType;
  /** More `name=value` settings for the postmaster (`-c`). */
  settings?: Record<string, string>;
}

/** A running PostgreSQL server. */
export interface PostgresServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  database: string;
  version: number;
  /** Everything the server logged so far (stderr: connections, TLS failures, errors). */
  log(): string;
  /** Waits (bounded) until the log after offset `from` matches `pattern`; rejects with it. */
  waitLog(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Stops the server (fast shutdown, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** Owns `path` by the server's OS user (when running as root) with `mode`. */
function handOver(path: string, mode: number): void {
  const ids = runningAsRoot() ? postgresIds() : undefined;
  if (ids) chownSync(path, ids.uid, ids.gid);
  chmodSync(path, mode);
}

/**
 * pg_hba.conf: TLS with a SCRAM-SHA-256 password for PG_USER from 127.0.0.1, and nothing else.
 * There is deliberately no `host` (TLS or not) and no `local` line.
 */
const HBA = `# Written by test/interop/peers/postgres.ts: TLS-only, one role.
# TYPE   DATABASE  USER       ADDRESS        METHOD
hostssl  all       ${PG_USER}     127.0.0.1/32   scram-sha-256
`;

/** Creates the cluster in `dir/data` with initdb and writes its TLS files and pg_hba.conf. */
async function initCluster(install: PostgresInstall, dir: string, cert: CertType): Promise<void> {
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  handOver(pwfile, 0o600);
  const [cmd, args] = asPostgres(join(install.bin, 'initdb'), [
    '--pgdata',
    join(dir, 'data'),
    '--username',
    PG_USER,
    '--pwfile',
    pwfile,
    '--auth',
    'scram-sha-256',
    '--encoding',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  const init = await runProc(cmd, args, { cwd: dir, timeoutMs: START_TIMEOUT_MS });
  rmSync(pwfile, { force: true });
  if (init.code !== 0) throw new Error(`initdb failed:\n${init.output}`);

  // The server refuses a key readable by others; it must also own it (or root must).
  const files = certFiles(cert);
  copyFileSync(files.chain, join(dir, 'server.crt'));
  handOver(join(dir, 'server.crt'), 0o644);
  copyFileSync(files.key, join(dir, 'server.key'));
  handOver(join(dir, 'server.key'), 0o600);
  writeFileSync(join(dir, 'data', 'pg_hba.conf'), HBA);
}

/** The postmaster's settings: loopback only, socket in `dir`, TLS on, no durability. */
function serverSettings(dir: string, port: number, extra: Record<string, string>): string[] {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    ssl: 'on',
    ssl_cert_file: join(dir, 'server.crt'),
    ssl_key_file: join(dir, 'server.key'),
    log_connections: 'on',
    lc_messages: 'C',
    max_connections: '20',
    shared_buffers: '16MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...extra,
  };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** Starts the postmaster on a free port; retries on another port when the bind lost a race. */
async function startPostmaster(
  install: PostgresInstall,
  dir: string,
  extra: Record<string, string>,
): Promise<{ proc: Proc; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const [cmd, args] = asPostgres(join(install.bin, 'postgres'), [
      '-D',
      join(dir, 'data'),
      ...serverSettings(dir, port, extra),
    ]);
    const proc = startProc(cmd, args, { cwd: dir });
    try {
      await proc.waitFor(/database system is ready to accept connections/, {
        stream: 'stderr',
        timeoutMs: START_TIMEOUT_MS,
      });
      return { proc, port };
    } catch (error) {
      proc.kill();
      await proc.exited;
      const lostRace = /could not bind|Address already in use/.test(proc.stderr);
      if (!lostRace || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}

/** Polls the server's log after `from` for `pattern` until `timeoutMs` has passed. */
async function waitLog(
  proc: Proc,
  pattern: RegExp,
  from: number,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(proc.stderr.slice(from));
    if (match) return match;
    if (Date.now() > deadline) {
      const seen = proc.stderr.slice(from);
      throw new Error(`PostgreSQL did not log ${pattern} in ${timeoutMs} ms:\n${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Asks the postmaster for a fast shutdown (SIGINT), bounded; then kills its process group. */
async function stopPostmaster(proc: Proc): Promise<void> {
  try {
    proc.child.kill('SIGINT');
  } catch {
    // Already gone.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, STOP_TIMEOUT_MS);
  });
  await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  proc.kill();
  await proc.exited;
}

/**
 * Starts PostgreSQL as described at the top of this file, in a fresh temporary directory. Call
 * `stop()` in afterAll.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const install = findPostgres();
  if (!install) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'webtls-pg-'));
  handOver(dir, 0o700);
  let proc: Proc | undefined;
  const stop = async () => {
    if (proc) await stopPostmaster(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await initCluster(install, dir, options.cert ?? 'p256');
    const started = await startPostmaster(install, dir, options.settings ?? {});
    proc = started.proc;
    const server = proc;
    return {
      host: '127.0.0.1',
      port: started.port,
      user: PG_USER,
      password: PG_PASSWORD,
      database: PG_DATABASE,
      version: install.version,
      log: () => server.stderr,
      waitLog: (pattern, from = 0, timeoutMs = LOG_WAIT_MS) =>
        waitLog(server, pattern, from, timeoutMs),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
