/**
 * A stand-in for the sans-IO engine, for testing the stream adapter alone: the same calls and
 * the same failure contract as `Connection`, over a toy framing (type, 2-byte length, body)
 * with no cryptography. It proves how the adapter moves bytes, never anything about TLS.
 */
import type { Connection, ConnectionInfo } from '../../src/conn/types.ts';
import { TlsError } from '../../src/error.ts';
import { concat } from '../../src/util/bytes.ts';

/** Toy record types. */
export const Toy = { hello: 1, data: 2, close: 3, alert: 4, keyUpdate: 5 } as const;

/** Frames one toy record. */
export function toyRecord(type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(new Uint8Array([type, body.length >> 8, body.length & 0xff]), body);
}

/** Splits a byte string into toy records; throws on a partial record. */
export function parseToy(bytes: Uint8Array): { type: number; body: Uint8Array }[] {
  const out: { type: number; body: Uint8Array }[] = [];
  let i = 0;
  while (i < bytes.length) {
    const len = (bytes[i + 1] << 8) | bytes[i + 2];
    out.push({ type: bytes[i], body: bytes.slice(i + 3, i + 3 + len) });
    i += 3 + len;
  }
  if (i !== bytes.length) throw new Error('partial toy record');
  return out;
}

/** The toy engine. A client says hello first; a server answers the client's hello. */
export class FakeEngine implements Connection {
  readonly info: ConnectionInfo = {
    protocol: 'toy',
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
  handshakeComplete = false;
  peerClosed = false;
  failed: Error | undefined;
  keyUpdatesSent = 0;
  /** process() and write() calls in flight, to check they never overlap. */
  active = 0;
  maxActive = 0;

  #in: Uint8Array = new Uint8Array(0);
  #out: Uint8Array[] = [];
  #plain: Uint8Array[] = [];
  #helloSent = false;
  #closed = false;

  /**
   * @param plaintextCap like the real engine's buffered-plaintext cap: `process()` stops after
   *   this many data records until `read()` drains them.
   */
  constructor(
    readonly isClient: boolean,
    readonly plaintextCap = Number.POSITIVE_INFINITY,
  ) {}

  readTls(data: Uint8Array): void {
    this.#in = concat(this.#in, data);
  }

  async process(): Promise<void> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await Promise.resolve();
      if (this.failed) throw this.failed;
      if (this.isClient && !this.#helloSent) this.#sendHello();
      while (this.#in.length >= 3 && !this.peerClosed && this.#plain.length < this.plaintextCap) {
        const len = (this.#in[1] << 8) | this.#in[2];
        if (this.#in.length < 3 + len) break;
        const type = this.#in[0];
        const body = this.#in.slice(3, 3 + len);
        this.#in = this.#in.slice(3 + len);
        this.#handle(type, body);
      }
    } finally {
      this.active--;
    }
  }

  takeTls(): Uint8Array | null {
    if (this.#out.length === 0) return null;
    const out = concat(...this.#out);
    this.#out = [];
    return out;
  }

  read(): Uint8Array | null {
    if (this.#plain.length === 0) return null;
    const out = concat(...this.#plain);
    this.#plain = [];
    return out;
  }

  async write(data: Uint8Array): Promise<void> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await Promise.resolve();
    this.active--;
    if (this.failed) throw this.failed;
    if (this.#closed) throw new TlsError('CLOSED', 'write after close', { layer: 'app' });
    for (let i = 0; i < data.length; i += 1000) {
      this.#out.push(toyRecord(Toy.data, data.slice(i, i + 1000)));
    }
  }

  /** When set, keyUpdate() refuses like a TLS 1.2 connection does (without failing). */
  refuseKeyUpdate = false;

  async keyUpdate(requestPeer = false): Promise<void> {
    await Promise.resolve();
    if (this.failed) throw this.failed;
    if (this.refuseKeyUpdate) {
      throw new TlsError('INTERNAL_ERROR', 'KeyUpdate does not exist here', { layer: 'app' });
    }
    this.keyUpdatesSent++;
    this.#out.push(toyRecord(Toy.keyUpdate, new Uint8Array([requestPeer ? 1 : 0])));
  }

  async close(): Promise<void> {
    if (this.#closed || this.failed) return;
    this.#closed = true;
    this.#out.push(toyRecord(Toy.close));
  }

  #sendHello(): void {
    this.#helloSent = true;
    this.#out.push(toyRecord(Toy.hello));
  }

  #handle(type: number, body: Uint8Array): void {
    switch (type) {
      case Toy.hello:
        if (!this.isClient) this.#sendHello();
        this.handshakeComplete = true;
        return;
      case Toy.data:
        this.#plain.push(body);
        return;
      case Toy.close:
        this.peerClosed = true;
        return;
      case Toy.keyUpdate:
        if (body[0] === 1) this.#out.push(toyRecord(Toy.keyUpdate, new Uint8Array([0])));
        return;
      case Toy.alert:
        this.#fail(new TlsError('PEER_ALERT', `peer alert ${body[0]}`, { peerAlert: body[0] }));
        return;
      default:
        this.#out.push(toyRecord(Toy.alert, new Uint8Array([50])));
        this.#fail(new TlsError('DECODE_ERROR', `unknown toy record ${type}`));
    }
  }

  #fail(error: TlsError): never {
    this.failed = error;
    throw error;
  }
}
