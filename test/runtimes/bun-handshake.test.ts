/**
 * Bun's own TCP under webtls: tcp-handshake.check.ts runs in a Bun process (node_modules/.bin/bun,
 * from the bun devDependency) and does a TLS 1.3 handshake through `tcpTransport` (node:net, as
 * Bun implements it) with a real `openssl s_server -rev` on 127.0.0.1, then exchanges a line.
 * The same script also runs under Node (tsx), for comparison. Node only: it spawns processes.
 * A missing Bun (or openssl) fails under CI and skips with a warning otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpensslServer, startOpensslServer } from '../interop/peers/openssl.ts';
import { certFiles, REPO, ROOT } from '../interop/peers/pki.ts';
import { killAllPeers, runProc } from '../interop/peers/proc.ts';
import { requirePeer } from '../interop/peers/require.ts';

const BUN = join(REPO, 'node_modules/.bin/bun');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const SCRIPT = join(REPO, 'test/runtimes/tcp-handshake.check.ts');

/** Whether Bun is installed: throws under CI when it is not, warns and returns false otherwise. */
function requireBun(): boolean {
  if (existsSync(BUN)) return true;
  const message = `${BUN} not found (the bun npm package is a devDependency)`;
  if (process.env.CI) throw new Error(`${message}; CI requires it`);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

const HAVE = requirePeer('openssl') && requireBun();

/** The JSON line tcp-handshake.check.ts prints. */
interface Result {
  runtime: string;
  protocol: string;
  cipherSuite: string;
  group: string;
  verification: string;
  sent: string;
  received: string;
}

describe.skipIf(!HAVE)('webtls over node:net → openssl s_server -rev', () => {
  let server: OpensslServer;
  beforeAll(async () => {
    server = await startOpensslServer({ cert: certFiles('p256'), extra: ['-rev'] });
  });
  afterAll(killAllPeers);

  /** Runs the check under `command` and returns its JSON line. */
  async function check(command: string, args: string[]): Promise<Result> {
    const run = await runProc(command, [...args, SCRIPT, String(server.port), ROOT], {
      cwd: REPO,
      timeoutMs: 30_000,
    });
    expect(run.code, run.output).toBe(0);
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    return JSON.parse(line) as Result;
  }

  function expectExchange(result: Result, runtime: RegExp): void {
    expect(result.runtime).toMatch(runtime);
    expect(result.protocol).toBe('TLSv1.3');
    expect(result.verification).toBe('OK');
    expect(result.cipherSuite).toMatch(/^TLS_/);
    expect(result.group).toBeTruthy();
    expect(result.sent).toContain(result.runtime);
    expect(result.received).toBe([...result.sent].reverse().join(''));
  }

  it('under Bun: handshakes, verifies the chain and exchanges a line', async () => {
    const result = await check(BUN, ['run']);
    expectExchange(result, /^bun \d+\.\d+/);
  }, 40_000);

  it('under Node: the same script, for comparison', async () => {
    const result = await check(TSX, []);
    expectExchange(result, /^node v\d+/);
  }, 40_000);
});
