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
function writeProtectedHeader(out: Uint8Array, length: number): void {
  out[0] = ContentType.application_data;
  out[1] = 0x03;
  out[2] = 0x03;
  out[3] = length >>> 8;
  out[4] = length & 0xff;
}

/** What the record layer needs from a write key: TLS 1.3 (here) or TLS 1.2 (protection12.ts). */
export interface RecordProtect {
  /** Records sealed so far under this key. */
  readonly count: bigint;
  /** The AEAD, for its usage limit (record/aead-limits.ts). */
  readonly algorithm?: AeadAlgorithm;
  /** The size of the whole record that `contentLength` bytes of content seal into. */
  sealedLength(contentLength: number): number;
  /**
   * Seals one record of `type` into `out`, which is `sealedLength(content.length)` bytes as it
   * was when the record was queued; the sequence number is taken synchronously, in call order.
   */
  sealInto(type: number, content: Uint8Array, out: Uint8Array): Promise<void>;
}

/** Seals one record into a new buffer. */
export async function sealRecord(
  sealer: RecordProtect,
  type: number,
  content: Uint8Array,
): Promise<Uint8Array> {
  const out = new Uint8Array(sealer.sealedLength(content.length));
  await sealer.sealInto(type, content, out);
  return out;
}

/** What the record layer needs from a read key. */
export interface RecordUnprotect {
  /** Whether a record of this outer content type is protected under this key. */
  covers(type: number): boolean;
  /**
   * Bytes of a protected fragment that are not the plaintext RFC 8449 §4 counts (TLS 1.3: the
   * tag, so the rest is TLSInnerPlaintext with its content type and padding; TLS 1.2: the
   * explicit nonce and the tag).
   */
  readonly overhead: number;
  /**
   * Opens one record; the sequence number is taken synchronously, in call order. Where the AEAD
   * can work in place, the content returned is a view into `fragment`, decrypted there.
   */
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
  /** Largest TLSInnerPlaintext to pad up to: 2^14 + 1, or the peer's record_size_limit. */
  private maxInner = MAX_PLAINTEXT + 1;

  /**
   * @param padBlock RFC 8446 §5.4 padding: each record's TLSInnerPlaintext is padded with zeros
   *   to a multiple of this many bytes (within the record size); 0 or 1 pads nothing.
   */
  constructor(
    private readonly aead: AeadKey,
    private readonly iv: Uint8Array,
    readonly algorithm?: AeadAlgorithm,
    private readonly padBlock = 0,
  ) {}

  /** How many records this key has sealed (for usage limits). */
  get count(): bigint {
    return this.seq;
  }

  /** Padding stops at `bytes` of TLSInnerPlaintext (RFC 8449: the peer's limit). */
  limitInner(bytes: number): void {
    this.maxInner = bytes;
  }

  sealedLength(contentLength: number): number {
    const inner = contentLength + 1;
    const padded =
      this.padBlock > 1
        ? Math.max(inner, Math.min(Math.ceil(inner / this.padBlock) * this.padBlock, this.maxInner))
        : inner;
    return RECORD_HEADER + padded + TAG;
  }

  /**
   * RFC 8446 §5.2, §5.4: TLSInnerPlaintext = content || ContentType || zeros, filling `out`
   * after the record header and the tag, and encrypted there (in place when the AEAD can).
   */
  sealInto(type: number, content: Uint8Array, out: Uint8Array): Promise<void> {
    if (content.length > MAX_PLAINTEXT) throw new RangeError('tls: record content over 2^14');
    const inner = out.length - RECORD_HEADER - TAG;
    if (inner < content.length + 1 || inner > MAX_PLAINTEXT + 1) {
      throw new RangeError('tls: sealInto needs room for the content, at most 2^14 + 1 inner');
    }
    if (this.seq === MAX_SEQ) throw new TlsError('INTERNAL_ERROR', 'tls: sequence number wrap');
    const seq = this.seq++;
    const header = out.subarray(0, RECORD_HEADER);
    writeProtectedHeader(header, out.length - RECORD_HEADER);
    const body = out.subarray(RECORD_HEADER);
    body.set(content);
    body[content.length] = type;
    // The caller's buffer may hold old bytes: padding must be zeros (§5.4).
    if (inner > content.length + 1) body.fill(0, content.length + 1, inner);
    const nonce = nonceFor(this.iv, seq);
    if (this.aead.sealInPlace) return this.aead.sealInPlace(nonce, header, body);
    return this.aead.seal(nonce, header, body.subarray(0, inner)).then((ct) => {
      body.set(ct);
    });
  }
}

/** Decrypts records under one traffic key (RFC 8446 §5.2). */
export class RecordOpener implements RecordUnprotect {
  private seq = 0n;
  readonly overhead = TAG;

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
    return openFragment(this.aead, nonceFor(this.iv, seq), header, fragment).then(unpad);
  }

  async tryOpen(
    header: Uint8Array,
    fragment: Uint8Array,
  ): Promise<{ type: number; content: Uint8Array } | undefined> {
    if (fragment.length < TAG + 1 || fragment.length > MAX_CIPHERTEXT) return undefined;
    const seq = this.seq;
    let inner: Uint8Array;
    try {
      inner = await openFragment(this.aead, nonceFor(this.iv, seq), header, fragment);
    } catch {
      return undefined;
    }
    this.seq = seq + 1n;
    return unpad(inner);
  }
}

/**
 * Opens `fragment` (ciphertext || tag): in place when the AEAD can, so the plaintext is a view
 * into the fragment; otherwise into a buffer of the AEAD's.
 */
export async function openFragment(
  aead: AeadKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  fragment: Uint8Array,
): Promise<Uint8Array> {
  if (!aead.openInPlace) return aead.open(nonce, aad, fragment);
  await aead.openInPlace(nonce, aad, fragment);
  return fragment.subarray(0, fragment.length - TAG);
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
