import type { Limits } from '../config.ts';
import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import type { Tls13Suite } from '../crypto/suites.ts';
import { InsufficientSpaceError, TlsError, toTlsError } from '../error.ts';
import { nextTrafficSecret, trafficKeys } from '../keyschedule/tls13.ts';
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  HandshakeType,
  KeyUpdateRequest,
  nameOf,
} from '../msgs/enums.ts';
import { encodeHandshake, HandshakeJoiner, type HandshakeMessage } from '../msgs/handshake.ts';
import { decodeKeyUpdate, encodeKeyUpdate } from '../msgs/key-update.ts';
import { confidentialityLimit } from '../record/aead-limits.ts';
import { MAX_PLAINTEXT } from '../record/deframer.ts';
import { RecordLayer } from '../record/layer.ts';
import type { RecordProtect, RecordUnprotect } from '../record/protection.ts';
import { toHex } from '../util/bytes.ts';
import { BufferedIo } from './buffered.ts';
import { deriveExport, type ExporterSource } from './exporter.ts';
import type {
  Connection,
  ConnectionInfo,
  EncryptResult,
  ProcessStatus,
  ReadTlsOptions,
  TlsEvent,
} from './types.ts';

/** One step of a handshake: handles the message it expects and returns the next step. */
export interface HandshakeState {
  readonly name: string;
  handle(msg: HandshakeMessage): Promise<HandshakeState>;
  /**
   * TLS 1.2 only: a ChangeCipherSpec arrived (RFC 5246 §7.1). Only the states that expect one
   * define this; in any other state a ChangeCipherSpec is an unexpected_message.
   */
  handleCcs?(): Promise<HandshakeState>;
}

export const defaultLimits: Required<Limits> = {
  maxHandshakeMessage: 64 * 1024,
  maxBufferedPlaintext: 1024 * 1024,
  maxEmptyRecords: 32,
  maxHandshakeBytes: 256 * 1024,
  maxWarningAlerts: 4,
  maxCcsRecords: 4,
  maxPostHandshakeWithoutData: 32,
  maxCertificateChainLength: 10,
  maxCertificateChainBytes: 64 * 1024,
  maxAsn1Depth: 16,
  aeadRecordLimit: Number.POSITIVE_INFINITY,
};

/** What the record layer needs to know of the negotiated suite. */
interface Keying {
  suite: Tls13Suite;
  readSecret?: Uint8Array;
  writeSecret?: Uint8Array;
}

/**
 * The machinery both sides share: records in and out, alerts, the handshake joiner and the
 * current handshake state, application data, KeyUpdate and close_notify. The client and server
 * classes supply the handshake states.
 */
export abstract class ConnectionCore implements Connection {
  abstract readonly isClient: boolean;
  readonly info: ConnectionInfo = {
    helloRetry: false,
    resumed: false,
    earlyData: 'not sent',
    earlyDataBytes: 0,
    ech: 'not offered',
    certCompression: 'none',
    peerCertificates: [],
    verification: 'not verified',
    fips: false,
  };

  protected readonly records = new RecordLayer();
  protected readonly joiner: HandshakeJoiner;
  protected readonly limits: Required<Limits>;
  protected abstract state: HandshakeState;
  /** client_random, for key-log lines. */
  clientRandom: Uint8Array = new Uint8Array(32);
  /** What the keying material exporter derives from; set by the handshake (exporter.ts). */
  exporter: ExporterSource | undefined;

  private keying: Keying | undefined;
  /** The buffered API's buffers, made on its first use (buffered.ts). */
  private io: BufferedIo | undefined;
  /** The write-through API is in use: the buffered one is refused. */
  private unbuffered = false;
  private emptyRun = 0;
  /** Alerts that changed nothing, in a row (Limits.maxWarningAlerts). */
  private warningRun = 0;
  /** TLS 1.3 compatibility CCS records dropped so far (Limits.maxCcsRecords). */
  private ccsDropped = 0;
  /** Handshake bytes received before the handshake completed (Limits.maxHandshakeBytes). */
  private handshakeBytes = 0;
  /** Post-handshake messages since the peer's last application data. */
  private postHandshakeRun = 0;
  private failure: TlsError | undefined;
  private processing: Promise<unknown> = Promise.resolve();
  /** Key updates of the write side, one at a time. */
  private writeKeyChain: Promise<void> = Promise.resolve();
  private sentClose = false;
  private closeReceived = false;
  private established = false;
  private started = false;
  /** A ClientHello has been sent or received (the compatibility CCS is allowed after it). */
  private helloSeen = false;
  /** TLS 1.2 was negotiated: ChangeCipherSpec is a real message, warnings do not end things. */
  private tls12 = false;
  private readonly startedAt = Date.now();
  /** Server: accepting 0-RTT data up to this many bytes, until EndOfEarlyData. */
  private earlyLimit: number | undefined;
  /** Our record_size_limit, once negotiated (RFC 8449); undefined: the protocol's bound. */
  private ownRecordLimit: number | undefined;

  constructor(
    readonly provider: CryptoProvider,
    limits: Limits | undefined,
    private readonly keyLogHook: ((line: string) => void) | undefined,
    private readonly eventHook: ((event: TlsEvent) => void) | undefined,
  ) {
    this.limits = { ...defaultLimits, ...limits };
    this.joiner = new HandshakeJoiner({ maxMessageSize: this.limits.maxHandshakeMessage });
  }

  /** The largest handshake message accepted (Limits.maxHandshakeMessage). */
  get maxHandshakeMessage(): number {
    return this.limits.maxHandshakeMessage;
  }

  /** The limits in force on this connection: the configured ones over the defaults. */
  get limitsInEffect(): Readonly<Required<Limits>> {
    return this.limits;
  }

  /**
   * Peer bytes this connection holds, for diagnostics: received but not yet a whole record,
   * handshake bytes not yet a whole message, and decrypted data not yet read (the buffered API;
   * with the write-through API the caller holds records and data).
   */
  get bufferedBytes(): { records: number; handshake: number; plaintext: number } {
    return {
      records: this.io?.inputBytes ?? 0,
      handshake: this.joiner.bufferedBytes,
      plaintext: this.io?.plaintextBytes ?? 0,
    };
  }

  get handshakeComplete(): boolean {
    return this.established;
  }

  get peerClosed(): boolean {
    return this.closeReceived;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  // ---- the buffered API: a thin layer over the write-through one (buffered.ts) ----

  private buffered(): BufferedIo {
    if (this.unbuffered) {
      throw new TlsError('INTERNAL_ERROR', 'tls: this connection is driven write-through', {
        layer: 'app',
      });
    }
    this.io ??= new BufferedIo(this, this.limits.maxBufferedPlaintext);
    return this.io;
  }

  readTls(data: Uint8Array, options?: ReadTlsOptions): void {
    this.buffered().readTls(data, options?.transfer === true);
  }

  takeTls(): Uint8Array | null {
    return this.buffered().takeTls();
  }

  read(): Uint8Array | null {
    return this.buffered().read();
  }

  process(): Promise<void> {
    return this.buffered().process();
  }

  write(data: Uint8Array): Promise<void> {
    return this.buffered().write(data);
  }

  keyUpdate(requestPeer = false): Promise<void> {
    return this.buffered().keyUpdate(requestPeer);
  }

  close(): Promise<void> {
    return this.buffered().close();
  }

  /** Seals whatever the connection has queued into `takeTls`'s output. */
  flush(): Promise<void> {
    return this.buffered().flush();
  }

  // ---- the write-through API ----

  /**
   * Processes the TLS bytes at the front of `incoming`, a buffer the caller owns, and says what
   * to do next. Records are decrypted in place: application data in the status is a view into
   * `incoming`. Before the next call, use the data, then remove `discard` bytes from the front
   * of the buffer (and append newly received bytes after the rest). Calls are serialised.
   *
   * Throws the TlsError that ended the connection; its alert is then queued (`pendingTlsLength`,
   * `encodeTls`). Data authenticated before a failure is returned first, the error next call.
   */
  processTlsRecords(incoming: Uint8Array): Promise<ProcessStatus> {
    if (this.io === undefined) this.unbuffered = true;
    return this.processTlsRecordsFor(incoming);
  }

  /**
   * `processTlsRecords` without the API guard (the buffered layer calls this). With
   * `detachedOk`, application data may also be returned in buffers the provider's AEAD made,
   * outside `incoming` (the caller tells them apart by their `buffer`).
   */
  processTlsRecordsFor(incoming: Uint8Array, detachedOk = false): Promise<ProcessStatus> {
    const run = this.processing.then(() => this.processInput(incoming, detachedOk));
    this.processing = run.catch(() => {});
    return run;
  }

  /** Bytes `encodeTls` will write: queued handshake messages and alerts, sealed. */
  get pendingTlsLength(): number {
    return this.records.pendingLength;
  }

  /**
   * Seals every queued handshake message and alert into `out`, in order with `encrypt`; returns
   * the bytes written. Throws InsufficientSpaceError (nothing written) when `out` is too small.
   */
  encodeTls(out: Uint8Array): Promise<number> {
    return this.records.encode(out);
  }

  /** The bytes `encrypt` needs for `length` bytes of application data, written now. */
  encryptedLength(length: number): number {
    let total = this.records.pendingLength;
    let count = Number(this.records.writeCount);
    const limit = this.writeLimit();
    const max = this.records.maxFragment;
    for (let at = 0; at < length; at += max) {
      if (count >= limit && !this.tls12) {
        // The KeyUpdate (4-byte header, 1-byte body) that moves to a fresh key.
        total += this.records.recordLength(5);
        count = 0;
      }
      total += this.records.recordLength(Math.min(max, length - at));
      count++;
    }
    return total;
  }

  /**
   * Encrypts application data straight into `out` (after any queued handshake messages), in
   * order with `encodeTls`. Throws InsufficientSpaceError (nothing written or consumed) when
   * `out` holds less than `encryptedLength(plain.length)`.
   *
   * AEAD usage limits (record/aead-limits.ts): no key seals more records than its limit. TLS 1.3
   * moves to a new key with KeyUpdate on the way; TLS 1.2 writes what fits, then close_notify,
   * and `consumed` says how much of `plain` went out.
   */
  encrypt(plain: Uint8Array, out: Uint8Array): Promise<EncryptResult> {
    try {
      this.checkWritable();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.records.exclusive(() => this.encryptNow(plain, out));
  }

  private checkWritable(): void {
    this.throwIfFailed();
    if (!this.established)
      throw new TlsError('INTERNAL_ERROR', 'tls: write before handshake', { layer: 'app' });
    if (this.sentClose) throw new TlsError('CLOSED', 'tls: write after close', { layer: 'app' });
  }

  private async encryptNow(plain: Uint8Array, out: Uint8Array): Promise<EncryptResult> {
    this.checkWritable();
    const need = this.encryptedLength(plain.length);
    if (out.length < need) throw new InsufficientSpaceError(need);
    let written = await this.records.encodeQueued(out);
    const seals: Promise<void>[] = [];
    let from = 0;
    while (from < plain.length) {
      const room = this.writeLimit() - Number(this.records.writeCount);
      if (room <= 0) {
        if (this.tls12) {
          this.emit('state', 'AEAD usage limit reached: closing (TLS 1.2)');
          this.queueClose();
          written += await this.records.encodeQueued(out.subarray(written));
          break;
        }
        this.emit('state', 'AEAD usage limit reached: key update');
        await this.sendKeyUpdate(true);
        written += await this.records.encodeQueued(out.subarray(written));
        continue;
      }
      const end = Math.min(plain.length, from + room * this.records.maxFragment);
      const sealed = this.records.sealInto(
        ContentType.application_data,
        plain.subarray(from, end),
        out.subarray(written),
      );
      seals.push(sealed.done);
      written += sealed.written;
      from = end;
    }
    await Promise.all(seals);
    return { written, consumed: from };
  }

  /** Queues close_notify (RFC 8446 §6.1, a warning-level alert under the current keys). */
  queueClose(): void {
    if (this.sentClose || this.failure) return;
    this.sentClose = true;
    this.records.queue(
      ContentType.alert,
      new Uint8Array([AlertLevel.warning, AlertDescription.close_notify]),
    );
    this.emit('alert', 'close_notify sent');
  }

  /**
   * Queues KeyUpdate and moves the write side to the next key; with `requestPeer`, asks the
   * peer to update too (RFC 8446 §4.6.3). TLS 1.3 only.
   */
  async queueKeyUpdate(requestPeer = false): Promise<void> {
    this.throwIfFailed();
    if (!this.established)
      throw new TlsError('INTERNAL_ERROR', 'tls: key update before handshake', { layer: 'app' });
    if (this.tls12)
      throw new TlsError('INTERNAL_ERROR', 'tls: KeyUpdate does not exist in TLS 1.2', {
        layer: 'app',
      });
    await this.sendKeyUpdate(requestPeer);
  }

  /** Records the current write key may seal: the AEAD's limit, or a lower configured one. */
  private writeLimit(): number {
    const own = confidentialityLimit(this.records.writeAlgorithm);
    return Math.max(1, Math.min(this.limits.aeadRecordLimit, own));
  }

  // ---- for the handshake states ----

  /** Frames a handshake message, sends it, and returns the framed bytes for the transcript. */
  async sendHandshake(type: number, body: Uint8Array, name: string): Promise<Uint8Array> {
    return this.queueHandshake(type, body, name);
  }

  /** `sendHandshake`, synchronously: the message is queued when this returns. */
  private queueHandshake(type: number, body: Uint8Array, name: string): Uint8Array {
    const framed = encodeHandshake(type, body);
    this.helloSeen = true;
    this.emit('send', name, { bytes: framed.length });
    this.records.queue(ContentType.handshake, framed);
    return framed;
  }

  /** Sends a framed message already added to the transcript. */
  async sendFramed(framed: Uint8Array, name: string): Promise<void> {
    this.helloSeen = true;
    this.emit('send', name, { bytes: framed.length });
    this.records.queue(ContentType.handshake, framed);
  }

  /** RFC 8446 Appendix D.4: the single compatibility-mode ChangeCipherSpec record. */
  async sendCompatCcs(): Promise<void> {
    this.records.queuePlain(ContentType.change_cipher_spec, new Uint8Array([1]));
  }

  /** Switches the connection to TLS 1.2 rules (called when TLS 1.2 is negotiated). */
  useTls12(): void {
    this.tls12 = true;
  }

  /** Whether TLS 1.2 was negotiated. */
  get isTls12(): boolean {
    return this.tls12;
  }

  /**
   * TLS 1.2 (RFC 5246 §7.1): sends ChangeCipherSpec, then switches the write side to `sealer`,
   * both in order with the output queued before.
   */
  async sendCcsAndProtect(sealer: RecordProtect): Promise<void> {
    this.emit('send', 'ChangeCipherSpec');
    this.records.queuePlain(ContentType.change_cipher_spec, new Uint8Array([1]));
    this.records.setWriteProtection(sealer);
  }

  /** TLS 1.2: installs the read key a ChangeCipherSpec announced. */
  setReadProtection(opener: RecordUnprotect): void {
    // A handshake message must not straddle the change of keys (RFC 5246 §7.1: the CCS comes
    // between whole messages; RFC 8446 §5.1 says the same of every key change).
    if (this.joiner.hasPartial) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: handshake message spans ChangeCipherSpec');
    }
    this.records.setReadProtection(opener);
  }

  /** Sends a warning-level alert (TLS 1.2's no_renegotiation, RFC 5246 §7.2.2). */
  async sendWarning(description: number): Promise<void> {
    this.emit('alert', 'warning sent', { description });
    this.records.queue(ContentType.alert, new Uint8Array([AlertLevel.warning, description]));
  }

  setSuite(suite: Tls13Suite): void {
    this.keying = { suite };
  }

  get suite(): Tls13Suite {
    if (!this.keying) throw new Error('tls: suite not negotiated');
    return this.keying.suite;
  }

  get hash(): HashAlgorithm {
    return this.suite.hash;
  }

  /** Installs the read key derived from a traffic secret. */
  async setReadSecret(secret: Uint8Array): Promise<void> {
    // RFC 8446 §5.1: "Handshake messages MUST NOT span key changes ... [or] the receiver MUST
    // terminate the connection with an "unexpected_message" alert."
    if (this.joiner.hasPartial) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: handshake message spans a key change');
    }
    const { key, iv } = await trafficKeys(this.provider, this.hash, secret, this.suite.keyLength);
    this.records.setReadKey(await this.provider.aead(this.suite.aead, key), iv);
    this.keying!.readSecret = secret;
  }

  /** Installs the write key derived from a traffic secret, after all output queued so far. */
  async setWriteSecret(secret: Uint8Array): Promise<void> {
    (await this.prepareWriteSecret(secret))();
  }

  /**
   * Derives the write key for a traffic secret and returns the step that installs it, which is
   * synchronous: nothing can be queued between a KeyUpdate and the key it announces.
   */
  private async prepareWriteSecret(secret: Uint8Array): Promise<() => void> {
    const { key, iv } = await trafficKeys(this.provider, this.hash, secret, this.suite.keyLength);
    const aead = this.suite.aead;
    const sealer = await this.provider.aead(aead, key);
    return () => {
      this.records.setWriteKey(sealer, iv, aead);
      this.keying!.writeSecret = secret;
    };
  }

  /**
   * Keying material for `label` and `context` (RFC 8446 §7.5, RFC 5705), after the handshake.
   *
   * @throws TlsError CONFIG (layer 'app') before the handshake completed or for bad arguments.
   */
  exportKeyingMaterial(
    label: string,
    context: Uint8Array | undefined,
    length: number,
  ): Promise<Uint8Array> {
    if (!this.established || !this.exporter) {
      const error = new TlsError('CONFIG', 'tls: no keying material before the handshake', {
        layer: 'app',
      });
      return Promise.reject(error);
    }
    return deriveExport(this.provider, this.exporter, label, context?.slice(), length);
  }

  /** Writes one SSLKEYLOGFILE line (NSS key log format). */
  logKey(label: string, secret: Uint8Array): void {
    this.keyLogHook?.(`${label} ${toHex(this.clientRandom)} ${toHex(secret)}`);
  }

  emit(type: TlsEvent['type'], name: string, detail?: Record<string, unknown>): void {
    if (!this.eventHook) return;
    try {
      this.eventHook({ type, name, at: Date.now() - this.startedAt, detail });
    } catch {
      // A throwing observer must not break the connection.
    }
  }

  /** Server: 0-RTT data is accepted from here (under the early read key) up to `limit` bytes. */
  acceptEarlyData(limit: number): void {
    this.earlyLimit = limit;
    // RFC 8449 §4: records are held to the limits of the handshake that made their keys; the
    // client sent its 0-RTT data before it learned ours.
    this.records.setReadLimit(undefined);
  }

  /** Server: EndOfEarlyData arrived; no more 0-RTT data (RFC 8446 §4.5). */
  endEarlyData(): void {
    this.earlyLimit = undefined;
    this.records.setReadLimit(this.ownRecordLimit);
  }

  /**
   * RFC 8449 §4, once record_size_limit is negotiated (both hellos carried it): protected
   * records sent from now on carry at most what the peer's limit allows, and protected records
   * received are held to ours. Each is capped at the version's own maximum (2^14 bytes of
   * plaintext in TLS 1.2, 2^14 + 1 with the content type in TLS 1.3); a larger value is no
   * error (§4: a server "MUST NOT enforce this restriction"). Call after the version is known.
   * `includingLast`: see RecordLayer.setReadLimit.
   */
  limitRecords(peerLimit: number, ownLimit: number, includingLast = false): void {
    const max = this.tls12 ? MAX_PLAINTEXT : MAX_PLAINTEXT + 1;
    const peer = Math.min(peerLimit, max);
    // TLS 1.3 counts TLSInnerPlaintext: the content, its one-byte type and any padding (the
    // sealer pads up to the limit, never past it).
    this.records.setWriteFragmentLimit(this.tls12 ? peer : peer - 1);
    this.ownRecordLimit = Math.min(ownLimit, max);
    this.info.recordSizeLimit = { sent: peer, received: this.ownRecordLimit };
    this.records.setReadLimit(this.ownRecordLimit, includingLast);
  }

  /** Server: rejected 0-RTT data is skipped, up to `bytes` of it (RFC 8446 §4.2.10). */
  skipEarlyData(bytes: number): void {
    this.records.skipUndecryptable(bytes);
  }

  /** Client: sends 0-RTT application data under the early key already installed. */
  async sendEarlyData(data: Uint8Array): Promise<void> {
    this.records.queue(ContentType.application_data, data);
  }

  /** Client: the second ClientHello after 0-RTT goes out in the clear again. */
  async clearWriteProtection(): Promise<void> {
    this.records.setWriteProtection(undefined);
  }

  /** Marks the handshake complete; application data may flow. */
  markEstablished(): void {
    this.established = true;
    this.emit('state', 'handshake complete');
  }

  // ---- record processing ----

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Runs once, on the first `process()`: the client sends its ClientHello here. */
  protected async start(): Promise<void> {}

  /** One pass over the caller's buffer (see `processTlsRecords`). */
  private async processInput(buf: Uint8Array, detachedOk: boolean): Promise<ProcessStatus> {
    this.throwIfFailed();
    const data: Uint8Array[] = [];
    let earlyBytes = 0;
    let discard = 0;
    this.records.beginInput(buf, detachedOk);
    try {
      if (!this.started) {
        this.started = true;
        await this.start();
      }
      while (!this.closeReceived) {
        const record = await this.records.next();
        if (!record) break;
        const wasEstablished = this.established;
        const content = await this.handleRecord(record.type, record.content, record.protected);
        discard = record.end;
        if (content) {
          if (!wasEstablished) earlyBytes += content.length;
          data.push(content);
        }
      }
    } catch (error) {
      await this.fail(toTlsError(error, 'record'));
      // Authenticated data is never lost: it goes out first, the error next call.
      if (data.length > 0) return { kind: 'read-traffic', discard, data, earlyBytes };
      throw this.failure;
    } finally {
      await this.records.endInput();
    }
    if (data.length > 0) return { kind: 'read-traffic', discard, data, earlyBytes };
    if (this.records.pendingLength > 0) return { kind: 'encode-tls-data', discard };
    if (this.closeReceived) return { kind: this.sentClose ? 'closed' : 'peer-closed', discard };
    if (!this.established) return { kind: 'blocked-handshake', discard };
    return { kind: 'write-traffic', discard };
  }

  private async handleRecord(
    type: number,
    content: Uint8Array,
    isProtected: boolean,
  ): Promise<Uint8Array | undefined> {
    this.countEmpty(type, content);
    switch (type) {
      case ContentType.change_cipher_spec:
        await this.handleCcs(content, isProtected);
        return undefined;
      case ContentType.alert:
        this.handleAlert(content);
        return undefined;
      case ContentType.handshake:
        await this.handleHandshakeRecord(content, isProtected);
        return undefined;
      case ContentType.application_data:
        return this.handleApplicationData(content, isProtected);
      default:
        // RFC 8446 §5: "If a TLS implementation receives an unexpected record type, it MUST
        // terminate the connection with an "unexpected_message" alert."
        throw new TlsError('UNEXPECTED_MESSAGE', `tls: unknown record type ${type}`, {
          layer: 'record',
        });
    }
  }

  /**
   * Bounds runs of records that carry nothing (a cheap flood otherwise). Only a record with
   * handshake bytes or application data ends a run of empty records or ignored alerts; only
   * application data ends a run of post-handshake messages.
   */
  private countEmpty(type: number, content: Uint8Array): void {
    const data = type === ContentType.application_data && content.length > 0;
    if (data) this.postHandshakeRun = 0;
    if (data || (type === ContentType.handshake && content.length > 0)) {
      this.emptyRun = 0;
      this.warningRun = 0;
      return;
    }
    if (content.length === 0) this.emptyRun++;
    if (this.emptyRun > this.limits.maxEmptyRecords) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: too many empty records in a row', {
        layer: 'record',
      });
    }
  }

  private async handleCcs(content: Uint8Array, isProtected: boolean): Promise<void> {
    if (this.tls12) return this.handleCcs12(content);
    // RFC 8446 §5: a ChangeCipherSpec record with the single byte 0x01, received in the clear
    // after the first ClientHello and before the peer's Finished, is dropped; any other is an
    // unexpected_message.
    const allowed = this.helloSeen && !this.established && !isProtected;
    if (!allowed || content.length !== 1 || content[0] !== 1) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: unexpected ChangeCipherSpec', {
        layer: 'record',
      });
    }
    // §5 sets no count; a peer sends one (Appendix D.4), so a stream of them is a flood.
    if (++this.ccsDropped > this.limits.maxCcsRecords) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: too many ChangeCipherSpec records', {
        layer: 'record',
      });
    }
  }

  /**
   * RFC 5246 §7.1: in TLS 1.2 the ChangeCipherSpec switches the read key. It must arrive exactly
   * where the handshake expects it; anywhere else it is an unexpected_message.
   */
  private async handleCcs12(content: Uint8Array): Promise<void> {
    // RFC 5246 §7.1: struct { enum { change_cipher_spec(1), (255) } type; } ChangeCipherSpec;
    if (content.length !== 1 || content[0] !== 1) {
      throw new TlsError('DECODE_ERROR', 'tls: malformed ChangeCipherSpec', { layer: 'record' });
    }
    const state = this.state;
    if (!state.handleCcs) {
      throw new TlsError(
        'UNEXPECTED_MESSAGE',
        `tls: unexpected ChangeCipherSpec in ${state.name}`,
        {
          layer: 'record',
        },
      );
    }
    this.emit('receive', 'ChangeCipherSpec');
    this.state = await state.handleCcs();
  }

  private handleAlert(content: Uint8Array): void {
    // RFC 8446 §6: struct { AlertLevel level; AlertDescription description; } Alert;
    if (content.length !== 2) {
      throw new TlsError('DECODE_ERROR', 'tls: malformed alert', { layer: 'record' });
    }
    const description = content[1];
    this.emit('alert', 'alert received', { description });
    if (description === AlertDescription.close_notify) {
      this.closeReceived = true;
      return;
    }
    // RFC 8446 §6.1: user_canceled is followed by close_notify; ignore it. RFC 5246 §7.2: in
    // TLS 1.2 a warning does not end the connection; we never renegotiate, so no warning
    // changes anything here. Neither RFC bounds them: a run longer than maxWarningAlerts is a
    // flood and ends the connection.
    const ignored =
      description === AlertDescription.user_canceled ||
      (this.tls12 && content[0] === AlertLevel.warning);
    if (ignored) {
      if (++this.warningRun > this.limits.maxWarningAlerts) {
        throw new TlsError('UNEXPECTED_MESSAGE', 'tls: too many warning alerts in a row', {
          layer: 'record',
        });
      }
      return;
    }
    // RFC 8446 §6.2: every other alert is fatal, whatever its level says.
    throw new TlsError('PEER_ALERT', `tls: peer sent alert ${alertLabel(description)}`, {
      layer: 'peer',
      peerAlert: description,
    });
  }

  private async handleHandshakeRecord(content: Uint8Array, isProtected: boolean): Promise<void> {
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types".
    if (content.length === 0) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: empty handshake record', { layer: 'record' });
    }
    // Once keys are in place, every handshake record must be protected (RFC 8446 §5).
    if (this.records.hasReadKey && !isProtected) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: plaintext handshake after keys', {
        layer: 'record',
      });
    }
    // The joiner bounds each message (maxHandshakeMessage); this bounds them all together, so
    // a handshake dribbled in 1-byte records or padded with messages ends (RFC 8446 §5.1 allows
    // any fragmentation and sets no total).
    if (!this.established) {
      this.handshakeBytes += content.length;
      if (this.handshakeBytes > this.limits.maxHandshakeBytes) {
        throw new TlsError('DECODE_ERROR', 'tls: handshake larger than maxHandshakeBytes', {
          layer: 'record',
        });
      }
    }
    this.joiner.push(content);
    for (let msg = this.joiner.next(); msg; msg = this.joiner.next()) {
      this.emit('receive', handshakeLabel(msg.type), { bytes: msg.raw.length });
      this.helloSeen = true;
      if (this.established) await this.handlePostHandshake(msg);
      else this.state = await this.state.handle(msg);
    }
  }

  /** Returns the data, a view into the caller's buffer (none for an empty record). */
  private handleApplicationData(content: Uint8Array, isProtected: boolean): Uint8Array | undefined {
    // Application data is only valid protected under application keys (RFC 8446 §2), or under
    // the early traffic key while a server accepts 0-RTT data (§4.2.10).
    const early = !this.established && this.earlyLimit !== undefined;
    if (!isProtected || (!this.established && !early)) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: application data before handshake', {
        layer: 'record',
      });
    }
    if (early) {
      // §4.2.10: "If the server receives more than max_early_data_size bytes of 0-RTT data, it
      // SHOULD abort the connection with an "unexpected_message" alert."
      if (this.info.earlyDataBytes + content.length > (this.earlyLimit ?? 0)) {
        throw new TlsError('UNEXPECTED_MESSAGE', 'tls: more early data than max_early_data_size', {
          layer: 'record',
        });
      }
      this.info.earlyDataBytes += content.length;
    }
    return content.length === 0 ? undefined : content;
  }

  /** Post-handshake messages: KeyUpdate on both sides; the rest is the state's business. */
  private async handlePostHandshake(msg: HandshakeMessage): Promise<void> {
    // RFC 8446 §4.6.3 lets a KeyUpdate come at any time and §4.6.1 sets no count of tickets;
    // each costs a key derivation or a store, so a run without application data is bounded.
    if (++this.postHandshakeRun > this.limits.maxPostHandshakeWithoutData) {
      throw new TlsError('UNEXPECTED_MESSAGE', 'tls: too many post-handshake messages in a row', {
        layer: 'record',
      });
    }
    if (msg.type === HandshakeType.key_update && !this.tls12) {
      return this.receiveKeyUpdate(msg.body);
    }
    this.state = await this.state.handle(msg);
  }

  /** RFC 8446 §4.6.3. */
  private async receiveKeyUpdate(body: Uint8Array): Promise<void> {
    const { requestUpdate } = decodeKeyUpdate(body);
    const k = this.keying!;
    const next = await nextTrafficSecret(this.provider, this.hash, k.readSecret!);
    await this.setReadSecret(next);
    // "If the request_update field is set to "update_requested", then the receiver MUST send
    // a KeyUpdate of its own with request_update set to "update_not_requested" prior to
    // sending its next Application Data record."
    if (requestUpdate === KeyUpdateRequest.update_requested && !this.sentClose)
      await this.sendKeyUpdate(false);
  }

  /**
   * RFC 8446 §4.6.3: KeyUpdate goes out under the old key and everything after it under the new
   * one. The new key is derived first; queueing the message and installing the key is then one
   * synchronous step, so no record can slip between them. Updates run one at a time, each from
   * the secret the one before installed.
   */
  private sendKeyUpdate(requestPeer: boolean): Promise<void> {
    const run = this.writeKeyChain.then(async () => {
      const next = await nextTrafficSecret(this.provider, this.hash, this.keying!.writeSecret!);
      const install = await this.prepareWriteSecret(next);
      const request = requestPeer
        ? KeyUpdateRequest.update_requested
        : KeyUpdateRequest.update_not_requested;
      this.queueHandshake(
        HandshakeType.key_update,
        encodeKeyUpdate({ requestUpdate: request }),
        'KeyUpdate',
      );
      install();
    });
    this.writeKeyChain = run.catch(() => {});
    return run;
  }

  /** Ends the connection: queue the alert this error sends, and remember the error. */
  private async fail(error: TlsError): Promise<void> {
    if (this.failure) return;
    this.failure = error;
    this.emit('alert', 'fatal', { code: error.code });
    if (!error.sendsAlert || this.sentClose) return;
    this.sentClose = true;
    try {
      this.records.queue(ContentType.alert, new Uint8Array([AlertLevel.fatal, error.alert]));
    } catch {
      // The alert is best effort; the error that ended the connection is what matters.
    }
  }

  /** Lets a subclass end the connection from outside record processing. */
  protected async abort(error: unknown): Promise<never> {
    await this.fail(toTlsError(error, 'handshake'));
    throw this.failure;
  }
}

function alertLabel(description: number): string {
  return nameOf(AlertDescription, description, 2);
}

function handshakeLabel(type: number): string {
  return nameOf(HandshakeType, type, 2);
}
