/**
 * The Deno example (workers/deno-example.ts), run by Deno as a user would, twice against one
 * server with one KV file: the first run makes a full handshake and stores the tickets in Deno
 * KV, the second resumes with one (RFC 8446 §2.2). Servers: a webtls server with a ticketer (its
 * own `info.resumed` confirms it) and `openssl s_server -www` (its status page says `New` or
 * `Reused`). A server the bundled roots do not trust makes the example fail.
 *
 * Node only: it starts the servers and Deno. scripts/test-deno.sh also loads test/runtimes/*.test.ts
 * under Deno, where this file declares its suites skipped and runs nothing. A missing Deno fails
 * under CI and skips (with a warning) otherwise.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const UNDER_DENO = 'Deno' in globalThis;
const BODY = 'hello from the webtls test server\n';
/** A run loads and transpiles the sources on first use: room for a loaded machine. */
const RUN_TIMEOUT_MS = 90_000;

/** The repository root, and Deno from the deno devDependency. */
const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const DENO = join(REPO, 'node_modules/.bin/deno');

/** Whether Deno is here: under CI its absence fails the file, otherwise it skips. */
function haveDeno(): boolean {
  if (UNDER_DENO) return false;
  if (existsSync(DENO)) return true;
  const message = `deno missing: ${DENO} (the deno npm package is a devDependency)`;
  if (process.env.CI) throw new Error(`${message}; CI requires it`);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

const HAVE_DENO = haveDeno();
const dirs: string[] = [];

afterAll(async () => {
  if (UNDER_DENO) return;
  const { killAllPeers } = await import('../interop/peers/proc.ts');
  await killAllPeers();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory for one KV file. */
function kvDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'webtls-deno-example-'));
  dirs.push(dir);
  return dir;
}

/** Runs the example once against 127.0.0.1:`port`, with its KV in `dir`. */
async function runExample(port: number, dir: string, ca: string | undefined) {
  const { runProc } = await import('../interop/peers/proc.ts');
  const args = ['run', '--unstable-kv', '--no-prompt', '--allow-net=127.0.0.1'];
  args.push(`--allow-read=${REPO},${dir}`, `--allow-write=${dir}`);
  args.push('workers/deno-example.ts', '127.0.0.1', String(port), '--server-name', 'localhost');
  args.push('--kv', join(dir, 'tickets.sqlite'));
  if (ca) args.push('--ca', ca);
  return runProc(DENO, args, { cwd: REPO, timeoutMs: RUN_TIMEOUT_MS });
}

describe.skipIf(!HAVE_DENO)('Deno example → webtls server with a ticketer', () => {
  it(
    'the first run makes a full handshake, the second resumes from Deno KV',
    async () => {
      const { AeadTicketer } = await import('../../src/sessions/ticketer.ts');
      const { certFiles, ROOT } = await import('../interop/peers/pki.ts');
      const { httpResponder } = await import('../interop/peers/http.ts');
      const { loadCert, startWebtlsServer } = await import('../interop/peers/webtls.ts');
      const server = await startWebtlsServer(
        { certificates: [await loadCert(certFiles('p256'))], ticketer: new AeadTicketer() },
        httpResponder(BODY),
      );
      try {
        const dir = kvDir();
        const first = await runExample(server.port, dir, ROOT);
        expect(first.code, first.output).toBe(0);
        expect(first.stdout).toMatch(/^Status: 200 OK\nProtocol: TLSv1\.3\nResumed: no\n\n/);
        expect(first.stdout).toContain(BODY);
        const seen = await server.session(0);
        expect(seen.info?.resumed).toBe(false);
        expect(seen.received).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: localhost\r\n/);

        const second = await runExample(server.port, dir, ROOT);
        expect(second.code, second.output).toBe(0);
        expect(second.stdout).toMatch(/^Status: 200 OK\nProtocol: TLSv1\.3\nResumed: yes\n/);
        expect(second.stdout).toContain(BODY);
        expect((await server.session(1)).info?.resumed).toBe(true);

        // Another KV holds no ticket: a full handshake again.
        const elsewhere = await runExample(server.port, kvDir(), ROOT);
        expect(elsewhere.code, elsewhere.output).toBe(0);
        expect(elsewhere.stdout).toContain('Resumed: no');
      } finally {
        await server.close();
      }
    },
    4 * RUN_TIMEOUT_MS,
  );

  it(
    'fails with exit code 1 when the bundled roots do not trust the server',
    async () => {
      const { certFiles } = await import('../interop/peers/pki.ts');
      const { httpResponder } = await import('../interop/peers/http.ts');
      const { loadCert, startWebtlsServer } = await import('../interop/peers/webtls.ts');
      const server = await startWebtlsServer(
        { certificates: [await loadCert(certFiles('p256'))] },
        httpResponder(BODY),
      );
      try {
        const run = await runExample(server.port, kvDir(), undefined);
        expect(run.code, run.output).toBe(1);
        expect(run.stderr).toMatch(/^deno-example: tls: /m);
        expect(run.stdout).not.toContain('Status:');
      } finally {
        await server.close();
      }
    },
    RUN_TIMEOUT_MS,
  );
});

describe.skipIf(!HAVE_DENO)('denoTcpTransport types', () => {
  it(
    "Deno's own namespace fits DenoNetLike (deno check)",
    async () => {
      const { writeFileSync } = await import('node:fs');
      const { runProc } = await import('../interop/peers/proc.ts');
      const dir = kvDir();
      const file = join(dir, 'tcp-type.ts');
      writeFileSync(
        file,
        `import { denoTcpTransport } from '${REPO}/src/deno/tcp.ts';\n` +
          'export const dial = () => denoTcpTransport("127.0.0.1", 1, { deno: Deno });\n',
      );
      const run = await runProc(DENO, ['check', '--quiet', file], {
        cwd: REPO,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      expect(run.code, run.output).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );
});

describe.skipIf(!HAVE_DENO || !(await opensslPresent()))('Deno example → openssl s_server', () => {
  it(
    'resumes on the second run; OpenSSL reports New, then Reused',
    async () => {
      const { startOpensslServer } = await import('../interop/peers/openssl.ts');
      const { certFiles, ROOT } = await import('../interop/peers/pki.ts');
      const server = await startOpensslServer({ cert: certFiles('p384'), www: true });
      const dir = kvDir();
      const first = await runExample(server.port, dir, ROOT);
      expect(first.code, first.output).toBe(0);
      expect(first.stdout).toMatch(/^Status: 200 ok\nProtocol: TLSv1\.3\nResumed: no\n/);
      expect(first.stdout).toContain('New, TLSv1.3');
      const second = await runExample(server.port, dir, ROOT);
      expect(second.code, second.output).toBe(0);
      expect(second.stdout).toContain('Resumed: yes');
      expect(second.stdout).toContain('Reused, TLSv1.3');
    },
    3 * RUN_TIMEOUT_MS,
  );
});

/** openssl on PATH (required under CI), checked only under Node. */
async function opensslPresent(): Promise<boolean> {
  if (UNDER_DENO) return false;
  const { requirePeer } = await import('../interop/peers/require.ts');
  return requirePeer('openssl');
}
