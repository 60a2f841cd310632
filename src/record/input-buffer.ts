/**
 * A growable, contiguous buffer of bytes: appended at the back, discarded from the front. It is
 * what a caller of the write-through API keeps for itself, what the buffered connection keeps
 * on the caller's behalf, and where the streams layer gathers small writes (`take`).
 */
const EMPTY = new Uint8Array(0);

export class InputBuffer {
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;

  /** Bytes held. */
  get length(): number {
    return this.end - this.start;
  }

  /** The bytes held, as a view valid until the next `append` or `discard`. */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** Copies `data` in after the bytes held. */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.end + data.length > this.buf.length) this.makeRoom(data.length);
    this.buf.set(data, this.end);
    this.end += data.length;
  }

  /**
   * Takes `data` over: when nothing is held it becomes the storage itself (no copy, and the
   * caller must not touch it again); otherwise it is appended like `append` does.
   */
  adopt(data: Uint8Array): void {
    if (this.length > 0 || data.length === 0) {
      this.append(data);
      return;
    }
    this.buf = data;
    this.start = 0;
    this.end = data.length;
  }

  /**
   * Removes every byte held and returns them, now the caller's: the storage is let go, so
   * nothing is written into them afterwards.
   */
  take(): Uint8Array {
    const bytes = this.view();
    this.discard(bytes.length);
    return bytes;
  }

  /**
   * Drops `n` bytes from the front. Once nothing is held the storage is let go, so an idle
   * connection keeps no input buffer (the next `append` copies into a fresh one; it copies
   * either way).
   */
  discard(n: number): void {
    if (n < 0 || n > this.length) throw new RangeError(`discard ${n} of ${this.length} bytes`);
    this.start += n;
    if (this.start === this.end) {
      this.buf = EMPTY;
      this.start = 0;
      this.end = 0;
    }
  }

  /** Moves the held bytes to the front, growing the buffer only when they do not fit. */
  private makeRoom(extra: number): void {
    const held = this.length;
    const need = held + extra;
    if (need <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2, 4096));
      grown.set(this.buf.subarray(this.start, this.end));
      this.buf = grown;
    }
    this.start = 0;
    this.end = held;
  }
}
