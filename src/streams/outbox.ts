import { TlsError } from '../error.ts';

/**
 * The ordered path from the engine to the transport. Bytes are handed to the transport's writer
 * the moment the engine produces them, so wire order is production order; the returned promise
 * settles once the transport took them.
 *
 * Bytes the engine produces on its own (handshake replies, KeyUpdate answers, alerts) are
 * "control" bytes: nobody awaits them, so they are counted, and the reader stops feeding the
 * engine while too many wait. That bounds what a peer that never reads can make us buffer.
 */
export class Outbox {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #onError: (error: TlsError) => void;
  #pendingControl = 0;
  #drainWaiters: (() => void)[] = [];
  #closed = false;

  /** `onError` hears about the first transport write failure (also for unawaited writes). */
  constructor(writable: WritableStream<Uint8Array>, onError: (error: TlsError) => void) {
    this.#writer = writable.getWriter();
    this.#onError = onError;
    // The writer's own `closed` promise rejects when the transport fails; we learn that from
    // the write that failed, so only keep it from going unhandled.
    this.#writer.closed.catch(() => undefined);
  }

  /** Bytes of control output handed to the transport and not yet accepted by it. */
  get pendingControl(): number {
    return this.#pendingControl;
  }

  /** Hands `bytes` to the transport; resolves when it accepted them, rejects with TRANSPORT. */
  send(bytes: Uint8Array, control: boolean): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new TlsError('CLOSED', 'tls: transport already closed', { layer: 'transport' }),
      );
    }
    if (control) this.#pendingControl += bytes.length;
    const written = this.#writer.write(bytes).then(
      () => {
        if (control) this.#settleControl(bytes.length);
      },
      (cause: unknown) => {
        if (control) this.#settleControl(bytes.length);
        const error = transportError('tls: transport write failed', cause);
        this.#onError(error);
        throw error;
      },
    );
    // Control writes are not awaited by anyone; the failure already went to `onError`.
    if (control) written.catch(() => undefined);
    return written;
  }

  /** Resolves once pending control bytes are at most `limit`. */
  async drainedTo(limit: number): Promise<void> {
    while (this.#pendingControl > limit && !this.#closed) {
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
  }

  /**
   * Closes the transport's writable side after everything queued, waiting at most `timeoutMs`;
   * aborts it if that fails or takes too long. Never rejects.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeDrainWaiters();
    const closing = this.#writer.close().then(
      () => true,
      () => false,
    );
    const clean = await withTimeout(closing, timeoutMs, false);
    if (!clean) await this.#writer.abort().catch(() => undefined);
  }

  /** Aborts the transport's writable side at once, dropping anything queued. Never rejects. */
  async abort(reason: unknown): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeDrainWaiters();
    await this.#writer.abort(reason).catch(() => undefined);
  }

  #settleControl(n: number): void {
    this.#pendingControl -= n;
    this.#wakeDrainWaiters();
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** A TRANSPORT TlsError wrapping what the transport threw. */
export function transportError(message: string, cause: unknown): TlsError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new TlsError('TRANSPORT', message + detail, { layer: 'transport', cause });
}

/** Resolves with `promise`'s value, or with `fallback` after `ms` milliseconds. */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
