import type { AeadAlgorithm, AeadKey } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { ContentType } from '../msgs/enums.ts';
import { concat } from '../util/bytes.ts';
import { Deframer, MAX_PLAINTEXT, type RawRecord, RECORD_HEADER } from './deframer.ts';
import {
  RecordOpener,
  type RecordProtect,
  RecordSealer,
  type RecordUnprotect,
} from './protection.ts';

/** A record as the connection sees it: after decryption, with its real content type. */
export interface InboundRecord {
  type: number;
  content: Uint8Array;
  /** Whether it arrived protected. */
  protected: boolean;
}

/**
 * The record layer: frames outgoing data into records (sealed once a write key is set) and turns
 * incoming bytes into records (opened once a read key is set).
 *
 * Outgoing records are appended to `output` strictly in call order, even though sealing is
 * async: every operation runs on one chain, and the records within one call are sealed
 * concurrently. Incoming protected records are likewise opened concurrently and handed out in
 * order; when a key changes mid-batch, the rest of the batch is opened again under the new key.
 */
export class RecordLayer {
  private readonly deframer = new Deframer();
  private opener: RecordUnprotect | undefined;
  private sealer: RecordProtect | undefined;
  private output: Uint8Array[] = [];
  private chain: Promise<void> = Promise.resolve();
  private pendingOpen: { raw: RawRecord; result: Promise<InboundRecord> }[] = [];
  /** Plaintext bytes of undecryptable early data still to be skipped (0: none). */
  private skipBudget = 0;

  /** Queues received bytes. */
  receive(data: Uint8Array): void {
    this.deframer.push(data);
  }

  get hasReadKey(): boolean {
    return this.opener !== undefined;
  }

  get hasWriteKey(): boolean {
    return this.sealer !== undefined;
  }

  /** Bytes received but not yet formed into records. */
  get pendingBytes(): number {
    return this.deframer.pending;
  }

  /**
   * The next inbound record, or undefined when more bytes are needed. Protected records are
   * opened here; several ready records are opened at once.
   */
  async next(): Promise<InboundRecord | undefined> {
    while (this.skipBudget > 0 && this.pendingOpen.length === 0) {
      const skipped = await this.nextSkipping();
      if (skipped !== 'skipped') return skipped;
    }
    if (this.pendingOpen.length === 0) this.startOpens();
    const first = this.pendingOpen.shift();
    if (first) return first.result;
    const raw = this.deframer.next();
    if (!raw) return undefined;
    return { type: raw.type, content: raw.fragment, protected: false };
  }

  /**
   * One record while rejected early data is being skipped: records are tried one at a time, so
   * a record that does not open leaves the sequence number where it was.
   */
  private async nextSkipping(): Promise<InboundRecord | undefined | 'skipped'> {
    const raw = this.deframer.next();
    if (!raw) return undefined;
    if (raw.type !== ContentType.application_data) {
      return { type: raw.type, content: raw.fragment, protected: false };
    }
    // No read key yet (after a HelloRetryRequest): the early data is not ours to read.
    const opened = this.opener?.tryOpen
      ? await this.opener.tryOpen(raw.header, raw.fragment)
      : undefined;
    if (!opened) {
      this.spendSkipBudget(raw);
      return 'skipped';
    }
    // RFC 8446 §4.2.10: skipping ends with the first record that deprotects.
    this.skipBudget = 0;
    return { type: opened.type, content: opened.content, protected: true };
  }

  /**
   * RFC 8446 §4.2.10: a server that rejects 0-RTT data skips the client's early records:
   * application_data records that fail to deprotect (or arrive before any read key, after a
   * HelloRetryRequest) are discarded, up to about `bytes` of plaintext, until one deprotects.
   * Past the budget, a record that fails is an error again (bad_record_mac).
   */
  skipUndecryptable(bytes: number): void {
    this.skipBudget = Math.max(0, bytes);
  }

  private spendSkipBudget(raw: RawRecord): void {
    const plaintext = Math.max(0, raw.fragment.length - SKIPPED_OVERHEAD);
    if (plaintext > this.skipBudget) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: more rejected early data than allowed', {
        layer: 'record',
      });
    }
    this.skipBudget -= plaintext;
  }

  /** Starts opening every complete protected record now available (up to a bound). */
  private startOpens(): void {
    const opener = this.opener;
    if (!opener) return;
    while (this.pendingOpen.length < 32) {
      const raw = this.peekProtected(opener);
      if (!raw) return;
      const result = opener
        .open(raw.header, raw.fragment)
        .then((r): InboundRecord => ({ type: r.type, content: r.content, protected: true }));
      result.catch(() => {}); // Observed by next(); also silences a dropped speculative open.
      this.pendingOpen.push({ raw, result });
    }
  }

  /** Takes the next record if it is a protected one; other record types stop the batch. */
  private peekProtected(opener: RecordUnprotect): RawRecord | undefined {
    // Only application_data records are protected in TLS 1.3 (RFC 8446 §5.2); in TLS 1.2 all
    // but ChangeCipherSpec are. A batch stops at anything else, so plaintext records keep their
    // place in the stream.
    const raw = this.deframer.next();
    if (!raw) return undefined;
    if (!opener.covers(raw.type)) {
      this.pendingOpen.push({
        raw,
        result: Promise.resolve({ type: raw.type, content: raw.fragment, protected: false }),
      });
      return undefined;
    }
    return raw;
  }

  /** Installs a read key. Records already being opened under the old key are reopened. */
  setReadKey(aead: AeadKey, iv: Uint8Array): void {
    this.setReadProtection(new RecordOpener(aead, iv));
  }

  /** Installs a read key of either version (see `setReadKey`). */
  setReadProtection(opener: RecordUnprotect): void {
    this.opener = opener;
    const redo = this.pendingOpen;
    this.pendingOpen = [];
    for (const p of redo) {
      if (!opener.covers(p.raw.type)) {
        this.pendingOpen.push(p);
        continue;
      }
      const result = opener
        .open(p.raw.header, p.raw.fragment)
        .then((r): InboundRecord => ({ type: r.type, content: r.content, protected: true }));
      result.catch(() => {});
      this.pendingOpen.push({ raw: p.raw, result });
    }
  }

  /** Runs `op` after every output operation queued before it. */
  private enqueue(op: () => Promise<void> | void): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Installs a write key, in order with the records queued before it. */
  setWriteKey(aead: AeadKey, iv: Uint8Array, algorithm?: AeadAlgorithm): Promise<void> {
    return this.setWriteProtection(new RecordSealer(aead, iv, algorithm));
  }

  /** Installs a write key of either version, in order with the records queued before it. */
  setWriteProtection(sealer: RecordProtect): Promise<void> {
    return this.enqueue(() => {
      this.sealer = sealer;
    });
  }

  /** Sends in the clear from here on (a client's second ClientHello after 0-RTT keys). */
  clearWriteProtection(): Promise<void> {
    return this.enqueue(() => {
      this.sealer = undefined;
    });
  }

  /** Frames `data` as records of `type` (protected once a write key is set), in order. */
  send(type: number, data: Uint8Array): Promise<void> {
    const copy = data.slice();
    return this.enqueue(async () => {
      const pieces: Uint8Array[] = [];
      let at = 0;
      do {
        pieces.push(copy.subarray(at, at + MAX_PLAINTEXT));
        at += MAX_PLAINTEXT;
      } while (at < copy.length);
      const sealer = this.sealer;
      if (!sealer) {
        for (const p of pieces) this.output.push(plainRecord(type, p));
        return;
      }
      const sealed = await Promise.all(pieces.map((p) => sealer.seal(type, p)));
      for (const r of sealed) this.output.push(r);
    });
  }

  /** A record sent in the clear regardless of keys (the compatibility-mode CCS). */
  sendPlain(type: number, data: Uint8Array): Promise<void> {
    return this.enqueue(() => {
      this.output.push(plainRecord(type, data));
    });
  }

  /** Waits for every queued output operation. */
  flush(): Promise<void> {
    return this.enqueue(() => {});
  }

  /** Takes every sealed byte ready for the transport. */
  take(): Uint8Array | null {
    if (this.output.length === 0) return null;
    const out = this.output.length === 1 ? this.output[0] : concat(...this.output);
    this.output = [];
    return out;
  }

  /** Records sealed under the current write key (for usage limits). */
  get writeCount(): bigint {
    return this.sealer?.count ?? 0n;
  }

  /** The current write key's AEAD, when known (for usage limits). */
  get writeAlgorithm(): AeadAlgorithm | undefined {
    return this.sealer?.algorithm;
  }
}

/** A TLS 1.3 record's AEAD tag and inner content type: not plaintext of the early data. */
const SKIPPED_OVERHEAD = 17;

function plainRecord(type: number, data: Uint8Array): Uint8Array {
  const r = new Uint8Array(RECORD_HEADER + data.length);
  r[0] = type;
  r[1] = 0x03;
  // RFC 8446 §5.1: legacy_record_version 0x0303, except 0x0301 is allowed for an initial
  // ClientHello; 0x0303 everywhere is accepted by every peer we test against.
  r[2] = 0x03;
  r[3] = data.length >>> 8;
  r[4] = data.length & 0xff;
  r.set(data, RECORD_HEADER);
  return r;
}
