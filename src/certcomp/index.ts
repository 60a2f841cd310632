/**
 * RFC 8879 certificate compression: the algorithms, the declared-length limit, and the cache of
 * compressed chains the handshake uses.
 */
export {
  type CertCompressionAlgorithm,
  checkDeclaredLength,
  DEFAULT_MAX_UNCOMPRESSED_LENGTH,
} from './algorithm.ts';
export { type BrotliModule, type BrotliOptions, brotli } from './brotli.ts';
export { type CompressedChain, CompressedChainCache } from './chain-cache.ts';
export { zlib } from './zlib.ts';
export { zstd } from './zstd.ts';
