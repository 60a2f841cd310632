import { TlsError } from '../error.ts';
import { InputBuffer } from './input-buffer.ts';

/**
 * RFC 8446 §5.1:
 *
 *   struct {
 *       ContentType type;
 *       ProtocolVersion legacy_record_version;
 *       uint16 length;
 *       opaque fragment[TLSPlaintext.length];
 *   } TLSPlaintext;
 */
export interface RawRecord {
  type: number;
  version: number;
  /** The 5-byte header, which is the AAD of a protected record (RFC 8446 §5.2). */
  header: Uint8Array;
  fragment: Uint8Array;
}

export const RECORD_HEADER = 5;
/** RFC 8446 §5.1: plaintext fragments are at most 2^14 bytes. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 §5.2: protected records are at most 2^14 + 256 bytes. */
export const MAX_CIPHERTEXT = (1 << 14) + 256;

/** A record found in a buffer: its parts are views into that buffer; `end` is just past it. */
export interface FramedRecord extends RawRecord {
  /** Offset of the fragment in the buffer. */
  start: number;
  end: number;
}

/**
 * The record that starts at `at` in `buf`, or undefined when the buffer ends before it does.
 * Its header is checked as soon as it is there, before the body arrives.
 */
export function parseRecord(buf: Uint8Array, at: number): FramedRecord | undefined {
  if (buf.length - at < RECORD_HEADER) return undefined;
  const type = buf[at];
  const version = (buf[at + 1] << 8) | buf[at + 2];
  const length = (buf[at + 3] << 8) | buf[at + 4];
  // RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes. An endpoint that receives a
  // record that exceeds this length MUST terminate the connection with a "record_overflow"
  // alert." Checked before waiting for the body, so a huge declared length costs nothing.
  if (length > MAX_CIPHERTEXT) {
    throw new TlsError('RECORD_OVERFLOW', `tls: record of ${length} bytes exceeds 2^14+256`, {
      layer: 'record',
    });
  }
  // RFC 8446 §5.1: a TLS 1.x record version byte is 0x03; anything else is not TLS.
  if (buf[at + 1] !== 0x03) {
    throw new TlsError('DECODE_ERROR', `tls: bad record version 0x${version.toString(16)}`, {
      layer: 'record',
    });
  }
  const start = at + RECORD_HEADER;
  const end = start + length;
  if (end > buf.length) return undefined;
  return {
    type,
    version,
    header: buf.subarray(at, start),
    fragment: buf.subarray(start, end),
    start,
    end,
  };
}

/**
 * Splits a byte stream into records. Bytes may arrive split or coalesced in any way, down to one
 * byte at a time. It holds at most one incomplete record plus whatever the caller hands it in one
 * call, so a peer cannot make it buffer without bound. Records it returns own their bytes.
 */
export class Deframer {
  private readonly input = new InputBuffer();

  /** Bytes waiting to form records. */
  get pending(): number {
    return this.input.length;
  }

  push(data: Uint8Array): void {
    this.input.append(data);
  }

  /** The next complete record, or undefined when more bytes are needed. */
  next(): RawRecord | undefined {
    const found = parseRecord(this.input.view(), 0);
    if (!found) return undefined;
    const whole = this.input.view().slice(0, found.end);
    this.input.discard(found.end);
    return {
      type: found.type,
      version: found.version,
      header: whole.subarray(0, RECORD_HEADER),
      fragment: whole.subarray(RECORD_HEADER),
    };
  }
}
