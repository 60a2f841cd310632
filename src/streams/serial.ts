/**
 * Runs async tasks one at a time, in the order they were queued. The sans-IO engine is a state
 * machine whose `process`, `write`, `keyUpdate` and `close` must never interleave.
 */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Queues `task` after every task queued before it; resolves or rejects with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // The chain itself must survive a failed task; callers see the failure through `result`.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
