/**
 * Small writes gathered into one buffer while an earlier batch is being sealed and sent: one
 * copy and, as the batch grows, a few allocations, where a copy per write and a join at the end
 * would make an ArrayBuffer per write (whose fixed cost dwarfs a small write's bytes).
 */

const EMPTY = new Uint8Array(0);
/** The first buffer's size: a handful of small writes fit without growing. */
const INITIAL = 8 * 1024;

export class WriteBatch {
  #buf: Uint8Array = EMPTY;
  #length = 0;

  /** Bytes gathered. */
  get length(): number {
    return this.#length;
  }

  /** Copies `chunk` in after the bytes gathered (the caller may reuse `chunk` at once). */
  add(chunk: Uint8Array): void {
    const need = this.#length + chunk.byteLength;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#buf.length, INITIAL));
      grown.set(this.#buf.subarray(0, this.#length));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#length);
    this.#length = need;
  }

  /** The bytes gathered, now the caller's; the next `add` starts a new batch. */
  take(): Uint8Array {
    const out = this.#buf.subarray(0, this.#length);
    this.#buf = EMPTY;
    this.#length = 0;
    return out;
  }
}
