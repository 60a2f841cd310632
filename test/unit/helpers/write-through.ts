/**
 * A minimal caller of the write-through API: fixed buffers it owns (an input buffer it compacts
 * itself, one output buffer it reuses), the way an embedded or zero-copy user would drive it.
 */
import type { ConnectionCore } from '../../../src/conn/core.ts';
import type { ProcessStatus } from '../../../src/conn/types.ts';
import { InsufficientSpaceError } from '../../../src/error.ts';

export class WriteThroughEndpoint {
  /** Received bytes: [0, held) are unprocessed. */
  readonly inbox: Uint8Array;
  held = 0;
  /** One output buffer, reused for every encode and encrypt. */
  private outbox: Uint8Array;
  /** Application data received (copied out of the inbox before it is discarded). */
  readonly received: Uint8Array[] = [];
  readonly statuses: ProcessStatus['kind'][] = [];
  /** How many data views lay inside the inbox (all of them, if the API keeps its word). */
  viewsInInbox = 0;
  viewsElsewhere = 0;
  /** When set, data is handed here (a view, valid during the call) instead of being kept. */
  sink: ((data: Uint8Array) => void) | undefined;

  constructor(
    readonly conn: ConnectionCore,
    capacity = 64 * 1024,
    outCapacity = 40 * 1024,
  ) {
    this.inbox = new Uint8Array(capacity);
    this.outbox = new Uint8Array(outCapacity);
  }

  /** Bytes the inbox can still take. */
  get room(): number {
    return this.inbox.length - this.held;
  }

  /** Appends bytes from the peer. */
  deliver(bytes: Uint8Array): void {
    if (this.held + bytes.length > this.inbox.length) throw new Error('inbox full');
    this.inbox.set(bytes, this.held);
    this.held += bytes.length;
  }

  /**
   * Runs the connection until it waits for the peer; returns the TLS bytes to send (copied out
   * of the reused output buffer).
   */
  async drive(): Promise<Uint8Array[]> {
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) {
      const status = await this.conn.processTlsRecords(this.inbox.subarray(0, this.held));
      this.statuses.push(status.kind);
      if (status.kind === 'read-traffic') {
        for (const d of status.data) {
          if (d.buffer === this.inbox.buffer) this.viewsInInbox++;
          else this.viewsElsewhere++;
          if (this.sink) this.sink(d);
          else this.received.push(d.slice());
        }
      }
      this.discard(status.discard);
      if (status.kind === 'encode-tls-data') {
        sent.push(await this.encode());
        continue;
      }
      if (status.kind !== 'read-traffic') return sent;
    }
    throw new Error('no progress in 1000 steps');
  }

  /** Encodes what the connection queued (growing the output buffer if it must). */
  async encode(): Promise<Uint8Array> {
    const n = await this.sized(() => this.conn.encodeTls(this.outbox));
    return this.outbox.slice(0, n);
  }

  /** Encrypts `plain` into the output buffer; returns a view of the records, valid until the
   * next call. */
  async encryptView(plain: Uint8Array): Promise<Uint8Array> {
    const n = await this.sized(async () => (await this.conn.encrypt(plain, this.outbox)).written);
    return this.outbox.subarray(0, n);
  }

  /** Encrypts `plain` into the output buffer; returns the record bytes (copied). */
  async encrypt(plain: Uint8Array): Promise<Uint8Array> {
    const n = await this.sized(async () => (await this.conn.encrypt(plain, this.outbox)).written);
    return this.outbox.slice(0, n);
  }

  private async sized(call: () => Promise<number>): Promise<number> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof InsufficientSpaceError)) throw error;
      this.outbox = new Uint8Array(error.required);
      return call();
    }
  }

  private discard(n: number): void {
    this.inbox.copyWithin(0, n, this.held);
    this.held -= n;
  }
}

/** Runs both until neither has anything to send (bounded). */
export async function pumpWriteThrough(
  a: WriteThroughEndpoint,
  b: WriteThroughEndpoint,
): Promise<void> {
  let fromA = await a.drive();
  for (let round = 0; round < 50; round++) {
    for (const bytes of fromA) b.deliver(bytes);
    const fromB = await b.drive();
    if (fromA.length === 0 && fromB.length === 0) return;
    for (const bytes of fromB) a.deliver(bytes);
    fromA = await a.drive();
    if (fromA.length === 0 && fromB.length === 0) return;
  }
  throw new Error('handshake did not settle in 50 rounds');
}
