import { TlsError } from '../error.ts';

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

/**
 * Splits a byte stream into records. Bytes may arrive split or coalesced in any way, down to one
 * byte at a time. It holds at most one incomplete record plus whatever the caller hands it in one
 * call, so a peer cannot make it buffer without bound.
 */
export class Deframer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  /** Bytes waiting to form records. */
  get pending(): number {
    return this.buffered;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data.slice());
    this.buffered += data.length;
  }

  /** The next complete record, or undefined when more bytes are needed. */
  next(): RawRecord | undefined {
    if (this.buffered < RECORD_HEADER) return undefined;
    const header = this.peek(RECORD_HEADER);
    const type = header[0];
    const version = (header[1] << 8) | header[2];
    const length = (header[3] << 8) | header[4];

    // RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes. An endpoint that receives a
    // record that exceeds this length MUST terminate the connection with a "record_overflow"
    // alert." Checked before waiting for the body, so a huge declared length costs nothing.
    if (length > MAX_CIPHERTEXT) {
      throw new TlsError('RECORD_OVERFLOW', `tls: record of ${length} bytes exceeds 2^14+256`, {
        layer: 'record',
      });
    }
    // RFC 8446 §5.1: a TLS 1.x record version byte is 0x03; anything else is not TLS.
    if (header[1] !== 0x03) {
      throw new TlsError('DECODE_ERROR', `tls: bad record version 0x${version.toString(16)}`, {
        layer: 'record',
      });
    }
    if (this.buffered < RECORD_HEADER + length) return undefined;
    const record = this.take(RECORD_HEADER + length);
    return {
      type,
      version,
      header: record.subarray(0, RECORD_HEADER),
      fragment: record.subarray(RECORD_HEADER),
    };
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (at === n) break;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0];
        const take = Math.min(c.length, n - at);
        out.set(c.subarray(0, take), at);
        at += take;
        if (take === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(take);
      }
    }
    this.buffered -= n;
    return out;
  }
}
