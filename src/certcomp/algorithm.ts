import { TlsError } from '../error.ts';

/**
 * One RFC 8879 certificate compression algorithm. `id` is its CertificateCompressionAlgorithm
 * code point (RFC 8879 §3: zlib(1), brotli(2), zstd(3)).
 */
export interface CertCompressionAlgorithm {
  /** The CertificateCompressionAlgorithm code point: 1 zlib, 2 brotli, 3 zstd. */
  readonly id: number;
  /** The algorithm's name as RFC 8879 §3 spells it. */
  readonly name: 'zlib' | 'brotli' | 'zstd';
  /** Undefined when this runtime/implementation cannot compress (decompress-only, e.g. zstd). */
  compress?(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Decompresses, producing EXACTLY `expectedLength` bytes or failing: output beyond
   * expectedLength is never produced (stop as soon as it would exceed: bounded work and memory —
   * a decompression bomb ends early), and a shorter output is also an error. Throws TlsError
   * BAD_CERTIFICATE (RFC 8879 §4: "If the received CompressedCertificate message cannot be
   * decompressed, the connection MUST be terminated with the "bad_certificate" alert").
   */
  decompress(data: Uint8Array, expectedLength: number): Promise<Uint8Array>;
}

/** The default cap on a CompressedCertificate's uncompressed_length: 1 MiB. */
export const DEFAULT_MAX_UNCOMPRESSED_LENGTH = 1 << 20;

/**
 * Rejects a declared uncompressed_length above `max` before any decompression work, as an
 * uncompressed Certificate of that size would be refused (RFC 8879 §5: implementations limit the
 * uncompressed size they accept).
 *
 * @throws TlsError BAD_CERTIFICATE when `declared` exceeds `max`
 */
export function checkDeclaredLength(
  declared: number,
  max: number = DEFAULT_MAX_UNCOMPRESSED_LENGTH,
): void {
  if (!Number.isSafeInteger(declared) || declared < 0 || declared > max) {
    throw new TlsError(
      'BAD_CERTIFICATE',
      `tls: compressed certificate declares ${declared} bytes uncompressed, above the limit ${max}`,
    );
  }
}

/** The error every algorithm throws when input cannot be decompressed (RFC 8879 §4). */
export function decompressError(name: string, why: string, cause?: unknown): TlsError {
  return new TlsError('BAD_CERTIFICATE', `tls: ${name} certificate decompression failed: ${why}`, {
    cause,
  });
}

/**
 * Collects decompressed output into a buffer of exactly `expected` bytes, refusing any byte past
 * it. `produced` counts every byte offered, so tests can observe how far a decoder ran.
 */
export class BoundedOutput {
  readonly buffer: Uint8Array;
  private filled = 0;
  /** Bytes offered so far, including any refused past `expected`. */
  produced = 0;

  constructor(
    private readonly name: string,
    readonly expected: number,
  ) {
    // RFC 8879 §4: uncompressed_length is a uint24.
    if (!Number.isSafeInteger(expected) || expected < 0 || expected > 0xffffff) {
      throw decompressError(name, `declared length ${expected} is not a uint24`);
    }
    this.buffer = new Uint8Array(expected);
  }

  /** Bytes accepted so far. */
  get length(): number {
    return this.filled;
  }

  /**
   * Appends `chunk`.
   *
   * @throws TlsError BAD_CERTIFICATE when the total would exceed the expected length
   */
  push(chunk: Uint8Array): void {
    this.produced += chunk.length;
    // RFC 8879 §4: output longer than uncompressed_length is a decompression failure.
    if (chunk.length > this.expected - this.filled) {
      throw decompressError(this.name, `output exceeds the declared ${this.expected} bytes`);
    }
    this.buffer.set(chunk, this.filled);
    this.filled += chunk.length;
  }

  /**
   * Returns the output once the decoder has finished.
   *
   * @throws TlsError BAD_CERTIFICATE when fewer than the expected bytes were produced
   */
  finish(): Uint8Array {
    // RFC 8879 §4: the output must match uncompressed_length exactly.
    if (this.filled !== this.expected) {
      throw decompressError(
        this.name,
        `output is ${this.filled} bytes, not the declared ${this.expected}`,
      );
    }
    return this.buffer;
  }
}

/** How decompressors report progress to tests: the last BoundedOutput they used. */
export interface DecompressProbe {
  /** Called with the output collector when a decompression starts. */
  onStart?(output: BoundedOutput): void;
}
