import { Reader } from '../codec/reader.ts';
import { decodeError, TlsError, unexpectedMessage } from '../error.ts';
import { checkEncodeLength } from './encode-check.ts';
import { HandshakeType, nameOf } from './enums.ts';

/*
 * RFC 8446 §4:
 *
 *   struct {
 *       HandshakeType msg_type;    // handshake type
 *       uint24 length;             // remaining bytes in message
 *       select (Handshake.msg_type) { ... };
 *   } Handshake;
 */

/** Bytes in a handshake message header: msg_type (u8) and length (u24). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** The largest body a uint24 length can describe. */
export const MAX_HANDSHAKE_BODY = 0xffffff;

/** Default cap on one handshake message body, in bytes (64 KiB). */
export const DEFAULT_MAX_HANDSHAKE_SIZE = 64 * 1024;

/** One complete handshake message. */
export interface HandshakeMessage {
  /** msg_type, a HandshakeType value (unknown values are kept as numbers). */
  type: HandshakeType;
  /** The body, without the 4-byte header: a view into `raw`. */
  body: Uint8Array;
  /** The whole framed message (header and body), as hashed into the transcript (§4.4.1). */
  raw: Uint8Array;
}

/**
 * Frames a handshake message body: msg_type (u8), length (u24), then the body (RFC 8446 §4).
 *
 * @throws TlsError INTERNAL_ERROR if the body is longer than a uint24 can describe
 */
export function encodeHandshake(type: HandshakeType, body: Uint8Array): Uint8Array {
  checkEncodeLength('handshake body', body.length, 0, MAX_HANDSHAKE_BODY);
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = body.length >>> 8;
  out[3] = body.length;
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/**
 * Decodes exactly one framed handshake message; bytes before or after it are an error.
 *
 * @throws TlsError DECODE_ERROR on a short header, a length that disagrees with the input, or a
 * body above `maxMessageSize`
 */
export function decodeHandshake(
  raw: Uint8Array,
  maxMessageSize = DEFAULT_MAX_HANDSHAKE_SIZE,
): HandshakeMessage {
  const r = new Reader(raw);
  const type = r.u8('handshake msg_type');
  const length = r.u24('handshake length');
  checkMessageSize(type, length, maxMessageSize);
  const body = r.bytes(length, `${nameOf(HandshakeType, type, 2)} body`);
  r.end('handshake message');
  return { type, body, raw };
}

function checkMessageSize(type: number, length: number, max: number): void {
  if (length > max) {
    throw decodeError(
      `tls: ${nameOf(HandshakeType, type, 2)} of ${length} bytes exceeds the limit of ${max}`,
    );
  }
}

/** Options for {@link HandshakeJoiner}. */
export interface HandshakeJoinerOptions {
  /** The largest handshake message body accepted, in bytes. Default 64 KiB. */
  maxMessageSize?: number;
}

/** The storage of an empty joiner (shared: nothing is ever written into it). */
const NO_BYTES = new Uint8Array(0);

/**
 * Reassembles handshake messages from the payloads of handshake records. A message may be split
 * across records (down to one byte each) and a record may carry several messages (RFC 8446 §5.1).
 *
 * Feed each record payload to `push()`, then call `next()` until it returns `undefined`. Before a
 * key change, check `hasPartial`: RFC 8446 §5.1 forbids a handshake message from spanning a key
 * change, so any bytes still buffered then mean the peer misbehaved (`unexpected_message`).
 *
 * Memory is bounded: a message header announcing more than `maxMessageSize` bytes is rejected as
 * soon as its header arrives, so a partial message never holds more than that limit.
 */
export class HandshakeJoiner {
  /** The largest handshake message body accepted, in bytes. */
  readonly maxMessageSize: number;
  private buf = NO_BYTES;
  private start = 0;
  private end = 0;
  /** Offset of the first header not yet checked against the size limit. */
  private checked = 0;

  constructor(options: HandshakeJoinerOptions = {}) {
    const max = options.maxMessageSize ?? DEFAULT_MAX_HANDSHAKE_SIZE;
    if (!Number.isInteger(max) || max < 0 || max > MAX_HANDSHAKE_BODY) {
      throw new TlsError('CONFIG', `tls: maxMessageSize ${max} outside [0, ${MAX_HANDSHAKE_BODY}]`);
    }
    this.maxMessageSize = max;
  }

  /** Bytes buffered that belong to messages not yet returned by `next()`. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /**
   * True when any handshake bytes are buffered: a partial message, or a complete one not yet
   * taken. Checked before a key change (RFC 8446 §5.1).
   */
  get hasPartial(): boolean {
    return this.end > this.start;
  }

  /**
   * Adds the payload of one handshake record. The bytes are copied.
   *
   * @throws TlsError UNEXPECTED_MESSAGE for an empty payload (RFC 8446 §5.1: zero-length
   * handshake fragments MUST NOT be sent)
   * @throws TlsError DECODE_ERROR when a message header announces more than `maxMessageSize`
   */
  push(payload: Uint8Array): void {
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types".
    if (payload.length === 0) throw unexpectedMessage('tls: empty handshake record');
    this.append(payload);
    this.checkHeaders();
  }

  /** Removes and returns the next complete message, or `undefined` if none is complete yet. */
  next(): HandshakeMessage | undefined {
    if (this.end - this.start < HANDSHAKE_HEADER_LENGTH) return undefined;
    const b = this.buf;
    const s = this.start;
    const length = (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3];
    const total = HANDSHAKE_HEADER_LENGTH + length;
    if (this.end - s < total) return undefined;
    const raw = b.slice(s, s + total);
    this.start += total;
    if (this.start === this.end) {
      // Nothing buffered: let the storage go, so an established connection keeps none.
      this.buf = NO_BYTES;
      this.start = this.end = this.checked = 0;
    }
    return { type: raw[0], body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
  }

  /** Walks the headers that arrived since the last push and enforces the size limit early. */
  private checkHeaders(): void {
    let at = Math.max(this.checked, this.start);
    while (this.end - at >= HANDSHAKE_HEADER_LENGTH) {
      const b = this.buf;
      const length = (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
      checkMessageSize(b[at], length, this.maxMessageSize);
      at += HANDSHAKE_HEADER_LENGTH + length;
    }
    this.checked = at;
  }

  private append(data: Uint8Array): void {
    const used = this.end - this.start;
    const need = used + data.length;
    if (this.end + data.length > this.buf.length) {
      // Compact to the front, growing (doubling) only when the live bytes need more room.
      const next =
        need > this.buf.length
          ? new Uint8Array(Math.max(need, 2 * this.buf.length, 256))
          : this.buf;
      if (next === this.buf) next.copyWithin(0, this.start, this.end);
      else next.set(this.buf.subarray(this.start, this.end));
      this.checked = Math.max(0, this.checked - this.start);
      this.buf = next;
      this.start = 0;
      this.end = used;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
  }
}
