import type { Connection, ConnectionInfo } from '../conn/types.ts';
import { TlsError, toTlsError } from '../error.ts';
import { InputBuffer } from '../record/input-buffer.ts';
import { Outbox, transportError, withTimeout } from './outbox.ts';
import { Serial } from './serial.ts';
import type { StreamOptions, TlsStream, Transport } from './types.ts';

const DEFAULT_READABLE_HIGH_WATER_MARK = 64 * 1024;
const DEFAULT_MAX_PENDING_CONTROL_BYTES = 64 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;
/** How long a failed transport write waits for the read loop to report the peer's reason. */
const WRITE_ERROR_GRACE_MS = 100;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
/**
 * Writes smaller than this are coalesced: while one batch is being sealed and sent, the writes
 * that arrive meanwhile wait together and go to the engine as one, so many small writes become
 * few records (as node:tls does with the buffers queued on its socket).
 */
const COALESCE_BELOW = 16 * 1024;
/** Coalesced bytes a writer may run ahead of the engine before its writes wait. */
const MAX_UNSENT = 64 * 1024;

const TRANSFER = { transfer: true } as const;

type ReadableState = 'open' | 'closed' | 'errored' | 'cancelled';

/**
 * Runs a sans-IO connection over a transport and exposes it as a `TlsStream`. The caller hands
 * over both: from here on the stream owns the transport and the engine.
 */
export function openTlsStream(
  conn: Connection,
  transport: Transport,
  options: StreamOptions = {},
): TlsStream {
  return new StreamPump(conn, transport, options);
}

/** A promise with its settle functions, already guarded against going unhandled. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The pump. One loop reads the transport, feeds the engine (`readTls` + `process`), hands what
 * the engine queued to the transport and what it decrypted to `readable`. Writes, KeyUpdate and
 * close_notify go through the same serial queue, so engine calls never interleave.
 *
 * Back-pressure: after the handshake, the loop reads the transport only while `readable` has
 * room and while the engine's unsolicited output is not piling up in front of the transport.
 */
class StreamPump implements TlsStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<ConnectionInfo>;
  readonly closed: Promise<void>;

  readonly #conn: Connection;
  readonly #serial = new Serial();
  readonly #outbox: Outbox;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #highWaterMark: number;
  readonly #maxPendingControl: number;
  readonly #closeTimeoutMs: number;
  readonly #openedSignal = deferred<ConnectionInfo>();
  readonly #closedSignal = deferred<void>();
  /** Settles when the read loop ends, however it ends. */
  #readLoopDone: Promise<void> = Promise.resolve();

  #readController!: ReadableStreamDefaultController<Uint8Array>;
  #writeController!: WritableStreamDefaultController;
  #readableState: ReadableState = 'open';
  /** An error waiting for the app to drain what arrived before it. */
  #pendingReadError: TlsError | undefined;
  #demand: (() => void) | undefined;
  #openedSettled = false;
  /** The last step produced plaintext: the engine may have stopped at its cap with more. */
  #engineMayHoldMore = false;
  #closeNotifySent = false;
  #finished = false;
  #failure: TlsError | undefined;
  /**
   * Plaintext the writable accepted but the engine has not had yet: small writes copied into one
   * growing buffer (a copy each would cost an ArrayBuffer each, and a join at the end).
   */
  readonly #unsent = new InputBuffer();
  /** The loop handing `#unsent` to the engine, while it runs. */
  #handOver: Promise<void> | undefined;
  /** Fails the connection if the handshake is still running when it fires; cleared at the end. */
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(conn: Connection, transport: Transport, options: StreamOptions) {
    this.#conn = conn;
    this.#highWaterMark = options.readableHighWaterMark ?? DEFAULT_READABLE_HIGH_WATER_MARK;
    this.#maxPendingControl = options.maxPendingControlBytes ?? DEFAULT_MAX_PENDING_CONTROL_BYTES;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.opened = this.#openedSignal.promise;
    this.closed = this.#closedSignal.promise;
    this.#outbox = new Outbox(transport.writable, (error) => this.#onTransportWriteError(error));
    this.#reader = transport.readable.getReader();
    this.#reader.closed.catch(() => undefined);

    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#readController = controller;
        },
        pull: () => this.#onPull(),
        cancel: () => {
          this.#readableState = 'cancelled';
          this.#wakeDemand();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: this.#highWaterMark }),
    );
    this.writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.#writeController = controller;
      },
      write: (chunk) => this.#write(chunk),
      close: () => this.#closeWritable(),
      abort: (reason) => this.#abortWritable(reason),
    });

    this.#startHandshakeTimer(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    this.#readLoopDone = this.#run().catch(() => undefined);
  }

  #startHandshakeTimer(ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.#handshakeTimer = setTimeout(() => {
      this.#handshakeTimer = undefined;
      if (this.#conn.handshakeComplete) return;
      const error = new TlsError('TRANSPORT', `tls: handshake not complete after ${ms} ms`, {
        layer: 'transport',
      });
      void this.#fail(error);
    }, ms);
  }

  #clearHandshakeTimer(): void {
    if (this.#handshakeTimer === undefined) return;
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }

  get info(): ConnectionInfo {
    return this.#conn.info;
  }

  async close(): Promise<void> {
    if (!this.#failure && !this.#finished) {
      if (!this.#conn.handshakeComplete) {
        const error = new TlsError('CLOSED', 'tls: closed before the handshake completed', {
          layer: 'app',
        });
        await this.#fail(error);
      } else {
        // Bounded: a transport that stopped taking bytes must not keep close() waiting. Data
        // written before close() goes out before close_notify.
        const notified = this.#drainWrites()
          .then(() => this.#sendCloseNotify())
          .catch(() => undefined);
        await withTimeout(notified, this.#closeTimeoutMs, undefined);
        const error = new TlsError('CLOSED', 'tls: connection closed', { layer: 'app' });
        this.#writeController.error(error);
        await this.#finish();
      }
    }
    await this.closed.catch(() => undefined);
  }

  async keyUpdate(requestPeer = false): Promise<void> {
    await this.opened;
    await this.#drainWrites();
    const sent = await this.#engineCall(() => this.#conn.keyUpdate(requestPeer));
    await sent;
  }

  // ---- The read side: transport → engine → readable. ----

  async #run(): Promise<void> {
    try {
      // 1. Let the engine speak first (the client's ClientHello).
      await this.#step(undefined);

      // 2. Feed it what the transport delivers until the peer or we end the connection.
      while (!this.#done()) {
        await this.#waitForRoom();
        if (this.#done()) return;
        // The engine stops decrypting at its plaintext cap; let it finish what it holds before
        // asking the transport for more, or the last records could wait forever.
        if (this.#engineMayHoldMore) {
          await this.#step(undefined);
          if (this.#conn.peerClosed) {
            await this.#onPeerClosed();
            return;
          }
          continue;
        }
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await this.#reader.read();
        } catch (cause) {
          throw transportError('tls: transport read failed', cause);
        }
        if (this.#done()) return;
        if (result.done) {
          await this.#onTransportEnd();
          return;
        }
        if (result.value.byteLength === 0) continue;
        await this.#step(result.value);
        if (this.#conn.peerClosed) {
          await this.#onPeerClosed();
          return;
        }
      }
    } catch (error) {
      await this.#fail(toTlsError(error));
    }
  }

  /** Feeds one chunk (or nothing) to the engine and moves what it produced along. */
  async #step(data: Uint8Array | undefined): Promise<void> {
    await this.#serial.run(async () => {
      if (this.#failure) throw this.#failure;
      // The transport's chunk is ours (Transport.readable): the engine keeps it, no copy.
      if (data) this.#conn.readTls(data, TRANSFER);
      try {
        await this.#conn.process();
      } finally {
        // Also on failure: the engine queued its alert, and data that arrived before the
        // failing record was authenticated and belongs to the app.
        this.#flushControl();
        this.#deliver();
      }
    });
    if (this.#conn.failed) throw this.#conn.failed;
    if (!this.#openedSettled && this.#conn.handshakeComplete) {
      this.#openedSettled = true;
      this.#clearHandshakeTimer();
      this.#openedSignal.resolve(this.#conn.info);
    }
  }

  /** Hands everything the engine queued on its own to the transport. */
  #flushControl(): void {
    for (let out = this.#conn.takeTls(); out; out = this.#conn.takeTls()) {
      this.#outbox.send(out, true).catch(() => undefined);
    }
  }

  /** Moves decrypted data into `readable` (or drops it when the app cancelled reading). */
  #deliver(): void {
    let delivered = false;
    for (let data = this.#conn.read(); data; data = this.#conn.read()) {
      delivered ||= data.byteLength > 0;
      if (this.#readableState === 'open' && data.byteLength > 0) {
        this.#readController.enqueue(data);
      }
    }
    this.#engineMayHoldMore = delivered;
  }

  /** Waits until `readable` has room and the engine's own output has drained enough. */
  async #waitForRoom(): Promise<void> {
    while (!this.#done()) {
      if (this.#outbox.pendingControl > this.#maxPendingControl) {
        await this.#outbox.drainedTo(this.#maxPendingControl);
        continue;
      }
      // During the handshake the engine must hear the peer whatever the app does.
      const full =
        this.#conn.handshakeComplete &&
        this.#readableState === 'open' &&
        (this.#readController.desiredSize ?? 1) <= 0;
      if (!full) return;
      await new Promise<void>((resolve) => {
        this.#demand = resolve;
      });
    }
  }

  #onPull(): void {
    if (this.#pendingReadError && this.#queueEmpty()) {
      this.#errorReadable(this.#pendingReadError);
    }
    this.#wakeDemand();
  }

  #wakeDemand(): void {
    const wake = this.#demand;
    this.#demand = undefined;
    wake?.();
  }

  #queueEmpty(): boolean {
    return (this.#readController.desiredSize ?? 0) >= this.#highWaterMark;
  }

  /** The peer's close_notify arrived (RFC 8446 §6.1): no more data; our side may still write. */
  async #onPeerClosed(): Promise<void> {
    if (this.#readableState === 'open') {
      this.#readableState = 'closed';
      this.#readController.close();
    }
    if (this.#closeNotifySent) await this.#finish();
  }

  /** The transport ended. Without the peer's close_notify that is a truncation attack or bug. */
  async #onTransportEnd(): Promise<void> {
    if (this.#conn.peerClosed) {
      await this.#onPeerClosed();
      return;
    }
    const message = this.#conn.handshakeComplete
      ? 'tls: transport closed without close_notify (truncated)'
      : 'tls: transport closed during the handshake';
    await this.#fail(new TlsError('TRUNCATED', message, { layer: 'transport' }));
  }

  // ---- The write side: writable → engine → transport. ----

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError('webtls: chunks written to a TLS stream must be Uint8Array');
    }
    await this.opened;
    if (chunk.byteLength === 0) return;
    if (this.#failure) throw this.#failure;
    if (chunk.byteLength >= COALESCE_BELOW && this.#handOver === undefined) {
      // A large write with nothing queued before it: straight to the engine, no copy.
      await this.#send(chunk);
      return;
    }
    // A copy: the write resolves before the engine reads it, and the caller may reuse its buffer.
    this.#unsent.append(chunk);
    this.#handOver ??= this.#handOverLoop();
    if (this.#unsent.length >= MAX_UNSENT) await this.#drainWrites();
  }

  /** Hands `data` to the engine and waits until the transport has taken the records. */
  async #send(data: Uint8Array): Promise<void> {
    const sent = await this.#engineCall(() => this.#conn.write(data));
    try {
      await sent;
    } catch (error) {
      throw await this.#failureAfterWriteError(error);
    }
  }

  /**
   * Hands the coalesced writes to the engine, all that are waiting at once, until none wait. A
   * failure ends the connection (or, for a write the engine refused, the writable), so that the
   * writes that already resolved are not silently lost.
   */
  async #handOverLoop(): Promise<void> {
    try {
      while (this.#unsent.length > 0 && !this.#done()) {
        await this.#send(this.#unsent.take());
      }
    } catch (error) {
      const tlsError = toTlsError(error);
      if (tlsError.layer === 'app' && !this.#conn.failed) this.#writeController.error(tlsError);
      else await this.#fail(tlsError);
    } finally {
      this.#handOver = undefined;
    }
  }

  /** Waits until every coalesced write has gone to the engine; throws if the connection failed. */
  async #drainWrites(): Promise<void> {
    while (this.#handOver) await this.#handOver;
    if (this.#failure) throw this.#failure;
  }

  /**
   * The error a failed transport write reports: the connection's own failure once the read
   * loop has had its short look at what arrived (often the peer's fatal alert), else the write
   * error itself.
   */
  async #failureAfterWriteError(error: unknown): Promise<unknown> {
    await Promise.race([this.#readLoopDone, delay(WRITE_ERROR_GRACE_MS * 2)]);
    return this.#failure ?? error;
  }

  async #closeWritable(): Promise<void> {
    await this.opened;
    await this.#drainWrites();
    await this.#sendCloseNotify();
    if (this.#conn.peerClosed) await this.#finish();
  }

  async #abortWritable(reason: unknown): Promise<void> {
    const cause = reason instanceof Error ? `: ${reason.message}` : '';
    await this.#fail(new TlsError('CLOSED', `tls: writable aborted${cause}`, { layer: 'app' }));
  }

  async #sendCloseNotify(): Promise<void> {
    if (this.#closeNotifySent) return;
    this.#closeNotifySent = true;
    const sent = await this.#engineCall(() => this.#conn.close());
    try {
      await sent;
    } catch (error) {
      // The peer already said goodbye and may have hung up: our reply getting lost is fine.
      if (!this.#conn.peerClosed) throw error;
    }
  }

  /** A transport write failed: the end of the connection, clean if both sides said goodbye. */
  #onTransportWriteError(error: TlsError): void {
    if (this.#closeNotifySent && this.#conn.peerClosed) {
      void this.#finish();
      return;
    }
    // A peer that sends a fatal alert and then resets the connection makes our next write
    // fail, while its alert may already wait in the transport. The read loop gets a short,
    // bounded look first, so the peer's reason is what gets reported, not the reset.
    void Promise.race([this.#readLoopDone, delay(WRITE_ERROR_GRACE_MS)]).then(() =>
      this.#fail(error),
    );
  }

  /**
   * Runs one engine call in the serial queue and hands its output to the transport. Resolves
   * (after the engine, before the transport) with a promise for the transport write, so the
   * queue is never held while the transport applies back-pressure.
   */
  async #engineCall(call: () => Promise<void>): Promise<Promise<void>> {
    try {
      const box = await this.#serial.run(async () => {
        if (this.#failure) throw this.#failure;
        try {
          await call();
        } catch (error) {
          this.#flushControl();
          throw error;
        }
        const out = this.#conn.takeTls();
        return { sent: out ? this.#outbox.send(out, false) : Promise.resolve() };
      });
      return box.sent;
    } catch (error) {
      const tlsError = toTlsError(error);
      // An engine failure ends the connection. A call the engine merely refused as misuse
      // (layer 'app': KeyUpdate on TLS 1.2, a write after close) is reported to the caller
      // and changes nothing else.
      const refused = tlsError.layer === 'app' && !this.#conn.failed;
      if (!refused && tlsError !== this.#failure) await this.#fail(tlsError);
      throw tlsError;
    }
  }

  // ---- Endings. ----

  #done(): boolean {
    return this.#finished || this.#failure !== undefined;
  }

  /** Both sides sent close_notify, or the app closed: release the transport cleanly. */
  async #finish(): Promise<void> {
    if (this.#done()) return;
    this.#finished = true;
    this.#clearHandshakeTimer();
    this.#wakeDemand();
    if (this.#readableState === 'open') {
      this.#readableState = 'closed';
      this.#readController.close();
    }
    await this.#outbox.close(this.#closeTimeoutMs);
    await this.#reader.cancel().catch(() => undefined);
    this.#closedSignal.resolve();
  }

  /**
   * Ends the connection with `error`: the engine's alert (if it queued one) goes out first, then
   * the transport is closed and every stream and promise reports the error.
   */
  async #fail(error: TlsError): Promise<void> {
    if (this.#done()) return;
    this.#failure = error;
    this.#clearHandshakeTimer();
    this.#wakeDemand();

    // 1. Queue the alert the engine left behind, if it left one.
    this.#flushControl();

    // 2. Report the error everywhere. Data that arrived before it is still readable.
    this.#openedSignal.reject(error);
    this.#writeController.error(error);
    if (this.#readableState === 'open') {
      if (this.#queueEmpty()) this.#errorReadable(error);
      else this.#pendingReadError = error;
    }

    // 3. Release the transport, giving the alert a bounded time to get out.
    await this.#outbox.close(this.#closeTimeoutMs);
    await this.#reader.cancel(error).catch(() => undefined);
    this.#closedSignal.reject(error);
  }

  #errorReadable(error: TlsError): void {
    this.#pendingReadError = undefined;
    if (this.#readableState !== 'open') return;
    this.#readableState = 'errored';
    this.#readController.error(error);
  }
}
