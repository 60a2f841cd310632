/**
 * The Node relay's command line (`npx tsx workers/relay/node.ts`): it prints a `listening`
 * JSON line, relays to what --allow lists, refuses the rest, and stops on SIGTERM.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RelayLogRecord } from '../../workers/relay/log.ts';
import { REPO } from '../interop/peers/pki.ts';
import { killAllPeers, startProc } from '../interop/peers/proc.ts';

/** tsx itself, not npx: npx does not pass SIGTERM on to the program it runs. */
/**
 * Node with tsx as a loader, one process: the tsx CLI runs the script in a child process and
 * relays signals to it, and under load the SIGTERM could end the wrapper (exit 143) instead.
 */
const NODE_TSX = [process.execPath, '--import', 'tsx'] as const;
const echoServers: Server[] = [];
afterAll(async () => {
  for (const server of echoServers) server.close();
  await killAllPeers();
});

function close(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', resolve));
}

describe('Node relay command line', () => {
  it('logs JSON lines, relays an allowed destination, refuses others, stops on SIGTERM', async () => {
    const echo = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    echoServers.push(echo);
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;

    const proc = startProc(
      NODE_TSX[0],
      [
        ...NODE_TSX.slice(1),
        'workers/relay/node.ts',
        '--listen',
        '127.0.0.1:0',
        '--allow',
        `127.0.0.1:${port}`,
        '--idle-timeout-ms',
        '5000',
      ],
      { cwd: REPO },
    );
    const match = await proc.waitFor(/^\{.*"event":"listening".*$/m, {
      stream: 'stdout',
      timeoutMs: 20_000,
    });
    const listening = JSON.parse(match[0]) as RelayLogRecord;
    expect(listening.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/relay$/);

    const good = new WebSocket(`${listening.url}?host=127.0.0.1&port=${port}`);
    await new Promise((resolve) => good.once('open', resolve));
    good.send(new TextEncoder().encode('hello'));
    const echoed = await new Promise<Buffer>((resolve) => good.once('message', resolve));
    expect(echoed.toString()).toBe('hello');
    good.close(1000);
    await close(good);

    const bad = new WebSocket(`${listening.url}?host=127.0.0.1&port=${port + 1}`);
    bad.on('error', () => undefined);
    expect(await close(bad)).toBe(1008);

    await proc.waitFor(/"event":"refused"/, { stream: 'stdout' });
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    const records = proc.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RelayLogRecord);
    expect(records.map((r) => r.event)).toEqual([
      'listening',
      'open',
      'connected',
      'closed',
      'refused',
    ]);
    expect(proc.stdout).not.toContain('hello');
  });

  it('exits 2 with usage when no --allow is given', async () => {
    const proc = startProc(NODE_TSX[0], [...NODE_TSX.slice(1), 'workers/relay/node.ts'], {
      cwd: REPO,
    });
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    expect(proc.stderr).toContain('give at least one --allow');
  });
});
