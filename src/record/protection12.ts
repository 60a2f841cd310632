import type { AeadAlgorithm, AeadKey } from '../crypto/provider.ts';
import type { Tls12Suite } from '../crypto/suites.ts';
import { TlsError } from '../error.ts';
import { ContentType } from '../msgs/enums.ts';
import { MAX_PLAINTEXT, RECORD_HEADER } from './deframer.ts';
import { openFragment, type RecordProtect, type RecordUnprotect } from './protection.ts';

/*
 * TLS 1.2 AEAD record protection (RFC 5246 §6.2.3.3):
 *
 *   struct {
 *      opaque nonce_explicit[SecurityParameters.record_iv_length];
 *      aead-ciphered struct {
 *          opaque content[TLSCompressed.length];
 *      };
 *   } GenericAEADCipher;
 *
 *   additional_data = seq_num + TLSCompressed.type + TLSCompressed.version +
 *                     TLSCompressed.length;
 *
 * AES-GCM (RFC 5288 §3): nonce = salt (4 bytes of the key block) || nonce_explicit (8 bytes,
 * sent in the record; we send the sequence number). ChaCha20-Poly1305 (RFC 7905 §2): no
 * explicit part; nonce = the 12-byte IV XOR the sequence number, left-padded, as in TLS 1.3.
 * Records carry their real content type; there is no inner type or padding.
 */

const TAG = 16;
const VERSION = 0x0303;
/** Sequence numbers never wrap (RFC 5246 §6.1); renegotiation, which would reset them, is off. */
const MAX_SEQ = (1n << 64n) - 1n;

function u64(seq: bigint): Uint8Array {
  const out = new Uint8Array(8);
  let s = seq;
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

/** additional_data for a record of `type` with `length` bytes of plaintext. */
function additionalData(seq: bigint, type: number, length: number): Uint8Array {
  const aad = new Uint8Array(13);
  aad.set(u64(seq));
  aad[8] = type;
  aad[9] = VERSION >>> 8;
  aad[10] = VERSION & 0xff;
  aad[11] = length >>> 8;
  aad[12] = length & 0xff;
  return aad;
}

/** The nonce for a record: the GCM salt and explicit part, or the ChaCha20 IV XOR seq. */
function nonceFor(iv: Uint8Array, explicit: Uint8Array | undefined, seq: bigint): Uint8Array {
  if (explicit) {
    const nonce = new Uint8Array(12);
    nonce.set(iv);
    nonce.set(explicit, iv.length);
    return nonce;
  }
  const nonce = iv.slice();
  const s = u64(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= s[i];
  return nonce;
}

/** Seals TLS 1.2 records under one connection state's write key. */
export class Tls12Sealer implements RecordProtect {
  private seq = 0n;
  private readonly explicitLength: number;
  /** The AEAD, for its usage limit (record/aead-limits.ts). */
  readonly algorithm: AeadAlgorithm;

  constructor(
    private readonly aead: AeadKey,
    private readonly iv: Uint8Array,
    suite: Tls12Suite,
  ) {
    this.explicitLength = suite.explicitNonceLength;
    this.algorithm = suite.aead;
  }

  get count(): bigint {
    return this.seq;
  }

  sealedLength(contentLength: number): number {
    return RECORD_HEADER + this.explicitLength + contentLength + TAG;
  }

  sealInto(type: number, content: Uint8Array, out: Uint8Array): Promise<void> {
    if (content.length > MAX_PLAINTEXT) throw new RangeError('tls: record content over 2^14');
    if (out.length !== this.sealedLength(content.length)) {
      throw new RangeError('tls: sealInto needs exactly sealedLength bytes');
    }
    if (this.seq === MAX_SEQ) throw new TlsError('INTERNAL_ERROR', 'tls: sequence number wrap');
    const seq = this.seq++;
    // RFC 5288 §3: the explicit nonce must be unique per key; the sequence number is.
    const explicit = this.explicitLength > 0 ? u64(seq) : undefined;
    const aad = additionalData(seq, type, content.length);
    const length = out.length - RECORD_HEADER;
    out.set([type, VERSION >>> 8, VERSION & 0xff, length >>> 8, length & 0xff]);
    if (explicit) out.set(explicit, RECORD_HEADER);
    const body = out.subarray(RECORD_HEADER + this.explicitLength);
    body.set(content);
    const nonce = nonceFor(this.iv, explicit, seq);
    if (this.aead.sealInPlace) return this.aead.sealInPlace(nonce, aad, body);
    return this.aead.seal(nonce, aad, body.subarray(0, content.length)).then((ct) => {
      body.set(ct);
    });
  }
}

/** Opens TLS 1.2 records under one connection state's read key. */
export class Tls12Opener implements RecordUnprotect {
  private seq = 0n;
  private readonly explicitLength: number;
  readonly overhead: number;

  constructor(
    private readonly aead: AeadKey,
    private readonly iv: Uint8Array,
    suite: Tls12Suite,
  ) {
    this.explicitLength = suite.explicitNonceLength;
    this.overhead = this.explicitLength + TAG;
  }

  /**
   * Every record type is protected once a TLS 1.2 read key is in place, except that a
   * ChangeCipherSpec is left to the connection, which refuses one arriving then.
   */
  covers(type: number): boolean {
    return type !== ContentType.change_cipher_spec;
  }

  open(header: Uint8Array, fragment: Uint8Array): Promise<{ type: number; content: Uint8Array }> {
    const seq = this.seq++;
    const type = header[0];
    const plainLength = fragment.length - this.explicitLength - TAG;
    if (plainLength < 0) {
      return Promise.reject(
        new TlsError('BAD_RECORD_MAC', 'tls: protected record too short', { layer: 'record' }),
      );
    }
    // RFC 5246 §6.2.3: "The length (in bytes) of the following TLSCiphertext.fragment. The
    // length MUST NOT exceed 2^14 + 2048." Our own bound on the plaintext is the §6.2.1 one.
    if (plainLength > MAX_PLAINTEXT) {
      return Promise.reject(
        new TlsError('RECORD_OVERFLOW', 'tls: decrypted record over 2^14 bytes', {
          layer: 'record',
        }),
      );
    }
    const explicit =
      this.explicitLength > 0 ? fragment.subarray(0, this.explicitLength) : undefined;
    const aad = additionalData(seq, type, plainLength);
    const sealed = fragment.subarray(this.explicitLength);
    return openFragment(this.aead, nonceFor(this.iv, explicit, seq), aad, sealed).then(
      (content) => ({ type, content }),
    );
  }
}
