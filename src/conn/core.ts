import type { Limits } from '../config.ts';
import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import type { Tls13Suite } from '../crypto/suites.ts';
import { TlsError, toTlsError } from '../error.ts';
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
import { concat, toHex } from '../util/bytes.ts';
import { deriveExport, type ExporterSource } from './exporter.ts';
import type { Connection, ConnectionInfo, TlsEvent } from './types.ts';

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
  private plaintext: Uint8Array[] = [];
  private plaintextBytes = 0;
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
  private processing: Promise<void> = Promise.resolve();
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
   * handshake bytes not yet a whole message, and decrypted data not yet read.
   */
  get bufferedBytes(): { records: number; handshake: number; plaintext: number } {
    return {
      records: this.records.pendingBytes,
      handshake: this.joiner.bufferedBytes,
      plaintext: this.plaintextBytes,
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

  readTls(data: Uint8Array): void {
    this.records.receive(data);
  }

  takeTls(): Uint8Array | null {
    return this.records.take();
  }

  read(): Uint8Array | null {
    if (this.plaintext.length === 0) return null;
    const out = concat(...this.plaintext);
    this.plaintext = [];
    this.plaintextBytes = 0;
    return out;
  }

  /** Runs queued records through the connection. Calls are serialised. */
  process(): Promise<void> {
    const run = this.processing.then(() => this.processRecords());
    this.processing = run.catch(() => {});
    return run;
  }

  async write(data: Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (!this.established)
      throw new TlsError('INTERNAL_ERROR', 'tls: write before handshake', { layer: 'app' });
    if (this.sentClose) throw new TlsError('CLOSED', 'tls: write after close', { layer: 'app' });
    if (data.length === 0) return;
    // AEAD usage limits (record/aead-limits.ts): no key seals more records than its limit;
    // a write that would cross it is split around a key update.
    let at = 0;
    while (at < data.length) {
      const room = this.writeLimit() - Number(this.records.writeCount);
      if (room <= 0) {
        await this.rekeyAtLimit();
        continue;
      }
      const end = Math.min(data.length, at + room * MAX_PLAINTEXT);
      await this.records.send(ContentType.application_data, data.subarray(at, end));
      at = end;
    }
  }

  /** Records the current write key may seal: the AEAD's limit, or a lower configured one. */
  private writeLimit(): number {
    const own = confidentialityLimit(this.records.writeAlgorithm);
    return Math.max(1, Math.min(this.limits.aeadRecordLimit, own));
  }

  /**
   * The write key reached its usage limit. TLS 1.3 (RFC 8446 §5.5: "Implementations SHOULD NOT
   * exceed these limits; when they are reached, a KeyUpdate") updates its key and asks the peer
   * to update too (§4.6.3 update_requested); TLS 1.2 has no such message, so the connection is
   * closed with close_notify.
   */
  private async rekeyAtLimit(): Promise<void> {
    if (this.tls12) {
      this.emit('state', 'AEAD usage limit reached: closing (TLS 1.2)');
      await this.close();
      throw new TlsError('CLOSED', 'tls: AEAD usage limit reached; TLS 1.2 closed the connection', {
        layer: 'app',
      });
    }
    this.emit('state', 'AEAD usage limit reached: key update');
    await this.sendKeyUpdate(true);
  }

  async keyUpdate(requestPeer = false): Promise<void> {
    this.throwIfFailed();
    if (!this.established)
      throw new TlsError('INTERNAL_ERROR', 'tls: key update before handshake', { layer: 'app' });
    if (this.tls12)
      throw new TlsError('INTERNAL_ERROR', 'tls: KeyUpdate does not exist in TLS 1.2', {
        layer: 'app',
      });
    await this.sendKeyUpdate(requestPeer);
  }

  async close(): Promise<void> {
    if (this.sentClose || this.failure) return;
    this.sentClose = true;
    // RFC 8446 §6.1: close_notify is a warning-level alert, sent under the current keys.
    await this.records.send(
      ContentType.alert,
      new Uint8Array([AlertLevel.warning, AlertDescription.close_notify]),
    );
    this.emit('alert', 'close_notify sent');
  }

  // ---- for the handshake states ----

  /** Frames a handshake message, sends it, and returns the framed bytes for the transcript. */
  async sendHandshake(type: number, body: Uint8Array, name: string): Promise<Uint8Array> {
    const framed = encodeHandshake(type, body);
    this.helloSeen = true;
    this.emit('send', name, { bytes: framed.length });
    await this.records.send(ContentType.handshake, framed);
    return framed;
  }

  /** Sends a framed message already added to the transcript. */
  async sendFramed(framed: Uint8Array, name: string): Promise<void> {
    this.helloSeen = true;
    this.emit('send', name, { bytes: framed.length });
    await this.records.send(ContentType.handshake, framed);
  }

  /** RFC 8446 Appendix D.4: the single compatibility-mode ChangeCipherSpec record. */
  sendCompatCcs(): Promise<void> {
    return this.records.sendPlain(ContentType.change_cipher_spec, new Uint8Array([1]));
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
    await this.records.sendPlain(ContentType.change_cipher_spec, new Uint8Array([1]));
    await this.records.setWriteProtection(sealer);
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
    await this.records.send(ContentType.alert, new Uint8Array([AlertLevel.warning, description]));
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
    const { key, iv } = await trafficKeys(this.provider, this.hash, secret, this.suite.keyLength);
    const aead = this.suite.aead;
    await this.records.setWriteKey(await this.provider.aead(aead, key), iv, aead);
    this.keying!.writeSecret = secret;
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
  }

  /** Server: EndOfEarlyData arrived; no more 0-RTT data (RFC 8446 §4.5). */
  endEarlyData(): void {
    this.earlyLimit = undefined;
  }

  /** Server: rejected 0-RTT data is skipped, up to `bytes` of it (RFC 8446 §4.2.10). */
  skipEarlyData(bytes: number): void {
    this.records.skipUndecryptable(bytes);
  }

  /** Client: sends 0-RTT application data under the early key already installed. */
  sendEarlyData(data: Uint8Array): Promise<void> {
    return this.records.send(ContentType.application_data, data);
  }

  /** Client: the second ClientHello after 0-RTT goes out in the clear again. */
  clearWriteProtection(): Promise<void> {
    return this.records.clearWriteProtection();
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

  private async processRecords(): Promise<void> {
    this.throwIfFailed();
    try {
      if (!this.started) {
        this.started = true;
        await this.start();
      }
      while (!this.closeReceived && this.plaintextBytes < this.limits.maxBufferedPlaintext) {
        const record = await this.records.next();
        if (!record) break;
        await this.handleRecord(record.type, record.content, record.protected);
      }
    } catch (error) {
      await this.fail(toTlsError(error, 'record'));
      throw this.failure;
    }
  }

  private async handleRecord(
    type: number,
    content: Uint8Array,
    isProtected: boolean,
  ): Promise<void> {
    this.countEmpty(type, content);
    switch (type) {
      case ContentType.change_cipher_spec:
        return this.handleCcs(content, isProtected);
      case ContentType.alert:
        return this.handleAlert(content);
      case ContentType.handshake:
        return this.handleHandshakeRecord(content, isProtected);
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

  private handleApplicationData(content: Uint8Array, isProtected: boolean): void {
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
    if (content.length === 0) return;
    this.plaintext.push(content);
    this.plaintextBytes += content.length;
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

  private async sendKeyUpdate(requestPeer: boolean): Promise<void> {
    const k = this.keying!;
    await this.sendHandshake(
      HandshakeType.key_update,
      encodeKeyUpdate({
        requestUpdate: requestPeer
          ? KeyUpdateRequest.update_requested
          : KeyUpdateRequest.update_not_requested,
      }),
      'KeyUpdate',
    );
    const next = await nextTrafficSecret(this.provider, this.hash, k.writeSecret!);
    await this.setWriteSecret(next);
  }

  /** Ends the connection: queue the alert this error sends, and remember the error. */
  private async fail(error: TlsError): Promise<void> {
    if (this.failure) return;
    this.failure = error;
    this.emit('alert', 'fatal', { code: error.code });
    if (!error.sendsAlert || this.sentClose) return;
    this.sentClose = true;
    try {
      await this.records.send(ContentType.alert, new Uint8Array([AlertLevel.fatal, error.alert]));
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
