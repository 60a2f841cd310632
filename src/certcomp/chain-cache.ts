import { TlsError } from '../error.ts';
import type { CertCompressionAlgorithm } from './algorithm.ts';

/** A Certificate message body compressed once, ready for a CompressedCertificate. */
export interface CompressedChain {
  /** compressed_certificate_message. */
  compressed: Uint8Array;
  /** uncompressed_length: the Certificate body's length before compression. */
  uncompressedLength: number;
}

/**
 * Compresses each certificate chain once per algorithm and keeps the result for as long as the
 * chain's key object (the CertifiedKey) lives. The promise itself is cached, so handshakes that
 * ask at the same time share one compression; a failed compression is forgotten, so the next
 * handshake tries again.
 *
 * Only chains whose Certificate body does not change between handshakes belong here: RFC 8879 §4
 * compresses the whole Certificate message, so a body with per-handshake content (a non-empty
 * certificate_request_context, OCSP responses that change) must not be cached under one key.
 */
export class CompressedChainCache {
  private readonly chains = new WeakMap<
    object,
    Map<CertCompressionAlgorithm, Promise<CompressedChain>>
  >();

  /**
   * The compressed form of the chain under `chainKey`, compressing `encode()` on first use.
   *
   * @throws TlsError CONFIG when the algorithm cannot compress in this runtime
   */
  get(
    chainKey: object,
    algorithm: CertCompressionAlgorithm,
    encode: () => Uint8Array,
  ): Promise<CompressedChain> {
    let byAlgorithm = this.chains.get(chainKey);
    if (byAlgorithm === undefined) {
      byAlgorithm = new Map();
      this.chains.set(chainKey, byAlgorithm);
    }
    const cached = byAlgorithm.get(algorithm);
    if (cached !== undefined) return cached;
    const entries = byAlgorithm;
    const made = compressChain(algorithm, encode).catch((error: unknown) => {
      entries.delete(algorithm);
      throw error;
    });
    entries.set(algorithm, made);
    return made;
  }
}

async function compressChain(
  algorithm: CertCompressionAlgorithm,
  encode: () => Uint8Array,
): Promise<CompressedChain> {
  if (algorithm.compress === undefined) {
    throw new TlsError('CONFIG', `tls: ${algorithm.name} cannot compress in this runtime`, {
      layer: 'config',
    });
  }
  const body = encode();
  const compressed = await algorithm.compress(body);
  return { compressed, uncompressedLength: body.length };
}
