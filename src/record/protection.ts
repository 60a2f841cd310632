import type { AeadAlgorithm, AeadKey } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { ContentType } from '../msgs/enums.ts';
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, RECORD_HEADER } from './deframer.ts';

const TAG = 16;

/**
 * RFC 8446 §5.3: the per-record nonce is the 64-bit sequence number, left-padded with zeros to
 * the IV length, XORed with the static IV.
 */
function nonceFor(iv: Uint8Array, seq: bigint): Uint8Array {
  const nonce = iv.slice();
  let s = seq;
  for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
    nonce[i] ^= Number(s & 0xffn);
    s >>= 8n;
  }
  return nonce;
}

/** The 5-byte header of a protected TLS 1.3 record, also its AAD (RFC 8446 §5.2). */
function protectedHeader(length: number): Uint8Array {
  return new Uint8Array([ContentType.application_data, 0x03, 0x03, length >>> 8, length & 0xff]);
}

/** What the record layer needs from a write key: TLS 1.3 (here) or TLS 1.2 (protection12.ts). */
export interface RecordProtect {
  /** Records sealed so far under this key. */
  readonly count: bigint;
  /** The AEAD, for its usage limit (record/aead-limits.ts). */
  readonly algorithm?: AeadAlgorithm;
  /** Seals one record of `type`; the sequence number is taken synchronously, in call order. */
  seal(type: number, content: Uint8Array): Promise<Uint8Array>;
}

/** What the record layer needs from a read key. */
export interface RecordUnprotect {
  /** Whether a record of this outer content type is protected under this key. */
  covers(type: number): boolean;
  /** Opens one record; the sequence number is taken synchronously, in call order. */
  open(header: Uint8Array, fragment: Uint8Array): Promise<{ type: number; content: Uint8Array }>;
  /**
   * TLS 1.3 trial decryption (skipping rejected 0-RTT data): opens one record under the next
   * sequence number, which is only used up when the record opens. Undefined when it does not.
   * Not to be mixed with concurrent `open` calls.
   */
  tryOpen?(
    header: Uint8Array,
    fragment: Uint8Array,
  ): Promise<{ type: number; content: Uint8Array } | undefined>;
}

/** Sequence numbers never wrap (RFC 8446 §5.3); a key must be updated long before. */
const MAX_SEQ = (1n << 64n) - 1n;

/**
 * Encrypts records under one traffic key. The sequence number is taken synchronously when a
 * record is started, so several seals may be in flight at once and their order is still the
 * order of the calls.
 */
export class RecordSealer implements RecordProtect {
  private seq = 0n;

  constructor(
    private readonly aead: AeadKey,
    private readonly iv: Uint8Array,
    readonly algorithm?: AeadAlgorithm,
  ) {}

  /** How many records this key has sealed (for usage limits). */
  get count(): bigint {
    return this.seq;
  }

  /**
   * RFC 8446 §5.2 TLSInnerPlaintext = content || ContentType || zeros[padding]; returns the
   * complete record (header and ciphertext).
   */
  seal(type: number, content: Uint8Array, padding = 0): Promise<Uint8Array> {
    if (content.length > MAX_PLAINTEXT) throw new RangeError('tls: record content over 2^14');
    if (this.seq === MAX_SEQ) throw new TlsError('INTERNAL_ERROR', 'tls: sequence number wrap');
    const seq = this.seq++;
    const inner = new Uint8Array(content.length + 1 + padding);
    inner.set(content);
    inner[content.length] = type;
    const header = protectedHeader(inner.length + TAG);
    return this.aead.seal(nonceFor(this.iv, seq), header, inner).then((ct) => {
      const record = new Uint8Array(RECORD_HEADER + ct.length);
      record.set(header);
      record.set(ct, RECORD_HEADER);
      return record;
    });
  }
}

/** Decrypts records under one traffic key (RFC 8446 §5.2). */
export class RecordOpener implements RecordUnprotect {
  private seq = 0n;

  constructor(
    private readonly aead: AeadKey,
    private readonly iv: Uint8Array,
  ) {}

  /** RFC 8446 §5.2: only application_data records are protected in TLS 1.3. */
  covers(type: number): boolean {
    return type === ContentType.application_data;
  }

  /**
   * Starts decrypting a record; the sequence number is taken now, so records may be opened
   * concurrently and awaited in order. Resolves to { type, content }.
   */
  open(header: Uint8Array, fragment: Uint8Array): Promise<{ type: number; content: Uint8Array }> {
    const seq = this.seq++;
    if (fragment.length < TAG + 1 || fragment.length > MAX_CIPHERTEXT) {
      // RFC 8446 §5.2: too short to hold a tag and a content type, or too long.
      const code = fragment.length > MAX_CIPHERTEXT ? 'RECORD_OVERFLOW' : 'BAD_RECORD_MAC';
      return Promise.reject(
        new TlsError(code, 'tls: bad protected record length', { layer: 'record' }),
      );
    }
    return this.aead.open(nonceFor(this.iv, seq), header, fragment).then(unpad);
  }

  async tryOpen(
    header: Uint8Array,
    fragment: Uint8Array,
  ): Promise<{ type: number; content: Uint8Array } | undefined> {
    if (fragment.length < TAG + 1 || fragment.length > MAX_CIPHERTEXT) return undefined;
    const seq = this.seq;
    let inner: Uint8Array;
    try {
      inner = await this.aead.open(nonceFor(this.iv, seq), header, fragment);
    } catch {
      return undefined;
    }
    this.seq = seq + 1n;
    return unpad(inner);
  }
}

/** Strips TLSInnerPlaintext padding and finds the real content type (RFC 8446 §5.4). */
function unpad(inner: Uint8Array): { type: number; content: Uint8Array } {
  // RFC 8446 §5.4: "The full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets."
  if (inner.length > MAX_PLAINTEXT + 1) {
    throw new TlsError('RECORD_OVERFLOW', 'tls: decrypted record over 2^14 + 1 bytes', {
      layer: 'record',
    });
  }
  let i = inner.length - 1;
  while (i >= 0 && inner[i] === 0) i--;
  if (i < 0) {
    // "If a receiving implementation does not find a non-zero octet in the cleartext, it MUST
    // terminate the connection with an "unexpected_message" alert."
    throw new TlsError('UNEXPECTED_MESSAGE', 'tls: record with no content type', {
      layer: 'record',
    });
  }
  return { type: inner[i], content: inner.subarray(0, i) };
}
