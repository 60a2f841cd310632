import { InsufficientSpaceError, TlsError } from '../error.ts';
import { InputBuffer } from '../record/input-buffer.ts';
import { concat } from '../util/bytes.ts';
import type { EncryptResult, ProcessStatus } from './types.ts';

/** The write-through engine, as far as the buffered layer uses it: its public API only. */
export interface WriteThroughEngine {
  processTlsRecordsFor(incoming: Uint8Array, detachedOk: boolean): Promise<ProcessStatus>;
  readonly pendingTlsLength: number;
  encodeTls(out: Uint8Array): Promise<number>;
  encryptedLength(length: number): number;
  encrypt(plain: Uint8Array, out: Uint8Array): Promise<EncryptResult>;
  queueClose(): void;
  queueKeyUpdate(requestPeer: boolean): Promise<void>;
  readonly failed: Error | undefined;
}

/**
 * The buffered connection API (`readTls`, `process`, `takeTls`, `read`, `write`) as a thin
 * layer over the write-through engine: it keeps the received bytes, the bytes to send and the
 * decrypted data on the caller's behalf, and does nothing else.
 */
export class BufferedIo {
  private readonly input = new InputBuffer();
  private output: Uint8Array[] = [];
  private plaintext: Uint8Array[] = [];
  private plaintextHeld = 0;
  private processing: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: WriteThroughEngine,
    /** Decrypted data held before processing stops (Limits.maxBufferedPlaintext). */
    private readonly maxPlaintext: number,
  ) {}

  get inputBytes(): number {
    return this.input.length;
  }

  get plaintextBytes(): number {
    return this.plaintextHeld;
  }

  /** Queues bytes received from the transport: copied, or kept as they are with `transfer`. */
  readTls(data: Uint8Array, transfer: boolean): void {
    if (transfer) this.input.adopt(data);
    else this.input.append(data);
  }

  /** Takes every byte queued for the transport, or null. */
  takeTls(): Uint8Array | null {
    if (this.output.length === 0) return null;
    const out = this.output.length === 1 ? this.output[0] : concat(...this.output);
    this.output = [];
    return out;
  }

  /** Takes the decrypted application data received so far, or null. */
  read(): Uint8Array | null {
    if (this.plaintext.length === 0) return null;
    const out = this.plaintext.length === 1 ? this.plaintext[0] : concat(...this.plaintext);
    this.plaintext = [];
    this.plaintextHeld = 0;
    return out;
  }

  /** Runs the received bytes through the engine until it needs more. Calls are serialised. */
  process(): Promise<void> {
    const run = this.processing.then(() => this.processNow());
    this.processing = run.catch(() => {});
    return run;
  }

  private async processNow(): Promise<void> {
    // Bounded: each pass either consumes input, hands out data, or stops.
    for (;;) {
      if (this.plaintextHeld >= this.maxPlaintext) return;
      let status: ProcessStatus;
      const view = this.input.view();
      try {
        status = await this.engine.processTlsRecordsFor(view, true);
      } catch (error) {
        await this.flushQuietly();
        throw error;
      }
      if (status.kind === 'read-traffic') {
        for (const d of status.data) {
          // Data inside the input buffer is copied out before the buffer moves on; data the
          // AEAD decrypted into a buffer of its own is the caller's as it is.
          this.plaintext.push(d.buffer === view.buffer ? d.slice() : d);
          this.plaintextHeld += d.length;
        }
      }
      this.input.discard(status.discard);
      if (status.kind === 'encode-tls-data') await this.flush();
      else if (status.kind !== 'read-traffic') return;
    }
  }

  /** Encrypts application data into records for `takeTls`. */
  async write(data: Uint8Array): Promise<void> {
    if (data.length === 0) {
      if (this.engine.failed) throw this.engine.failed;
      return;
    }
    const result = await this.retrySized(this.engine.encryptedLength(data.length), (out) =>
      this.engine.encrypt(data, out),
    );
    if (result.consumed < data.length) {
      throw new TlsError('CLOSED', 'tls: AEAD usage limit reached; TLS 1.2 closed the connection', {
        layer: 'app',
      });
    }
  }

  /** Sends KeyUpdate (RFC 8446 §4.6.3). */
  async keyUpdate(requestPeer: boolean): Promise<void> {
    await this.engine.queueKeyUpdate(requestPeer);
    await this.flush();
  }

  /** Queues close_notify. Further writes fail. */
  async close(): Promise<void> {
    this.engine.queueClose();
    await this.flush();
  }

  /** Seals what the engine has queued into the output. */
  async flush(): Promise<void> {
    if (this.engine.pendingTlsLength === 0) return;
    await this.retrySized(this.engine.pendingTlsLength, async (out) => ({
      written: await this.engine.encodeTls(out),
    }));
  }

  /** The fatal alert of a failed connection, if it can still be sealed. */
  private async flushQuietly(): Promise<void> {
    try {
      await this.flush();
    } catch {
      // Best effort: the error that ended the connection is what the caller gets.
    }
  }

  /**
   * Runs an engine call that writes into a buffer of `size` bytes; when the engine had queued
   * more by its turn, it says how much it needs and the call runs again with that.
   */
  private async retrySized<T extends { written: number }>(
    size: number,
    call: (out: Uint8Array) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const out = new Uint8Array(size);
      try {
        const result = await call(out);
        if (result.written > 0) this.output.push(out.subarray(0, result.written));
        return result;
      } catch (error) {
        if (!(error instanceof InsufficientSpaceError) || attempt >= 8) throw error;
        size = error.required;
      }
    }
  }
}
