/**
 * Child processes for interop tests: output captured, waits bounded in time, and every process
 * (with its process group) killed by `killAllPeers()` in afterAll.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const DEFAULT_WAIT_MS = 20_000;

/** A running peer process. */
export class Proc {
  readonly child: ChildProcess;
  readonly name: string;
  /** Resolves when the process exited; never rejects. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  #stdout = '';
  #stderr = '';
  #listeners = new Set<() => void>();
  #exitCode: { code: number | null; signal: string | null } | undefined;

  constructor(command: string, args: readonly string[], options: { cwd?: string } = {}) {
    this.name = `${command} ${args.join(' ')}`;
    this.child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.#stdout += chunk.toString('latin1');
      this.#notify();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('latin1');
      this.#notify();
    });
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.#stderr += `spawn error: ${error.message}\n`;
        this.#exitCode = { code: -1, signal: null };
        this.#notify();
        resolve(this.#exitCode);
      });
      this.child.once('close', (code, signal) => {
        this.#exitCode = { code, signal };
        this.#notify();
        resolve(this.#exitCode);
      });
    });
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Both outputs, for failure messages. */
  get output(): string {
    return `--- ${this.name}\n--- stdout:\n${this.#stdout}\n--- stderr:\n${this.#stderr}`;
  }

  /** Writes to the process's stdin. */
  write(data: string | Uint8Array): void {
    this.child.stdin!.write(data);
  }

  /** Closes the process's stdin (EOF). */
  endStdin(): void {
    this.child.stdin!.end();
  }

  /**
   * Resolves with the first match of `pattern` in stdout, stderr or both (default both);
   * rejects (with all output) after `timeoutMs` or when the process exits without a match.
   */
  waitFor(
    pattern: RegExp,
    options: { stream?: 'stdout' | 'stderr' | 'any'; timeoutMs?: number } = {},
  ): Promise<RegExpMatchArray> {
    const stream = options.stream ?? 'any';
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const text = () =>
      stream === 'stdout'
        ? this.#stdout
        : stream === 'stderr'
          ? this.#stderr
          : this.#stdout + this.#stderr;
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text());
        if (match) {
          done();
          resolve(match);
        } else if (this.#exitCode) {
          done();
          reject(new Error(`process exited before ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${this.output}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for exit; kills the process and rejects after `timeoutMs`. */
  async waitExit(
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<{ code: number | null; signal: string | null }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill();
      throw new Error(`did not exit within ${timeoutMs} ms:\n${this.output}`);
    }
    return result;
  }

  /** Kills the process group (SIGKILL). */
  kill(): void {
    if (this.#exitCode || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

const running = new Set<Proc>();

/** Starts a peer process. */
export function startProc(
  command: string,
  args: readonly string[],
  options?: { cwd?: string },
): Proc {
  return new Proc(command, args, options);
}

/**
 * Runs a process to completion: writes `input` (if any) and closes stdin, then waits at most
 * `timeoutMs` for exit.
 */
export async function runProc(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; output: string }> {
  const proc = startProc(command, args, { cwd: options.cwd });
  if (options.input !== undefined) proc.write(options.input);
  proc.endStdin();
  const { code } = await proc.waitExit(options.timeoutMs ?? DEFAULT_WAIT_MS);
  return { code, stdout: proc.stdout, stderr: proc.stderr, output: proc.output };
}

/** Kills every process still running and waits (bounded) for them to go. For afterAll. */
export async function killAllPeers(): Promise<void> {
  const procs = [...running];
  for (const proc of procs) proc.kill();
  await Promise.race([
    Promise.all(procs.map((p) => p.exited)),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ]);
}
