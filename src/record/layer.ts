import type { AeadAlgorithm, AeadKey } from '../crypto/provider.ts';
import { InsufficientSpaceError, TlsError } from '../error.ts';
import { ContentType } from '../msgs/enums.ts';
import { type FramedRecord, MAX_PLAINTEXT, parseRecord, RECORD_HEADER } from './deframer.ts';
import {
  RecordOpener,
  type RecordProtect,
  RecordSealer,
  type RecordUnprotect,
} from './protection.ts';

/** A record as the connection sees it: after decryption, with its real content type. */
export interface InboundRecord {
  type: number;
  /** A view into the input buffer: protected records are decrypted where they arrived. */
  content: Uint8Array;
  /** Whether it arrived protected. */
  protected: boolean;
  /** Offset in the input buffer just past this record. */
  end: number;
}

/** A record waiting to be sealed into the caller's buffer, with the key it goes out under. */
interface QueuedRecord {
  type: number;
  content: Uint8Array;
  sealer: RecordProtect | undefined;
  /** Its size once sealed, fixed when queued (padding may depend on limits set later). */
  length: number;
}

/** A record being opened, with the plaintext size RFC 8449 counts (-1: not protected). */
interface PendingOpen {
  raw: FramedRecord;
  result: Promise<InboundRecord>;
  inner: number;
}

/** Records opened ahead of the one being handled, at most this many at a time. */
const OPEN_AHEAD = 32;
const EMPTY = new Uint8Array(0);

/**
 * The record layer, working on buffers its caller owns.
 *
 * Inbound, between `beginInput(buf)` and `endInput()`, `next()` finds records in `buf` and
 * decrypts protected ones in place: the content it returns lies inside `buf`. Several complete
 * records are opened at once and handed out in order; when a key changes mid-batch, the rest of
 * the batch is opened again under the new key. `endInput()` waits for every open it started, so
 * nothing writes into `buf` after it returns.
 *
 * Outbound, records are queued in order with the key current when they were queued, and sealed
 * straight into a buffer the caller provides (`encode`). Operations that produce bytes run one
 * at a time, in call order, so their output is in sequence-number order.
 */
export class RecordLayer {
  private opener: RecordUnprotect | undefined;
  private sealer: RecordProtect | undefined;
  private input: Uint8Array = EMPTY;
  private cursor = 0;
  /** Decrypted content may stay where the AEAD put it, outside the input buffer. */
  private detachedOk = false;
  private pendingOpen: PendingOpen[] = [];
  private inFlight: Promise<unknown>[] = [];
  private queued: QueuedRecord[] = [];
  private queuedBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Plaintext bytes of undecryptable early data still to be skipped (0: none). */
  private skipBudget = 0;
  /** Content bytes per protected record sent (RFC 8449: the peer's record_size_limit). */
  private writeFragment = MAX_PLAINTEXT;
  /** Largest protected record plaintext accepted (RFC 8449: our own record_size_limit). */
  private readLimit = Number.POSITIVE_INFINITY;
  /** The RFC 8449 plaintext size of the protected record handed out last. */
  private lastInner = 0;
  /** TLS 1.3 record padding block for new write keys (0: none). */
  private padBlock = 0;

  get hasReadKey(): boolean {
    return this.opener !== undefined;
  }

  get hasWriteKey(): boolean {
    return this.sealer !== undefined;
  }

  // ---- inbound ----

  /**
   * Starts reading records from the front of `buf`. With `detachedOk`, decrypted content that an
   * AEAD returned in a buffer of its own is handed out there instead of being copied back into
   * `buf` (the buffered API copies data out of `buf` anyway, so that copy would be wasted).
   */
  beginInput(buf: Uint8Array, detachedOk = false): void {
    this.input = buf;
    this.cursor = 0;
    this.detachedOk = detachedOk;
    this.pendingOpen = [];
    this.inFlight = [];
  }

  /** Ends the pass over the buffer: waits for every decryption started in it. */
  async endInput(): Promise<void> {
    const running = this.inFlight;
    this.pendingOpen = [];
    this.inFlight = [];
    this.input = EMPTY;
    await Promise.allSettled(running);
  }

  /** Bytes of the buffer not yet formed into records handed out. */
  get unreadBytes(): number {
    return this.input.length - this.cursor;
  }

  /**
   * The next inbound record, or undefined when the buffer holds no further complete record.
   * Protected records are opened here; several ready records are opened at once.
   */
  async next(): Promise<InboundRecord | undefined> {
    while (this.skipBudget > 0 && this.pendingOpen.length === 0) {
      const skipped = await this.nextSkipping();
      if (skipped !== 'skipped') return skipped;
    }
    if (this.pendingOpen.length === 0) this.startOpens();
    const first = this.pendingOpen.shift();
    if (first) {
      const record = await first.result;
      if (record.protected) {
        this.checkInner(first.inner);
        if (!this.detachedOk) record.content = inPlace(record.content, first.raw);
      }
      return record;
    }
    const raw = this.frame();
    if (!raw) return undefined;
    return { type: raw.type, content: raw.fragment, protected: false, end: raw.end };
  }

  /** The next complete record in the buffer, moving past it. */
  private frame(): FramedRecord | undefined {
    const raw = parseRecord(this.input, this.cursor);
    if (raw) this.cursor = raw.end;
    return raw;
  }

  /**
   * One record while rejected early data is being skipped: records are tried one at a time, so
   * a record that does not open leaves the sequence number where it was.
   */
  private async nextSkipping(): Promise<InboundRecord | undefined | 'skipped'> {
    const raw = this.frame();
    if (!raw) return undefined;
    if (raw.type !== ContentType.application_data) {
      return { type: raw.type, content: raw.fragment, protected: false, end: raw.end };
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
    if (this.opener) this.checkInner(raw.fragment.length - this.opener.overhead);
    const content = this.detachedOk ? opened.content : inPlace(opened.content, raw);
    return { type: opened.type, content, protected: true, end: raw.end };
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

  private spendSkipBudget(raw: FramedRecord): void {
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
    while (this.pendingOpen.length < OPEN_AHEAD) {
      const raw = this.frame();
      if (!raw) return;
      // Only application_data records are protected in TLS 1.3 (RFC 8446 §5.2); in TLS 1.2 all
      // but ChangeCipherSpec are. A batch stops at anything else, so plaintext records keep
      // their place in the stream.
      if (!opener.covers(raw.type)) {
        const plain = { type: raw.type, content: raw.fragment, protected: false, end: raw.end };
        this.pendingOpen.push({ raw, result: Promise.resolve(plain), inner: -1 });
        return;
      }
      this.pendingOpen.push(this.open(opener, raw));
    }
  }

  private open(opener: RecordUnprotect, raw: FramedRecord): PendingOpen {
    const result = opener
      .open(raw.header, raw.fragment)
      .then((r): InboundRecord => ({ ...r, protected: true, end: raw.end }));
    result.catch(() => {}); // Observed by next(); also silences a dropped speculative open.
    this.inFlight.push(result);
    return { raw, result, inner: raw.fragment.length - opener.overhead };
  }

  /**
   * RFC 8449 §4: "A TLS endpoint that receives a record larger than its advertised limit MUST
   * generate a fatal "record_overflow" alert." Checked as each protected record is handed out,
   * so a limit set while handling one record holds for every record after it.
   */
  private checkInner(inner: number): void {
    this.lastInner = inner;
    if (inner > this.readLimit) {
      throw new TlsError('RECORD_OVERFLOW', `tls: record of ${inner} bytes over our limit`, {
        layer: 'record',
      });
    }
  }

  /**
   * Holds protected records received from now on to `limit` bytes of plaintext as RFC 8449 §4
   * counts them (undefined: the protocol's own bound only). With `includingLast`, the record
   * handed out last is held to it too: a TLS 1.3 client learns that the limit was negotiated
   * from the EncryptedExtensions, inside a record the limit already covered.
   */
  setReadLimit(limit: number | undefined, includingLast = false): void {
    this.readLimit = limit ?? Number.POSITIVE_INFINITY;
    if (includingLast) this.checkInner(this.lastInner);
  }

  /**
   * Cuts protected records sent from now on to `bytes` of content each (RFC 8449 §4: the peer's
   * limit, less TLS 1.3's content-type byte). Records sent in the clear keep 2^14.
   */
  setWriteFragmentLimit(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_PLAINTEXT) {
      throw new RangeError(`tls: record fragment limit ${bytes}`);
    }
    this.writeFragment = bytes;
    // Padding counts toward the limit too (RFC 8449 §4: the whole TLSInnerPlaintext).
    if (this.sealer instanceof RecordSealer) this.sealer.limitInner(bytes + 1);
  }

  /** Content bytes per record under the current write key. */
  get maxFragment(): number {
    return this.sealer ? this.writeFragment : MAX_PLAINTEXT;
  }

  /** Installs a read key. Records already being opened under the old key are reopened. */
  setReadKey(aead: AeadKey, iv: Uint8Array): void {
    this.setReadProtection(new RecordOpener(aead, iv));
  }

  /** Installs a read key of either version (see `setReadKey`). */
  setReadProtection(opener: RecordUnprotect): void {
    this.opener = opener;
    // An open under the old key fails without touching the buffer (AeadKey.openInPlace), so
    // the same bytes can be opened again under the new one.
    this.pendingOpen = this.pendingOpen.map((p) =>
      opener.covers(p.raw.type) ? this.open(opener, p.raw) : p,
    );
  }

  // ---- outbound ----

  /** Installs a TLS 1.3 write key, for every record queued or written from now on. */
  setWriteKey(aead: AeadKey, iv: Uint8Array, algorithm?: AeadAlgorithm): void {
    const sealer = new RecordSealer(aead, iv, algorithm, this.padBlock);
    sealer.limitInner(this.writeFragment + 1);
    this.setWriteProtection(sealer);
  }

  /** Installs a write key of either version (undefined: send in the clear from here on). */
  setWriteProtection(sealer: RecordProtect | undefined): void {
    this.sealer = sealer;
  }

  /**
   * TLS 1.3 records sealed under keys installed from now on are padded to a multiple of
   * `block` bytes of TLSInnerPlaintext (RFC 8446 §5.4; 0: no padding).
   */
  padRecords(block: number): void {
    this.padBlock = block;
  }

  /**
   * Queues `data` as records of `type`, under the current write key. The data is copied.
   *
   * A handshake message joins the handshake record queued just before it when both go out under
   * the same key and fit in one record (RFC 8446 §5.1 lets messages share a record, never across
   * a key change): a TLS 1.3 server's EncryptedExtensions to Finished is one record to seal, not
   * four, and the peer has one to open.
   */
  queue(type: number, data: Uint8Array): void {
    const last = this.queued[this.queued.length - 1];
    if (
      type === ContentType.handshake &&
      last?.type === ContentType.handshake &&
      last.sealer === this.sealer &&
      last.content.length + data.length <= this.maxFragment
    ) {
      const joined = new Uint8Array(last.content.length + data.length);
      joined.set(last.content);
      joined.set(data, last.content.length);
      this.queuedBytes -= last.length;
      last.content = joined;
      last.length = recordLength(last.sealer, joined.length);
      this.queuedBytes += last.length;
      return;
    }
    const copy = data.slice();
    const max = this.maxFragment;
    let at = 0;
    do {
      this.push(type, copy.subarray(at, at + max), this.sealer);
      at += max;
    } while (at < copy.length);
  }

  /** Queues a record sent in the clear whatever the keys (the compatibility-mode CCS). */
  queuePlain(type: number, data: Uint8Array): void {
    this.push(type, data.slice(), undefined);
  }

  private push(type: number, content: Uint8Array, sealer: RecordProtect | undefined): void {
    const length = recordLength(sealer, content.length);
    this.queued.push({ type, content, sealer, length });
    this.queuedBytes += length;
  }

  /** Bytes the queued records take once sealed. */
  get pendingLength(): number {
    return this.queuedBytes;
  }

  /** The sealed size of `length` bytes of `type` under the current write key. */
  sealedLength(length: number): number {
    const max = this.maxFragment;
    let total = 0;
    for (let at = 0; at < length; at += max) {
      total += recordLength(this.sealer, Math.min(max, length - at));
    }
    return total;
  }

  /**
   * Runs `op` after every output operation started before it: the one way to produce bytes,
   * so bytes come out in the order sequence numbers were taken.
   */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op);
    this.chain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Seals every queued record into `out` (use within `exclusive`). Returns bytes written. */
  async encodeQueued(out: Uint8Array): Promise<number> {
    if (out.length < this.queuedBytes) throw new InsufficientSpaceError(this.queuedBytes);
    const records = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    const seals: Promise<void>[] = [];
    let at = 0;
    for (const r of records) {
      const dest = out.subarray(at, at + r.length);
      if (r.sealer) seals.push(r.sealer.sealInto(r.type, r.content, dest));
      else writePlain(r.type, r.content, dest);
      at += r.length;
    }
    await Promise.all(seals);
    return at;
  }

  /**
   * Seals `data` as records of `type` under the current write key into `out`, which must hold
   * `sealedLength(data.length)` bytes (use within `exclusive`, after `encodeQueued`). The
   * sequence numbers are taken before this returns; the promise settles when all are sealed.
   */
  sealInto(
    type: number,
    data: Uint8Array,
    out: Uint8Array,
  ): { written: number; done: Promise<void> } {
    const sealer = this.sealer;
    const max = this.maxFragment;
    const seals: Promise<void>[] = [];
    let at = 0;
    for (let from = 0; from < data.length; from += max) {
      const piece = data.subarray(from, from + max);
      const length = recordLength(sealer, piece.length);
      const dest = out.subarray(at, at + length);
      if (sealer) seals.push(sealer.sealInto(type, piece, dest));
      else writePlain(type, piece, dest);
      at += length;
    }
    return { written: at, done: Promise.all(seals).then(() => {}) };
  }

  /** Seals every queued record into `out`, in order with other output. */
  encode(out: Uint8Array): Promise<number> {
    return this.exclusive(() => this.encodeQueued(out));
  }

  /** Records sealed under the current write key (for usage limits). */
  get writeCount(): bigint {
    return this.sealer?.count ?? 0n;
  }

  /** The current write key's AEAD, when known (for usage limits). */
  get writeAlgorithm(): AeadAlgorithm | undefined {
    return this.sealer?.algorithm;
  }

  /** The size of one record of `length` content bytes under the current write key. */
  recordLength(length: number): number {
    return recordLength(this.sealer, length);
  }
}

/** A TLS 1.3 record's AEAD tag and inner content type: not plaintext of the early data. */
const SKIPPED_OVERHEAD = 17;

function recordLength(sealer: RecordProtect | undefined, length: number): number {
  return sealer ? sealer.sealedLength(length) : RECORD_HEADER + length;
}

/** Places decrypted content inside its record's fragment, unless the AEAD already did. */
function inPlace(content: Uint8Array, raw: FramedRecord): Uint8Array {
  const f = raw.fragment;
  if (content.buffer === f.buffer && content.byteOffset >= f.byteOffset) return content;
  f.set(content);
  return f.subarray(0, content.length);
}

function writePlain(type: number, data: Uint8Array, out: Uint8Array): void {
  out[0] = type;
  out[1] = 0x03;
  // RFC 8446 §5.1: legacy_record_version 0x0303, except 0x0301 is allowed for an initial
  // ClientHello; 0x0303 everywhere is accepted by every peer we test against.
  out[2] = 0x03;
  out[3] = data.length >>> 8;
  out[4] = data.length & 0xff;
  out.set(data, RECORD_HEADER);
}
